import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../core/errors.ts';
import { hidePath, probeVideo, SAFE_INPUT, safeInputUrl, type VideoProbe } from './detect-video.ts';
import { parseMasterPlaylist } from './master-playlist.ts';

/** One rendition of the ladder. Bitrates in kbit/s. */
export interface Rung {
  /** Folder and variant name: `720p` → `720p/index.m3u8`. */
  name: string;
  /** Lines of the frame's short side: the height of a landscape video, the width of a portrait one. */
  height: number;
  videoKbps: number;
  audioKbps: number;
}

/** The rendition that was made: what master.m3u8 lists. */
export interface Rendition {
  name: string;
  width: number;
  height: number;
  videoKbps: number;
  audioKbps: number | null;
  /** Peak bits per second, as master.m3u8 declares it (EXT-X-STREAM-INF BANDWIDTH). */
  bandwidth: number;
  /** Relative to the output folder. */
  playlist: string;
}

export interface TranscodeResult {
  /** Every file written, relative to `outDir`, `/`-separated, sorted; `master.m3u8` among them. */
  files: string[];
  renditions: Rendition[];
  probe: VideoProbe;
}

export interface TranscodeOptions {
  /** 0..1, from ffmpeg's `-progress` (out_time / duration); 1 once ffmpeg reports the end. */
  onProgress?(ratio: number): void;
  ladder?: Rung[];
  /** Aborting kills ffmpeg and removes what it wrote; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Already probed (import does it first, to refuse early). */
  probe?: VideoProbe;
  /** Target segment length in seconds. */
  segmentSeconds?: number;
}

/**
 * The default ladder: Apple's HLS authoring spec (§2.3 bit-rate table, H.264) puts 720p at 2–3 Mbit/s,
 * 480p near 1.1–1.5 and 360p near 0.6–0.9. Course video is mostly talking heads and slides, so the
 * lower ends are plenty.
 */
export const DEFAULT_LADDER: readonly Rung[] = [
  { name: '720p', height: 720, videoKbps: 2800, audioKbps: 128 },
  { name: '480p', height: 480, videoKbps: 1400, audioKbps: 96 },
  { name: '360p', height: 360, videoKbps: 800, audioKbps: 96 },
];

const even = (n: number) => Math.max(2, Math.floor(n / 2) * 2);

const shortSide = (source: { width: number; height: number }) => Math.min(source.width, source.height);
const isPortrait = (source: { width: number; height: number }) => source.height > source.width;

/**
 * The rungs to make for a source: those no bigger than the source (upscaling only costs bytes), and
 * always at least the smallest, scaled down to the source's size when even that is bigger. Sizes are
 * the short side, so a 1080×1920 phone video gets 720×1280, 480×854 and 360×640 like a landscape one
 * would. Ordered biggest first, as master.m3u8 lists them.
 */
export function selectRungs(ladder: readonly Rung[], source: { width: number; height: number }): Rung[] {
  if (ladder.length === 0) throw new Error('The HLS ladder is empty.');
  const names = new Set(ladder.map((r) => r.name));
  if (names.size !== ladder.length || ladder.some((r) => !/^[a-z0-9_-]{1,32}$/i.test(r.name))) {
    throw new Error('HLS rung names must be unique and made of letters, digits, _ or -.');
  }
  const sorted = [...ladder].sort((a, b) => b.height - a.height);
  const fits = sorted.filter((r) => r.height <= shortSide(source));
  if (fits.length > 0) return fits;
  const smallest = sorted[sorted.length - 1]!;
  const height = even(shortSide(source));
  return [{ ...smallest, name: `${height}p`, height }];
}

/** The frame ffmpeg makes for a rung, as `scale=-2:N` (or `N:-2` for portrait) computes it. */
export function frameFor(
  source: { width: number; height: number },
  rung: Rung,
): { width: number; height: number } {
  const long = (side: number) =>
    Math.round((Math.max(source.width, source.height) * side) / shortSide(source) / 2) * 2;
  return isPortrait(source)
    ? { width: rung.height, height: even(long(rung.height)) }
    : { width: even(long(rung.height)), height: rung.height };
}

