import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { isAppError } from '../../core/errors.ts';
import { contentTypeFor } from '../archive/content-type.ts';
import { parseMasterPlaylist } from './master-playlist.ts';
import { ffmpegAvailable, makeTestVideo } from './test-media.ts';
import { DEFAULT_LADDER, ffmpegArgs, frameFor, selectRungs, transcodeToHls } from './transcode-hls.ts';

const hasFfmpeg = await ffmpegAvailable();
const withFfmpeg = hasFfmpeg ? test : test.skip;

let dir: string;
test.before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'crest-hls-'));
});
test.after.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

test('selectRungs skips rungs taller than the source and always keeps one', (t) => {
  const names = (w: number, h: number) =>
    selectRungs(DEFAULT_LADDER, { width: w, height: h }).map((r) => r.name);
  t.deepEqual(names(1920, 1080), ['720p', '480p', '360p']);
  t.deepEqual(names(1280, 720), ['720p', '480p', '360p']);
  t.deepEqual(names(854, 480), ['480p', '360p']);
  t.deepEqual(names(640, 360), ['360p']);
  // Smaller than the smallest rung: one rendition at the source's (even) height, never an upscale.
  t.deepEqual(selectRungs(DEFAULT_LADDER, { width: 320, height: 241 }), [
    { name: '240p', height: 240, videoKbps: 800, audioKbps: 96 },
  ]);
  // Portrait: sized by the short side, like the landscape ladder.
  t.deepEqual(names(1080, 1920), ['720p', '480p', '360p']);
  t.deepEqual(names(480, 854), ['480p', '360p']);
  t.deepEqual(frameFor({ width: 1080, height: 1920 }, DEFAULT_LADDER[0]!), { width: 720, height: 1280 });
  t.deepEqual(frameFor({ width: 1920, height: 1080 }, DEFAULT_LADDER[1]!), { width: 854, height: 480 });
  t.throws(() => selectRungs([], { width: 1, height: 1 }), { message: /empty/ });
  t.throws(() =>
    selectRungs([{ name: '../x', height: 1, videoKbps: 1, audioKbps: 1 }], { width: 2, height: 2 }),
  );
});

test('one ffmpeg pass: split + scale per rung, one HLS muxer with a variant stream map', (t) => {
  const args = ffmpegArgs('in.mp4', '/out', DEFAULT_LADDER, { hasAudio: true, segmentSeconds: 4 });
  const at = (flag: string) => args[args.indexOf(flag) + 1];
  t.is(
    at('-filter_complex'),
    '[0:v]split=3[s0][s1][s2];[s0]scale=-2:720,format=yuv420p[v0];[s1]scale=-2:480,format=yuv420p[v1];[s2]scale=-2:360,format=yuv420p[v2]',
  );
  t.is(at('-var_stream_map'), 'v:0,a:0,name:720p v:1,a:1,name:480p v:2,a:2,name:360p');
  t.is(at('-hls_time'), '4');
  t.is(at('-hls_playlist_type'), 'vod');
  t.is(at('-hls_flags'), 'independent_segments');
  t.is(at('-preset'), 'veryfast');
  t.is(at('-progress'), 'pipe:1');
  t.is(args.filter((a) => a === '-i').length, 1, 'decoded once');
  const silent = ffmpegArgs('in.mp4', '/out', DEFAULT_LADDER.slice(2), {
    hasAudio: false,
    segmentSeconds: 4,
  });
  t.is(silent[silent.indexOf('-var_stream_map') + 1], 'v:0,name:360p');
  t.is(silent[silent.indexOf('-filter_complex') + 1], '[0:v]null[s0];[s0]scale=-2:360,format=yuv420p[v0]');
  const portrait = ffmpegArgs('in.mp4', '/out', DEFAULT_LADDER.slice(2), {
    hasAudio: false,
    segmentSeconds: 4,
    portrait: true,
  });
  t.is(
    portrait[portrait.indexOf('-filter_complex') + 1],
    '[0:v]null[s0];[s0]scale=360:-2,format=yuv420p[v0]',
  );
  t.deepEqual(args.slice(args.indexOf('-i') - 4, args.indexOf('-i') + 2), [
    '-protocol_whitelist',
    'file',
    '-f',
    'mov',
    '-i',
    `file:${path.resolve('in.mp4')}`,
  ]);
  t.false(silent.includes('0:a:0'));
  t.false(silent.includes('-c:a'));
});

