import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { isAppError } from '../../core/errors.ts';
import { isMp4, probeVideo, readHead } from './detect-video.ts';
import { ffmpegAvailable, makeTestVideo } from './test-media.ts';

const hasFfmpeg = await ffmpegAvailable();
const withFfmpeg = hasFfmpeg ? test : test.skip;

function ftyp(major: string, compatible: string[] = [], size?: number): Buffer {
  const body = Buffer.from(`ftyp${major}\0\0\0\0${compatible.join('')}`, 'latin1');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(size ?? body.length + 4);
  return Buffer.concat([head, body, Buffer.alloc(16)]);
}

let dir: string;
test.before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'crest-detect-'));
});
test.after.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('isMp4 sniffs the ftyp box, by major or compatible brand', (t) => {
  t.true(isMp4(ftyp('isom', ['isom', 'iso2', 'avc1', 'mp41'])));
  t.true(isMp4(ftyp('mp42')));
  t.true(isMp4(ftyp('qt  ', ['qt  ', 'mp42'])), 'a QuickTime file that declares MP4 compatibility');
  t.false(isMp4(ftyp('qt  ', ['qt  '])), 'QuickTime only');
  t.false(isMp4(ftyp('heic', ['mif1', 'heic'])), 'an image in the same container family');
  t.false(isMp4(Buffer.from('PK\x03\x04 a zip archive......', 'latin1')));
  t.false(isMp4(Buffer.from('ftypisom')), 'too short');
  t.false(isMp4(ftyp('isom', [], 8)), 'a box too small to hold its brand');
  t.false(isMp4(Buffer.alloc(0)));
});

withFfmpeg('probeVideo reads duration, size and codecs of a real MP4', async (t) => {
  const file = path.join(dir, 'ok.mp4');
  await makeTestVideo(file, { width: 640, height: 360, seconds: 1 });
  t.true(isMp4(await readHead(file)));
  const probe = await probeVideo(file);
  t.like(probe, { width: 640, height: 360, videoCodec: 'h264', audioCodec: 'aac', frameRate: 25 });
  t.true(Math.abs(probe.durationSeconds - 1) < 0.1);

  const silent = path.join(dir, 'silent.mp4');
  await makeTestVideo(silent, { width: 320, height: 240, seconds: 1, audio: false });
  t.is((await probeVideo(silent)).audioCodec, null);
});

withFfmpeg('probeVideo refuses what is not a playable video, naming the reason', async (t) => {
  const text = path.join(dir, 'notes.txt');
  await writeFile(text, 'these are not the frames you are looking for\n'.repeat(20));
  const notVideo = await t.throwsAsync(probeVideo(text));
  t.true(isAppError(notVideo) && notVideo.code === 'VALIDATION_FAILED');
  t.regex(notVideo!.message, /^The file is not a playable video: ffprobe could not read it \(.+\)\.$/);
  t.false(notVideo!.message.includes(dir), 'no server paths in a message meant for the uploader');
  t.is((notVideo as { details?: { rule?: string } }).details?.rule, 'not-a-video');

  // Auto-detection would play a text file as ANSI art and follow a playlist to other files.
  const playlist = path.join(dir, 'sneaky.mp4');
  await writeFile(playlist, `#EXTM3U\n#EXTINF:1,\nfile://${path.join(dir, 'ok.mp4')}\n#EXT-X-ENDLIST\n`);
  const refused = await t.throwsAsync(probeVideo(playlist));
  t.is((refused as { details?: { rule?: string } }).details?.rule, 'not-a-video');

  const m4a = path.join(dir, 'tone.m4a');
  const { execFile } = await import('node:child_process');
  await new Promise<void>((resolve, reject) =>
    execFile(
      'ffmpeg',
      [
        '-loglevel',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440',
        '-t',
        '0.5',
        '-c:a',
        'aac',
        m4a,
      ],
      (err) => (err ? reject(err) : resolve()),
    ),
  );
  const audioOnly = await t.throwsAsync(probeVideo(m4a));
  t.is(audioOnly!.message, 'The file is not a playable video: it has no video stream (only audio).');
  t.is((audioOnly as { details?: { rule?: string } }).details?.rule, 'no-video-stream');
});
