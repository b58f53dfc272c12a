/*
 * The V8 and malloc settings Crest's processes start with. V8 reads the semi-space size only when the heap is
 * created, and glibc reads its tunables when the process starts, so whoever starts the process must set them:
 * `npm start` (package.json) and the bench for `crest serve`, `crest import` for its own import process
 * (server/import-process.ts).
 */

/**
 * `crest serve`: a SCO commit allocates tens of KB of short-lived strings and objects (the body, its parse, the
 * parameters sent to PostgreSQL), and each learner's latest tree stays in the snapshot cache until the next
 * commit. With V8's default young generation (16 MiB a semi-space) scavenges ran several times a second at
 * the peak and took ~16% of the server's CPU; with 64 MiB the server spent ~15% less CPU per commit
 * (bench F at 1,500 and 2,500 commits/s, 2026-11-28).
 */
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/**
 * `crest import`: an import streams gigabytes through short-lived 64 KiB buffers. With the default young
 * generation tens of MiB of spent buffers wait for the next scavenge, and glibc keeps the memory they freed,
 * spread over one malloc arena per thread that touched it. A 1 MiB semi-space and a single arena keep the peak
 * RSS of a 1 GB import near 140 MiB instead of 190, at the same speed (bench scenario D).
 */
export const IMPORT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
export const IMPORT_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' };