/** The ffmpeg arguments for one pass: decode once, split, scale per rung, one HLS muxer for all. */
export function ffmpegArgs(
  input: string,
  outDir: string,
  rungs: readonly Rung[],
  opts: { hasAudio: boolean; segmentSeconds: number; portrait?: boolean },
): string[] {
  const n = rungs.length;
  const splits = n === 1 ? '[0:v]null[s0]' : `[0:v]split=${n}${rungs.map((_, i) => `[s${i}]`).join('')}`;
  // -2: keep the aspect ratio with an even size (H.264 4:2:0 needs even dimensions).
  const size = (r: Rung) => (opts.portrait ? `${r.height}:-2` : `-2:${r.height}`);
  // yuv420p: 10-bit or 4:4:4 sources would otherwise give High 10 / 4:4:4 streams browsers can't decode.
  const scales = rungs.map((r, i) => `[s${i}]scale=${size(r)},format=yuv420p[v${i}]`);
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-y',
    ...SAFE_INPUT,
    '-i',
    safeInputUrl(input),
    '-filter_complex',
    [splits, ...scales].join(';'),
  ];
  rungs.forEach((_, i) => {
    args.push('-map', `[v${i}]`);
    if (opts.hasAudio) args.push('-map', '0:a:0');
  });
  args.push(
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    // Keyframes exactly every segment length, none on scene cuts: every segment starts with an IDR in
    // every rendition, so they align and EXT-X-INDEPENDENT-SEGMENTS is true (RFC 8216 §4.3.5.1).
    '-sc_threshold',
    '0',
    '-force_key_frames',
    `expr:gte(t,n_forced*${opts.segmentSeconds})`,
  );
  rungs.forEach((r, i) => {
    args.push(
      `-b:v:${i}`,
      `${r.videoKbps}k`,
      `-maxrate:v:${i}`,
      `${Math.round(r.videoKbps * 1.07)}k`,
      `-bufsize:v:${i}`,
      `${Math.round(r.videoKbps * 1.5)}k`,
    );
  });
  if (opts.hasAudio) {
    args.push('-c:a', 'aac', '-ac', '2');
    rungs.forEach((r, i) => {
      args.push(`-b:a:${i}`, `${r.audioKbps}k`);
    });
  }
  const streamMap = rungs.map((r, i) =>
    opts.hasAudio ? `v:${i},a:${i},name:${r.name}` : `v:${i},name:${r.name}`,
  );
  args.push(
    '-max_muxing_queue_size',
    '1024',
    '-f',
    'hls',
    '-hls_time',
    String(opts.segmentSeconds),
    '-hls_playlist_type',
    'vod',
    '-hls_flags',
    'independent_segments',
    '-hls_segment_type',
    'mpegts',
    '-hls_segment_filename',
    path.join(outDir, '%v', 'seg_%05d.ts'),
    '-master_pl_name',
    'master.m3u8',
    '-var_stream_map',
    streamMap.join(' '),
    '-progress',
    'pipe:1',
    '-nostats',
    path.join(outDir, '%v', 'index.m3u8'),
  );
  return args;
}

