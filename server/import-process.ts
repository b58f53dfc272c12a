import { spawn } from 'node:child_process';

/*
 * How a process that runs a course import is started, so its memory stays bounded. An import streams
 * gigabytes through short-lived 64 KiB buffers: with V8's default young generation (up to 16 MiB a
 * semi-space) tens of MiB of spent buffers wait for the next scavenge, and glibc keeps the memory they
 * freed, spread over one malloc arena per thread that touched it. A 1 MiB semi-space and a single arena
 * keep the peak RSS of a 1 GB import near 140 MiB instead of 190, at the same speed (bench scenario D).
 * V8 reads the semi-space size only when the heap is created, and glibc reads its tunables when the
 * process starts, so both must be set by whoever starts the process: `crest import` starts itself again
 * with them (relaunchForImport), and the bench starts its import process with the same.
 */
export const IMPORT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
export const IMPORT_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' };

// Set in the relaunched process, so it does not relaunch again.
const MARK = 'CREST_IMPORT_PROCESS';

/**
 * For `crest import …`: runs the same command again in a child process started with IMPORT_NODE_FLAGS
 * and IMPORT_ENV, forwards its exit code (and SIGINT/SIGTERM to it), and returns true. Returns false
 * when this is some other command or already the relaunched process: the caller then runs the CLI here.
 */
export function relaunchForImport(argv = process.argv): boolean {
  if (argv[2] !== 'import' || process.env[MARK] === '1') return false;
  const child = spawn(process.execPath, [...IMPORT_NODE_FLAGS, ...process.execArgv, ...argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...IMPORT_ENV, [MARK]: '1' },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('error', (err) => {
    console.error(`crest import: could not start the import process: ${err.message}`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    process.exitCode = code ?? (signal ? 128 : 1);
  });
  return true;
}
