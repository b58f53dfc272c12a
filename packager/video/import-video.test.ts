import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { isAppError } from '../../core/errors.ts';
import { validateStatements } from '../../lrs/input/validate-statement.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import { createFolderBlobStore } from '../../storage/folder.ts';
import { chromiumFor, launchChromium } from '../../test/chromium.ts';
import { type ImportVideoResult, importVideo, type VideoImportProgress } from './import-video.ts';
import { ffmpegAvailable, makeTestVideo } from './test-media.ts';

const hasFfmpeg = await ffmpegAvailable();
const withFfmpeg = hasFfmpeg ? test.serial : test.serial.skip;

const hasChromium = chromiumFor('the video lesson playback test');
const withBrowser = hasFfmpeg && hasChromium ? test.serial : test.serial.skip;

const TENANT = 'videos';
let dir: string;
let store: BlobStore;
let hd: string;
let small: string;
let imported: ImportVideoResult | undefined;
const HD_PREFIX = `tenants/${TENANT}/courses/2b1f6a3c-0d7e-4c39-9a55-5c1e8f7d3b21/v1/`;

async function keys(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const b of store.list(prefix)) out.push(b.key.slice(prefix.length));
  return out;
}

/** Other test files import videos at the same time, so this file's imports work in a folder of its own. */
let workRoot: string;
async function workDirs(): Promise<string[]> {
  return (await readdir(workRoot)).filter((n) => n.startsWith('crest-video-'));
}

test.before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'crest-import-video-'));
  store = createFolderBlobStore({ root: path.join(dir, 'blobs') });
  workRoot = path.join(dir, 'work');
  await mkdir(workRoot);
  if (!hasFfmpeg) return;
  hd = path.join(dir, 'lecture.mp4');
  small = path.join(dir, 'small.mp4');
  await Promise.all([
    makeTestVideo(hd, { width: 1280, height: 720, seconds: 3 }),
    makeTestVideo(small, { width: 640, height: 360, seconds: 1 }),
  ]);
});
test.after.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

withFfmpeg(
  'an MP4 becomes original.mp4, an HLS ladder, hls.js and the lesson under the version prefix',
  async (t) => {
    const before = await workDirs();
    const progress: VideoImportProgress[] = [];
    const result = await importVideo({
      file: hd,
      store,
      prefix: HD_PREFIX,
      title: 'Fire safety <basics>',
      workRoot,
      onProgress: (p) => progress.push(p),
    });
    imported = result;
    const stored = await keys(HD_PREFIX);
    t.deepEqual(stored, [
      'hls.min.js',
      'hls/360p/index.m3u8',
      'hls/360p/seg_00000.ts',
      'hls/480p/index.m3u8',
      'hls/480p/seg_00000.ts',
      'hls/720p/index.m3u8',
      'hls/720p/seg_00000.ts',
      'hls/master.m3u8',
      'index.html',
      'original.mp4',
    ]);
    t.deepEqual([...result.paths].sort(), stored);
    t.is(result.files, stored.length);
    let bytes = 0;
    const types: Record<string, string> = {};
    for (const k of stored) {
      const info = (await store.head(HD_PREFIX + k))!;
      bytes += info.size;
      types[k.replace(/\d{5}/, 'N').replace(/\d+p\//, 'Rp/')] = info.contentType;
    }
    t.is(result.bytes, bytes);
    t.deepEqual(types, {
      'hls.min.js': 'text/javascript',
      'hls/Rp/index.m3u8': 'application/vnd.apple.mpegurl',
      'hls/Rp/seg_N.ts': 'video/mp2t',
      'hls/master.m3u8': 'application/vnd.apple.mpegurl',
      'index.html': 'text/html',
      'original.mp4': 'video/mp4',
    });
    t.is(result.launchPath, 'index.html');
    t.like(result.model, {
      standard: 'video',
      title: 'Fire safety <basics>',
      width: 1280,
      height: 720,
      videoCodec: 'h264',
      audioCodec: 'aac',
      completionThreshold: 0.95,
      hls: 'hls/master.m3u8',
      original: 'original.mp4',
    });
    t.true(Math.abs(result.model.durationSeconds - 3) < 0.1);
    t.deepEqual(
      result.model.renditions.map((r) => [r.name, `${r.width}x${r.height}`, r.playlist]),
      [
        ['720p', '1280x720', 'hls/720p/index.m3u8'],
        ['480p', '854x480', 'hls/480p/index.m3u8'],
        ['360p', '640x360', 'hls/360p/index.m3u8'],
      ],
    );
    const html = await new Response((await store.get(`${HD_PREFIX}index.html`)).body as never).text();
    t.true(html.includes('<title>Fire safety &lt;basics&gt;</title>'));
    t.deepEqual([...new Set(progress.map((p) => p.phase))], ['probing', 'transcoding', 'uploading']);
    t.is(progress.at(-1)!.ratio, 1);
    t.is(progress.at(-1)!.files, stored.length);
    t.deepEqual(await workDirs(), before, 'the local work folder is removed');
  },
);

withFfmpeg('a file that is not an MP4 is refused and nothing is stored', async (t) => {
  const zip = path.join(dir, 'course.zip');
  await writeFile(zip, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(200)]));
  const prefix = `tenants/${TENANT}/courses/5d0f0b8e-1111-4c39-9a55-5c1e8f7d3b21/v1/`;
  const err = await t.throwsAsync(importVideo({ file: zip, store, prefix, title: 'x', workRoot }));
  t.true(isAppError(err) && err.code === 'VALIDATION_FAILED');
  t.regex(err!.message, /^The file is not an MP4 video/);
  t.deepEqual(await keys(prefix), []);
});

