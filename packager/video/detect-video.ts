import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../core/errors.ts';

/** What the ladder and the lesson need to know about an uploaded video. */
export interface VideoProbe {
  durationSeconds: number;
  /** As displayed: swapped when the file carries a 90°/270° rotation (phone recordings). */
  width: number;
  height: number;
  videoCodec: string;
  /** `null` for a video without sound. */
  audioCodec: string | null;
  /** Frames per second (average), when the container says. */
  frameRate: number | null;
  formatName: string;
}

// ISO/IEC 14496-12 §4.3 (FileTypeBox) and the MP4 registration authority's brand list: the brands
// that mean "an MP4 a browser can take", as a major brand or among the compatible brands. QuickTime's
// 'qt  ' alone is not enough: the original is served as video/mp4 for the fallback.
const MP4_BRANDS = new Set([
  'isom',
  'iso2',
  'iso3',
  'iso4',
  'iso5',
  'iso6',
  'iso8',
  'mp41',
  'mp42',
  'mp71',
  'avc1',
  'M4V ',
  'M4VH',
  'M4VP',
  'f4v ',
  'dash',
  'mmp4',
  'MSNV',
  'NDAS',
]);

/** How many bytes of the file `isMp4` wants to see. */
export const MP4_SNIFF_BYTES = 64;

/**
 * True when `head` (the file's first bytes, 12 at least, `MP4_SNIFF_BYTES` to see compatible brands)
 * starts with an ISO BMFF `ftyp` box naming an MP4 brand. A ZIP starts with `PK`, so this tells a
 * video upload from a course package without trusting the file name.
 */
export function isMp4(head: Buffer): boolean {
  if (head.length < 12 || head.toString('latin1', 4, 8) !== 'ftyp') return false;
  const size = head.readUInt32BE(0);
  // size 1 means a 64-bit size follows; a real ftyp is never that big, and < 16 can't hold a brand
  // plus minor version.
  if (size < 16 || size > 4096) return false;
  const end = Math.min(size, head.length);
  const brands = [head.toString('latin1', 8, 12)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(head.toString('latin1', at, at + 4));
  return brands.some((b) => MP4_BRANDS.has(b));
}

/** Reads the first `MP4_SNIFF_BYTES` of a file for `isMp4`. */
export async function readHead(file: string, bytes = MP4_SNIFF_BYTES): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function notPlayable(reason: string, rule: string, extra: Record<string, unknown> = {}): AppError {
  return new AppError('VALIDATION_FAILED', `The file is not a playable video: ${reason}.`, {
    rule,
    ...extra,
  });
}

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  tags?: Record<string, string>;
  disposition?: Record<string, number>;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}

interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { duration?: string; format_name?: string };
}

function rate(value: string | undefined): number | null {
  if (!value) return null;
  const [n, d] = value.split('/').map(Number);
  if (!n || !d || !Number.isFinite(n / d)) return null;
  return Math.round((n / d) * 1000) / 1000;
}

function rotationOf(stream: FfprobeStream): number {
  const fromSideData = stream.side_data_list?.find((s) => typeof s.rotation === 'number')?.rotation;
  const raw = fromSideData ?? Number(stream.tags?.rotate ?? 0);
  return Number.isFinite(raw) ? ((Math.round(raw) % 360) + 360) % 360 : 0;
}

/**
 * Input options for every ffprobe/ffmpeg run on an upload. Left to guess, ffmpeg would take a text
 * file for ANSI art (the `tty` demuxer) and an uploaded .m3u8/.concat list would make it read other
 * local files or fetch URLs (ffmpeg's playlist SSRF/disclosure class of bugs). So: the MP4/QuickTime
 * demuxer only, the file protocol only, and the path given as a `file:` URL so a name like
 * `http:…` or `concat:…` can't pick a protocol.
 */
export const SAFE_INPUT = ['-protocol_whitelist', 'file', '-f', 'mov'] as const;

export function safeInputUrl(file: string): string {
  return `file:${path.resolve(file)}`;
}

/** Error text for the uploader, without our temp paths in it. */
export function hidePath(text: string, file: string): string {
  return text.split(safeInputUrl(file)).join('the upload').split(path.resolve(file)).join('the upload');
}

/** Runs a tool, resolving with stdout; a missing binary is a server problem, not the uploader's. */
export function runTool(
  tool: string,
  args: string[],
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      tool,
      args,
      {
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
        killSignal: 'SIGKILL',
        signal: opts.signal,
        windowsHide: true,
      },
      (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new Error(`${tool} is not installed: install Debian's ffmpeg package (apt-get install ffmpeg).`),
          );
          return;
        }
        if (err && (err.name === 'AbortError' || (err as { killed?: boolean }).killed)) {
          reject(err.name === 'AbortError' ? err : new Error(`${tool} timed out`));
          return;
        }
        const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
        resolve({ code: Number.isFinite(code) ? code : 1, stdout, stderr });
      },
    );
  });
}

/**
 * Probes a file with ffprobe. Throws AppError('VALIDATION_FAILED') naming the reason (`details.rule`)
 * when it is not something we can make an HLS ladder from: unreadable (`not-a-video`), no video stream
 * (`no-video-stream`, cover art doesn't count), no usable size (`no-dimensions`) or no duration
 * (`no-duration`). A missing ffprobe is a plain Error (a server problem).
 */
export async function probeVideo(file: string, opts: { signal?: AbortSignal } = {}): Promise<VideoProbe> {
  const { code, stdout, stderr } = await runTool(
    'ffprobe',
    [
      '-v',
      'error',
      ...SAFE_INPUT,
      '-print_format',
      'json',
      '-show_streams',
      '-show_format',
      safeInputUrl(file),
    ],
    { signal: opts.signal, timeoutMs: 60_000 },
  );
  if (code !== 0) {
    const why = hidePath(stderr.trim().split('\n').pop() ?? '', file) || `ffprobe exited with ${code}`;
    throw notPlayable(`ffprobe could not read it (${why})`, 'not-a-video');
  }
  let info: FfprobeOutput;
  try {
    info = JSON.parse(stdout) as FfprobeOutput;
  } catch {
    throw notPlayable('ffprobe returned no readable description', 'not-a-video');
  }
  const streams = info.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video) {
    const kinds = [...new Set(streams.map((s) => s.codec_type ?? 'unknown'))];
    throw notPlayable(
      kinds.length ? `it has no video stream (only ${kinds.join(', ')})` : 'it has no audio or video streams',
      'no-video-stream',
      { format: info.format?.format_name },
    );
  }
  if (!video.width || !video.height || video.width < 2 || video.height < 2) {
    throw notPlayable('its video stream has no usable width and height', 'no-dimensions');
  }
  const duration = Number(info.format?.duration ?? video.duration);
  if (!Number.isFinite(duration) || duration <= 0) {
    throw notPlayable('its duration is unknown or zero', 'no-duration');
  }
  const audio = streams.find((s) => s.codec_type === 'audio');
  const sideways = rotationOf(video) % 180 === 90;
  return {
    durationSeconds: Math.round(duration * 1000) / 1000,
    width: sideways ? video.height : video.width,
    height: sideways ? video.width : video.height,
    videoCodec: video.codec_name ?? 'unknown',
    audioCodec: audio ? (audio.codec_name ?? 'unknown') : null,
    frameRate: rate(video.avg_frame_rate) ?? rate(video.r_frame_rate),
    formatName: info.format?.format_name ?? 'unknown',
  };
}
