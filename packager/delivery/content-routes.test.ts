import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildContentApp } from '../../server/content-app.ts';
import { createFolderBlobStore } from '../../storage/folder.ts';
import { createContentCache } from './content-cache.ts';
import { registerContentRoutes } from './content-routes.ts';
import { signContentScope, verifyContentToken } from './content-signing.ts';
import { parseRange } from './parse-range.ts';

let app: FastifyInstance;
let root: string;
const course = randomUUID();
const base = `/content/acme/${course}/v1`;
const video = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));

test.before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'crest-content-'));
  const blobs = createFolderBlobStore({ root });
  await blobs.put(`tenants/acme/courses/${course}/v1/index.html`, '<html>launch</html>', {
    contentType: 'text/html',
  });
  await blobs.put(`tenants/acme/courses/${course}/v1/media/clip.mp4`, video, { contentType: 'video/mp4' });
  app = buildContentApp({ config: { bodyLimit: 1024, logLevel: 'silent' }, blobs }, { logger: false });
  await app.ready();
});
test.after.always(async () => {
  await app?.close();
  await rm(root, { recursive: true, force: true });
});

test('a versioned file is served with its type, an ETag and immutable caching', async (t) => {
  const res = await app.inject({ url: `${base}/index.html` });
  t.is(res.statusCode, 200);
  t.is(res.body, '<html>launch</html>');
  t.regex(String(res.headers['content-type']), /^text\/html/);
  t.is(res.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.is(res.headers['x-content-type-options'], 'nosniff');
  t.regex(String(res.headers.etag), /^"[0-9a-f]+"$/);
  const again = await app.inject({
    url: `${base}/index.html`,
    headers: { 'if-none-match': String(res.headers.etag) },
  });
  t.is(again.statusCode, 304);
  t.is(again.body, '');
});

test('byte ranges: explicit, open-ended, suffix, and unsatisfiable', async (t) => {
  const r1 = await app.inject({ url: `${base}/media/clip.mp4`, headers: { range: 'bytes=10-19' } });
  t.is(r1.statusCode, 206);
  t.is(r1.headers['content-range'], 'bytes 10-19/1000');
  t.deepEqual(r1.rawPayload, video.subarray(10, 20));
  const r2 = await app.inject({ url: `${base}/media/clip.mp4`, headers: { range: 'bytes=990-' } });
  t.deepEqual(r2.rawPayload, video.subarray(990));
  const r3 = await app.inject({ url: `${base}/media/clip.mp4`, headers: { range: 'bytes=-5' } });
  t.is(r3.headers['content-range'], 'bytes 995-999/1000');
  const r4 = await app.inject({ url: `${base}/media/clip.mp4`, headers: { range: 'bytes=5000-' } });
  t.is(r4.statusCode, 416);
  t.is(r4.headers['content-range'], 'bytes */1000');
  const head = await app.inject({ method: 'HEAD', url: `${base}/media/clip.mp4` });
  t.is(head.statusCode, 200);
  t.is(head.headers['content-length'], '1000');
  t.is(head.headers['accept-ranges'], 'bytes');
});

test('paths outside a course version are not served', async (t) => {
  for (const url of [
    `/content/acme/${course}/v1/../../../x`,
    `/content/acme/${course}/v1/%2e%2e/%2e%2e/x`,
    `/content/ACME/${course}/v1/index.html`,
    `/content/acme/not-a-uuid/v1/index.html`,
    `/content/acme/${course}/v0/index.html`,
    `/content/other/${course}/v1/index.html`,
    `/content/acme/${course}/v1/missing.js`,
  ]) {
    const res = await app.inject({ url });
    t.is(res.statusCode, 404, url);
  }
});

test('parseRange follows RFC 9110', (t) => {
  t.deepEqual(parseRange('bytes=0-0', 10), { start: 0, end: 0 });
  t.deepEqual(parseRange('bytes=5-100', 10), { start: 5, end: 9 });
  t.deepEqual(parseRange('bytes=-3', 10), { start: 7 });
  t.is(parseRange('bytes=10-', 10), 'unsatisfiable');
  t.is(parseRange('bytes=0-1,4-5', 10), undefined, 'multiple ranges get the whole body');
  t.is(parseRange('items=0-1', 10), undefined);
  t.is(parseRange(undefined, 10), undefined);
});

test('private content needs a signed, unexpired token for that very course version', async (t) => {
  const key = 'k'.repeat(40);
  const privateRoot = await mkdtemp(path.join(os.tmpdir(), 'crest-private-'));
  const blobs = createFolderBlobStore({ root: privateRoot });
  const other = randomUUID();
  await blobs.put(`tenants/acme/courses/${course}/v1/index.html`, 'private launch', {
    contentType: 'text/html',
  });
  await blobs.put(`tenants/acme/courses/${course}/v1/media/clip.mp4`, video, { contentType: 'video/mp4' });
  const privateApp = buildContentApp(
    { config: { bodyLimit: 1024, logLevel: 'silent', contentSigning: { key, ttlMs: 60_000 } }, blobs },
    { logger: false },
  );
  try {
    const scope = `acme/${course}/v1`;
    const token = signContentScope(key, scope, 60_000);
    const ok = await privateApp.inject({ url: `/content/${token}/${scope}/index.html` });
    t.is(ok.statusCode, 200);
    t.is(ok.body, 'private launch');
    t.regex(String(ok.headers['cache-control']), /^private/);
    const relative = await privateApp.inject({
      url: `/content/${token}/${scope}/media/clip.mp4`,
      headers: { range: 'bytes=0-1' },
    });
    t.is(relative.statusCode, 206, 'files the page loads relatively carry the same token');
    const refused = [
      `/content/${scope}/index.html`,
      `/content/${token.slice(0, -2)}xx/${scope}/index.html`,
      `/content/${signContentScope(key, scope, -120_000)}/${scope}/index.html`,
      `/content/${signContentScope(key, `acme/${other}/v1`, 60_000)}/${scope}/index.html`,
      `/content/${signContentScope('x'.repeat(40), scope, 60_000)}/${scope}/index.html`,
    ];
    for (const url of refused) {
      const res = await privateApp.inject({ url });
      t.is(res.statusCode, 403, url);
    }
    t.true(verifyContentToken(key, scope, token));
  } finally {
    await privateApp.close();
    await rm(privateRoot, { recursive: true, force: true });
  }
});

test('files too large to keep in memory stream from the store with the same headers and ranges', async (t) => {
  const streamRoot = await mkdtemp(path.join(os.tmpdir(), 'crest-content-stream-'));
  const blobs = createFolderBlobStore({ root: streamRoot });
  const key = `tenants/acme/courses/${course}/v1/media/clip.mp4`;
  await blobs.put(key, video, { contentType: 'video/mp4' });
  const small = Fastify({ logger: false });
  registerContentRoutes(small, { blobs, cache: { maxFileBytes: 100 } });
  try {
    const whole = await small.inject({ url: `${base}/media/clip.mp4` });
    t.is(whole.statusCode, 200);
    t.deepEqual(whole.rawPayload, video);
    t.is(whole.headers['content-length'], '1000');
    const memory = await app.inject({ url: `${base}/media/clip.mp4` });
    t.is(whole.headers.etag, memory.headers.etag, 'streamed and in-memory answers agree');
    const part = await small.inject({ url: `${base}/media/clip.mp4`, headers: { range: 'bytes=10-19' } });
    t.is(part.statusCode, 206);
    t.is(part.headers['content-range'], 'bytes 10-19/1000');
    t.deepEqual(part.rawPayload, video.subarray(10, 20));

    // Replaced behind the cache's back (a version's files never are, but the store allows it): the
    // answer describes the bytes actually sent.
    const replaced = Buffer.alloc(500, 7);
    await blobs.put(key, replaced, { contentType: 'video/mp4' });
    const after = await small.inject({ url: `${base}/media/clip.mp4` });
    t.deepEqual(after.rawPayload, replaced);
    t.is(after.headers['content-length'], '500');
    t.not(after.headers.etag, whole.headers.etag);
  } finally {
    await small.close();
    await rm(streamRoot, { recursive: true, force: true });
  }
});

test('the content cache loads a file once for concurrent requests and forgets missing ones', async (t) => {
  const cacheRoot = await mkdtemp(path.join(os.tmpdir(), 'crest-content-cache-'));
  const blobs = createFolderBlobStore({ root: cacheRoot });
  const key = `tenants/acme/courses/${course}/v1/page.html`;
  await blobs.put(key, 'page', { contentType: 'text/html' });
  let heads = 0;
  const counting = {
    ...blobs,
    head: (k: string) => {
      heads++;
      return blobs.head(k);
    },
  };
  const cache = createContentCache(counting);
  try {
    const all = await Promise.all(Array.from({ length: 20 }, () => cache.get(key)));
    t.is(heads, 1);
    t.true(all.every((f) => f?.bytes?.toString() === 'page'));
    t.is(await cache.get(`${key}.missing`), undefined);
    await blobs.put(`${key}.missing`, 'now here', { contentType: 'text/html' });
    t.is((await cache.get(`${key}.missing`))?.bytes?.toString(), 'now here', 'a miss is not remembered');
  } finally {
    await rm(cacheRoot, { recursive: true, force: true });
  }
});