async function listFiles(root: string, dir = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(root, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

// Failures that are the machine's, not the upload's: the job should fail loudly and be retried.
const SYSTEM_FAILURE =
  /No space left|Cannot allocate memory|Permission denied|Read-only file system|Too many open files/i;

/**
 * Makes an HLS ladder from `input` in ONE ffmpeg pass: `outDir/master.m3u8` plus `<rung>/index.m3u8`
 * and `<rung>/seg_NNNNN.ts` per rendition, H.264 (+ AAC when the source has sound), ~4 s segments,
 * VOD playlists with EXT-X-INDEPENDENT-SEGMENTS. `outDir` must be missing or empty. On failure or
 * abort ffmpeg is killed and everything written to `outDir` is removed.
 */
export async function transcodeToHls(
  input: string,
  outDir: string,
  opts: TranscodeOptions = {},
): Promise<TranscodeResult> {
  opts.signal?.throwIfAborted();
  const existing = await readdir(outDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  if (existing.length > 0) throw new Error(`The HLS output folder ${outDir} is not empty.`);
  const probe = opts.probe ?? (await probeVideo(input, { signal: opts.signal }));
  const segmentSeconds = opts.segmentSeconds ?? 4;
  const rungs = selectRungs(opts.ladder ?? DEFAULT_LADDER, probe);
  const hasAudio = probe.audioCodec !== null;
  await mkdir(outDir, { recursive: true });
  const cleanUp = () => rm(outDir, { recursive: true, force: true });

  try {
    await runFfmpeg(
      input,
      ffmpegArgs(input, outDir, rungs, { hasAudio, segmentSeconds, portrait: isPortrait(probe) }),
      probe.durationSeconds,
      opts,
    );
    const files = (await listFiles(outDir)).sort();
    if (!files.includes('master.m3u8')) throw new Error('ffmpeg finished without writing master.m3u8.');
    for (const r of rungs) {
      if (!files.some((f) => f.startsWith(`${r.name}/`) && f.endsWith('.ts'))) {
        throw new Error(`ffmpeg finished without writing a segment for ${r.name}.`);
      }
    }
    const variants = parseMasterPlaylist(await readFile(path.join(outDir, 'master.m3u8'), 'utf8'));
    const renditions = rungs.map((r): Rendition => {
      const playlist = `${r.name}/index.m3u8`;
      const variant = variants.find((v) => v.uri === playlist);
      if (!variant) throw new Error(`master.m3u8 does not list ${playlist}.`);
      const frame = frameFor(probe, r);
      return {
        name: r.name,
        width: variant.width ?? frame.width,
        height: variant.height ?? frame.height,
        videoKbps: r.videoKbps,
        audioKbps: hasAudio ? r.audioKbps : null,
        bandwidth: variant.bandwidth,
        playlist,
      };
    });
    return { files, renditions, probe };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

function runFfmpeg(
  input: string,
  args: string[],
  durationSeconds: number,
  opts: TranscodeOptions,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let stderr = '';
    let pending = '';
    let lastRatio = -1;
    let settled = false;
    const report = (ratio: number) => {
      const r = Math.min(1, Math.max(0, ratio));
      if (r <= lastRatio) return;
      lastRatio = r;
      try {
        opts.onProgress?.(r);
      } catch {
        // A progress listener's bug must not leave ffmpeg running unobserved.
      }
    };
    const onAbort = () => {
      child.kill('SIGKILL');
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // Aborted between the probe and the spawn: the listener above will never fire.
    if (opts.signal?.aborted) onAbort();

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const eq = line.indexOf('=');
        if (eq < 0) continue;
        const key = line.slice(0, eq);
        const value = line.slice(eq + 1).trim();
        // out_time_ms is microseconds too (a long-standing ffmpeg misnomer); older builds lack out_time_us.
        if ((key === 'out_time_us' || key === 'out_time_ms') && /^\d+$/.test(value) && durationSeconds > 0) {
          report(Number(value) / 1e6 / durationSeconds);
        } else if (key === 'progress' && value === 'end') {
          report(1);
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      finish(
        err.code === 'ENOENT'
          ? new Error("ffmpeg is not installed: install Debian's ffmpeg package (apt-get install ffmpeg).")
          : err,
      );
    });
    child.on('close', (code, signal) => {
      if (opts.signal?.aborted) {
        finish(opts.signal.reason ?? new DOMException('The transcode was aborted.', 'AbortError'));
        return;
      }
      if (code === 0) {
        report(1);
        finish();
        return;
      }
      const why =
        hidePath(stderr.trim().split('\n').slice(-3).join(' / '), input) ||
        `ffmpeg exited with ${code ?? signal}`;
      if (signal || SYSTEM_FAILURE.test(stderr)) {
        finish(new Error(`ffmpeg failed (${signal ?? `exit ${code}`}): ${why}`));
        return;
      }
      finish(
        new AppError('VALIDATION_FAILED', `The video could not be transcoded to HLS: ${why}.`, {
          rule: 'transcode-failed',
        }),
      );
    });
  });
}

/** Total size of the files `transcodeToHls` wrote, for progress and the version's byte count. */
export async function sizeOf(root: string, files: readonly string[]): Promise<number> {
  let total = 0;
  for (const f of files) total += (await stat(path.join(root, f))).size;
  return total;
}
