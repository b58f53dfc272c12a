import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

// Test helper (not a test file): real ffmpeg, never a mock.

const run = promisify(execFile);

let available: Promise<boolean> | undefined;

/**
 * Whether ffmpeg and ffprobe run here. Without them CI (CI=true) fails outright; a developer's machine
 * skips the video suites with a loud warning instead.
 */
export function ffmpegAvailable(): Promise<boolean> {
  available ??= (async () => {
    try {
      await run('ffmpeg', ['-hide_banner', '-version']);
      await run('ffprobe', ['-hide_banner', '-version']);
      return true;
    } catch {
      if (process.env.CI === 'true') {
        throw new Error(
          'ffmpeg/ffprobe are missing and CI=true: the video suites may not be skipped (apt-get install ffmpeg).',
        );
      }
      console.warn(
        "\n!!! ffmpeg/ffprobe not found: the video transcoding suites are SKIPPED. Install Debian's ffmpeg (apt-get install ffmpeg) to run them.\n",
      );
      return false;
    }
  })();
  return available;
}

export interface TestVideo {
  width: number;
  height: number;
  seconds: number;
  audio?: boolean;
  rate?: number;
}

/** Writes a test pattern MP4 (H.264, plus a 440 Hz AAC tone unless `audio: false`) with ffmpeg's lavfi sources. */
export async function makeTestVideo(file: string, v: TestVideo): Promise<void> {
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=${v.width}x${v.height}:rate=${v.rate ?? 25}`,
  ];
  if (v.audio !== false) args.push('-f', 'lavfi', '-i', 'sine=frequency=440');
  args.push('-t', String(v.seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (v.audio !== false) args.push('-c:a', 'aac');
  args.push('-movflags', '+faststart', file);
  await run('ffmpeg', args);
}