withFfmpeg('a failed upload deletes everything written under the prefix', async (t) => {
  const prefix = `tenants/${TENANT}/courses/6e1f0b8e-2222-4c39-9a55-5c1e8f7d3b21/v1/`;
  let puts = 0;
  const flaky: BlobStore = {
    ...store,
    list: (p) => store.list(p),
    deletePrefix: (p) => store.deletePrefix(p),
    put: async (key, body, opts) => {
      if (++puts === 3) {
        if (typeof body === 'object' && 'destroy' in body) body.destroy();
        throw new Error('S3 said no');
      }
      return store.put(key, body, opts);
    },
  };
  const before = await workDirs();
  await t.throwsAsync(
    importVideo({ file: small, store: flaky, prefix, title: 'x', workRoot, concurrency: 1 }),
    {
      message: 'S3 said no',
    },
  );
  t.true(puts >= 3);
  t.deepEqual(await keys(prefix), [], 'nothing left behind');
  t.deepEqual(await workDirs(), before);
});

withFfmpeg('aborting mid-upload stops, and deletes what was written', async (t) => {
  const prefix = `tenants/${TENANT}/courses/7f2f0b8e-3333-4c39-9a55-5c1e8f7d3b21/v1/`;
  const controller = new AbortController();
  const err = await t.throwsAsync(
    importVideo({
      file: small,
      store,
      prefix,
      title: 'x',
      workRoot,
      concurrency: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'uploading' && (p.files ?? 0) >= 2) controller.abort(new Error('cancelled'));
      },
    }),
  );
  t.is(err!.message, 'cancelled');
  t.deepEqual(await keys(prefix), []);
  t.deepEqual(await workDirs(), [], 'the local work folder is removed');
});

withFfmpeg('a version prefix that already holds files is a conflict', async (t) => {
  const prefix = `tenants/${TENANT}/courses/8a3f0b8e-4444-4c39-9a55-5c1e8f7d3b21/v1/`;
  await store.put(`${prefix}index.html`, 'someone else');
  const err = await t.throwsAsync(importVideo({ file: small, store, prefix, title: 'x', workRoot }));
  t.true(isAppError(err) && err.code === 'CONFLICT');
  t.deepEqual(await keys(prefix), ['index.html']);
});