withFfmpeg('a 720p source becomes a 720p/480p/360p ladder with master.m3u8', async (t) => {
  const src = path.join(dir, 'hd.mp4');
  await makeTestVideo(src, { width: 1280, height: 720, seconds: 5 });
  const out = path.join(dir, 'hd-hls');
  const ratios: number[] = [];
  const result = await transcodeToHls(src, out, { onProgress: (r) => ratios.push(r) });

  const master = await readFile(path.join(out, 'master.m3u8'), 'utf8');
  const variants = parseMasterPlaylist(master);
  t.deepEqual(
    variants.map((v) => [v.uri, `${v.width}x${v.height}`]),
    [
      ['720p/index.m3u8', '1280x720'],
      ['480p/index.m3u8', '854x480'],
      ['360p/index.m3u8', '640x360'],
    ],
  );
  t.regex(master, /RESOLUTION=1280x720/);
  t.regex(master, /RESOLUTION=854x480/);
  t.regex(master, /RESOLUTION=640x360/);
  for (const v of variants) {
    t.true(v.bandwidth > 0);
    t.regex(v.codecs ?? '', /^avc1\.[0-9a-f]{6},mp4a\.40\.2$/, 'H.264 + AAC-LC');
  }
  t.deepEqual(
    result.renditions.map((r) => [r.name, r.width, r.height, r.playlist]),
    [
      ['720p', 1280, 720, '720p/index.m3u8'],
      ['480p', 854, 480, '480p/index.m3u8'],
      ['360p', 640, 360, '360p/index.m3u8'],
    ],
  );

  for (const rung of ['720p', '480p', '360p']) {
    const playlist = await readFile(path.join(out, rung, 'index.m3u8'), 'utf8');
    t.regex(playlist, /#EXT-X-PLAYLIST-TYPE:VOD/);
    t.regex(playlist, /#EXT-X-INDEPENDENT-SEGMENTS/);
    t.regex(playlist, /#EXT-X-ENDLIST/);
    const durations = [...playlist.matchAll(/#EXTINF:([\d.]+),/g)].map((m) => Number(m[1]));
    t.is(durations.length, 2, '5 s in ~4 s segments');
    t.true(Math.abs(durations[0]! - 4) < 0.1, `first segment ${durations[0]} s`);
    const target = Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(playlist)![1]);
    t.true(target <= 4);
    const segments = [...playlist.matchAll(/^(seg_\d{5}\.ts)$/gm)].map((m) => m[1]!);
    t.deepEqual(segments, ['seg_00000.ts', 'seg_00001.ts']);
    for (const s of segments) {
      const head = await readFile(path.join(out, rung, s));
      t.is(head[0], 0x47, 'an MPEG-TS sync byte');
    }
  }
  t.deepEqual(result.files, [
    '360p/index.m3u8',
    '360p/seg_00000.ts',
    '360p/seg_00001.ts',
    '480p/index.m3u8',
    '480p/seg_00000.ts',
    '480p/seg_00001.ts',
    '720p/index.m3u8',
    '720p/seg_00000.ts',
    '720p/seg_00001.ts',
    'master.m3u8',
  ]);
  t.deepEqual([...new Set(result.files.map(contentTypeFor))].sort(), [
    'application/vnd.apple.mpegurl',
    'video/mp2t',
  ]);
  t.true(ratios.length > 0);
  t.is(ratios.at(-1), 1);
  t.deepEqual(
    ratios,
    [...ratios].sort((a, b) => a - b),
    'progress only moves forward',
  );
});

withFfmpeg('a 360p source without sound yields one video-only rung', async (t) => {
  const src = path.join(dir, 'small.mp4');
  await makeTestVideo(src, { width: 640, height: 360, seconds: 2, audio: false });
  const out = path.join(dir, 'small-hls');
  const result = await transcodeToHls(src, out);
  t.deepEqual(
    result.renditions.map((r) => [r.name, r.width, r.height, r.audioKbps]),
    [['360p', 640, 360, null]],
  );
  const variants = parseMasterPlaylist(await readFile(path.join(out, 'master.m3u8'), 'utf8'));
  t.is(variants.length, 1);
  t.is(variants[0]!.uri, '360p/index.m3u8');
  t.is(`${variants[0]!.width}x${variants[0]!.height}`, '640x360');
  t.notRegex(variants[0]!.codecs ?? '', /mp4a/);
  t.true(result.files.includes('360p/seg_00000.ts'));
});

withFfmpeg('abort kills ffmpeg and leaves no output behind', async (t) => {
  const src = path.join(dir, 'long.mp4');
  await makeTestVideo(src, { width: 640, height: 360, seconds: 20, audio: false });
  const out = path.join(dir, 'long-hls');
  const controller = new AbortController();
  let seen = 0;
  const started = Date.now();
  const err = await t.throwsAsync(
    transcodeToHls(src, out, {
      signal: controller.signal,
      onProgress: (r) => {
        seen = r;
        if (r > 0) controller.abort(new Error('stop: the import was cancelled'));
      },
    }),
  );
  t.is(err!.message, 'stop: the import was cancelled');
  t.true(seen < 1, 'stopped before the end');
  t.true(Date.now() - started < 30_000);
  t.false(await exists(out), 'the output folder is gone');
});

withFfmpeg('a file ffprobe cannot read is refused before ffmpeg runs, and nothing is written', async (t) => {
  const src = path.join(dir, 'garbage.mp4');
  await writeFile(
    src,
    Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(4000, 7)]),
  );
  const out = path.join(dir, 'garbage-hls');
  const err = await t.throwsAsync(transcodeToHls(src, out));
  t.true(isAppError(err));
  t.regex(err!.message, /^The file is not a playable video: /);
  t.false(await exists(out));
});

test('an output folder that is not empty is refused', async (t) => {
  const out = path.join(dir, 'busy');
  await writeFile(path.join(dir, 'placeholder'), '');
  await rm(out, { recursive: true, force: true });
  const { mkdir } = await import('node:fs/promises');
  await mkdir(out);
  await writeFile(path.join(out, 'keep.txt'), 'mine');
  await t.throwsAsync(transcodeToHls(path.join(dir, 'placeholder'), out), { message: /is not empty/ });
  t.true(await exists(path.join(out, 'keep.txt')));
});