/** Serves the stored version at /content/… and records xAPI POSTs at /xapi/statements. */
async function serve(prefix: string) {
  const faults = { failHls: false };
  const requests: string[] = [];
  const posts: { headers: http.IncomingHttpHeaders; body: unknown }[] = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname);
    try {
      if (req.method === 'POST' && url.pathname === '/xapi/statements') {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        posts.push({ headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify((body as { id: string }[]).map((s) => s.id)));
        return;
      }
      if (faults.failHls && url.pathname.startsWith('/content/hls/')) {
        res.writeHead(404).end();
        return;
      }
      if (url.pathname.startsWith('/content/')) {
        const blob = await store.get(prefix + decodeURIComponent(url.pathname.slice('/content/'.length)));
        res.writeHead(200, { 'content-type': blob.contentType, 'content-length': blob.size });
        blob.body.pipe(res);
        return;
      }
      res.writeHead(404).end();
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    faults,
    requests,
    posts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

withBrowser(
  'the lesson plays the ladder with hls.js in Chromium and reports xAPI Video Profile statements',
  async (t) => {
    t.timeout(60_000);
    if (!imported) {
      t.fail('the import test did not run first');
      return;
    }
    const site = await serve(HD_PREFIX);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const registration = '0b7c2d4e-5f60-4a1b-8c2d-3e4f5a6b7c8d';
      const launch = new URLSearchParams({
        endpoint: `${site.origin}/xapi/`,
        auth: 'Basic a2V5OnNlY3JldA==',
        actor: JSON.stringify({ objectType: 'Agent', name: 'Ada', mbox: 'mailto:ada@example.com' }),
        registration,
        activity_id: 'https://crest.example/activities/fire-safety',
      });
      await page.goto(`${site.origin}/content/index.html?${launch}`);
      await page.waitForFunction(
        () => {
          const v = document.querySelector('video')!;
          return (
            (window as unknown as { crestVideo: { engine: string } }).crestVideo.engine === 'hls.js' &&
            v.readyState >= 2
          );
        },
        undefined,
        { timeout: 15_000 },
      );
      // Muted, so the autoplay policy lets a script start it; play to the end (3 s).
      await page.evaluate(async () => {
        const v = document.querySelector('video')!;
        v.muted = true;
        await v.play();
      });
      await page.waitForFunction(() => document.querySelector('video')!.ended, undefined, {
        timeout: 20_000,
      });
      const state = await page.evaluate(() => {
        const v = document.querySelector('video')!;
        const cv = (window as unknown as { crestVideo: { engine: string; fallbackReason: string | null } })
          .crestVideo;
        return {
          engine: cv.engine,
          fallback: cv.fallbackReason,
          readyState: v.readyState,
          time: v.currentTime,
        };
      });
      t.is(state.engine, 'hls.js');
      t.is(state.fallback, null, 'no fallback to the MP4');
      t.true(state.readyState >= 2);
      t.true(state.time > 2.9);
      t.true(site.requests.includes('/content/hls/master.m3u8'));
      t.true(
        site.requests.some((r) => /^\/content\/hls\/\d+p\/seg_\d{5}\.ts$/.test(r)),
        'segments came over HLS',
      );
      t.false(site.requests.includes('/content/original.mp4'));

      // Wait for the seeked event itself: `seeking` turns false a task before it fires (HTML "seeking" steps), and
      // leaving the page in between drops the seek, which is what the lesson should do with a seek that never ended.
      await page.evaluate(
        () =>
          new Promise<void>((resolve) => {
            const v = document.querySelector('video')!;
            v.addEventListener('seeked', () => setTimeout(resolve, 0), { once: true });
            v.currentTime = 1;
          }),
      );
      await page.goto('about:blank'); // pagehide: terminated goes out with keepalive
      const deadline = Date.now() + 5_000;
      const verbsSeen = () =>
        site.posts.flatMap((p) => (p.body as { verb: { id: string } }[]).map((s) => s.verb.id));
      while (!verbsSeen().some((v) => v.endsWith('/terminated')) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const verbs = verbsSeen().map((v) => v.split('/').pop());
      // completed comes at the timeupdate or the pause that reaches 95 %, whichever the browser fires first.
      t.deepEqual(
        verbs.filter((v) => v !== 'completed'),
        ['initialized', 'played', 'paused', 'seeked', 'terminated'],
      );
      t.is(verbs.filter((v) => v === 'completed').length, 1);
      t.true(verbs.indexOf('completed') < verbs.indexOf('seeked'));
      const statements = site.posts.flatMap((p) => p.body as Record<string, unknown>[]);
      t.notThrows(() => validateStatements(statements, '2.0.0'));
      for (const p of site.posts) {
        t.is(p.headers['x-experience-api-version'], '2.0.0');
        t.is(p.headers.authorization, 'Basic a2V5OnNlY3JldA==');
      }
      const completed = statements.find((s) => (s.verb as { id: string }).id.endsWith('/completed'))!;
      const ext = (completed.result as { extensions: Record<string, number> }).extensions;
      t.true(ext['https://w3id.org/xapi/video/extensions/progress']! >= 0.95);
      t.is((completed.context as { registration: string }).registration, registration);

      // Broken HLS, opened without launch parameters: it falls back to the MP4, plays, and reports nothing.
      site.faults.failHls = true;
      const posted = site.posts.length;
      await page.goto(`${site.origin}/content/index.html`);
      await page.waitForFunction(
        () => {
          const cv = (window as unknown as { crestVideo: { engine: string } }).crestVideo;
          return cv.engine === 'mp4' && document.querySelector('video')!.readyState >= 2;
        },
        undefined,
        { timeout: 15_000 },
      );
      await page.evaluate(async () => {
        const v = document.querySelector('video')!;
        v.muted = true;
        await v.play();
      });
      await page.waitForFunction(() => document.querySelector('video')!.currentTime > 0.5, undefined, {
        timeout: 10_000,
      });
      const fallback = await page.evaluate(() => {
        const cv = (window as unknown as { crestVideo: { fallbackReason: string; tracking: boolean } })
          .crestVideo;
        return { reason: cv.fallbackReason, tracking: cv.tracking };
      });
      t.regex(fallback.reason, /^hls\.js networkError: manifestLoadError$/);
      t.false(fallback.tracking);
      t.true(site.requests.includes('/content/original.mp4'));
      t.is(site.posts.length, posted, 'no launch parameters, no statements');
      t.deepEqual(errors, []);
    } finally {
      await browser.close();
      await site.close();
    }
  },
);
