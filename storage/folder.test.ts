import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import test from 'ava';
import { type BlobStore, tenantKey } from './blob-store.ts';
import { runBlobStoreContract } from './contract.ts';
import { createFolderBlobStore } from './folder.ts';

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'crest-blobs-'));
}

// Every file below `dir`, relative to it; folders only show up through the files they hold.
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

runBlobStoreContract(
  test,
  'folder',
  async () => {
    const root = await tempDir();
    return {
      store: createFolderBlobStore({ root }),
      dispose: () => rm(root, { recursive: true, force: true }),
    };
  },
  // The folder store has no pages to get wrong, and each put costs four fsyncs; a few hundred keys still
  // check order and counts at scale without slowing the suite.
  { pagingKeys: 300 },
);

// A deferred put keeps content and record in one file (v2) rather than a data file and a record: the
// whole contract again, with every put deferred.
runBlobStoreContract(
  test,
  'folder (deferred puts)',
  async () => {
    const root = await tempDir();
    const inner = createFolderBlobStore({ root });
    const store: BlobStore = {
      ...inner,
      put: (key, body, opts) => inner.put(key, body, { ...opts, deferDurability: true }),
    };
    return { store, dispose: () => rm(root, { recursive: true, force: true }) };
  },
  { pagingKeys: 300 },
);

test('folder: etag is the hex md5 of the content', async (t) => {
  const root = await tempDir();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const store = createFolderBlobStore({ root });
  const body = Buffer.from('the quick brown fox');
  const put = await store.put(tenantKey('acme', 'fox.txt'), Readable.from([body]));
  t.is(put.etag, createHash('md5').update(body).digest('hex'));
});

test('folder: an etag the caller supplies is recorded instead of a hash; a malformed one is refused', async (t) => {
  const root = await tempDir();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const store = createFolderBlobStore({ root });
  const key = tenantKey('acme', 'v1', 'fox.txt');
  const put = await store.put(key, Readable.from([Buffer.from('the quick brown fox')]), {
    etag: '414fa3390000000013',
    deferDurability: true,
  });
  t.like(put, { etag: '414fa3390000000013', size: 19 });
  t.like(await store.head(key), { etag: '414fa3390000000013', size: 19 });
  const got = await store.get(key);
  t.is((await readAll(got.body)).toString(), 'the quick brown fox');
  t.is(got.etag, '414fa3390000000013');
  for (const etag of ['', 'ABC', '"abc"', 'a'.repeat(65), 'abc\r\n']) {
    const err = await t.throwsAsync(store.put(tenantKey('acme', 'bad'), 'x', { etag }));
    t.is((err as { code?: string }).code, 'VALIDATION_FAILED', etag);
  }
  t.is(await store.head(tenantKey('acme', 'bad')), undefined);
  await store.flushDeferred?.();
});

test('folder: a failed write leaves no temporary or data files behind', async (t) => {
  const root = await tempDir();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const store = createFolderBlobStore({ root });
  await store.put(tenantKey('acme', 'kept'), 'kept');
  const before = await filesUnder(root);
  const failing = new Readable({
    read() {
      this.push(Buffer.alloc(256 * 1024, 1));
      this.destroy(new Error('client went away'));
    },
  });
  await t.throwsAsync(store.put(tenantKey('acme', 'lost'), failing), { message: /client went away/ });
  t.deepEqual(await filesUnder(root), before);
  t.deepEqual(await readdir(path.join(root, 'tmp')), []);
});

test('folder: refused keys and prefixes touch nothing on disk', async (t) => {
  const parent = await tempDir();
  t.teardown(() => rm(parent, { recursive: true, force: true }));
  const root = path.join(parent, 'blobs');
  const store = createFolderBlobStore({ root });
  for (const key of [
    'tenants/acme/../../../escape',
    'tenants/acme/..',
    '../escape',
    'tenants/acme/a\\..\\..\\b',
  ]) {
    await t.throwsAsync(store.put(key, 'x'), { code: 'BLOB_KEY_INVALID' });
    await t.throwsAsync(store.deletePrefix(key), { code: 'BLOB_KEY_INVALID' });
  }
  t.deepEqual(await readdir(parent), [], 'not even the blob folder was created');
});

test('folder: names that look like dots or our markers stay inside the blob folder', async (t) => {
  const parent = await tempDir();
  t.teardown(() => rm(parent, { recursive: true, force: true }));
  const root = path.join(parent, 'blobs');
  const store = createFolderBlobStore({ root });
  const keys = ['...', '..x', '.hidden', '+a', '=b', '=b/+c', 'tmp', 'data', 'keys', ' '].map((k) =>
    tenantKey('acme', k),
  );
  for (const key of keys) await store.put(key, key);
  t.deepEqual(await readdir(parent), ['blobs']);
  t.deepEqual((await readdir(root)).sort(), ['data', 'keys', 'tmp']);
  const listed: string[] = [];
  for await (const info of store.list('tenants/acme/')) listed.push(info.key);
  t.deepEqual(
    listed,
    [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
  );
  for (const key of keys) t.is((await readAll((await store.get(key)).body)).toString(), key);
});

test('folder: a download in progress keeps its bytes across an overwrite, and the old data is freed', async (t) => {
  const root = await tempDir();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const store = createFolderBlobStore({ root });
  const key = tenantKey('acme', 'video.mp4');
  await store.put(key, Buffer.alloc(300_000, 1));
  const reading = await store.get(key);
  await store.put(key, Buffer.alloc(1000, 2));
  const old = await readAll(reading.body);
  t.is(old.length, 300_000);
  t.true(old.every((b) => b === 1));
  t.is((await readAll((await store.get(key)).body)).length, 1000);
  const data = (await filesUnder(root)).filter((f) => f.startsWith(`data${path.sep}`));
  t.is(data.length, 1, 'only the current version has a data file');
});

test('folder: deleting blobs removes their files and the folders left empty', async (t) => {
  const root = await tempDir();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const store = createFolderBlobStore({ root });
  await store.put(tenantKey('acme', 'a/b/c/deep.txt'), 'deep');
  await store.put(tenantKey('acme', 'a/other.txt'), 'other');
  await store.delete(tenantKey('acme', 'a/b/c/deep.txt'));
  t.is((await filesUnder(root)).filter((f) => f.startsWith(`keys${path.sep}`)).length, 1);
  t.is(await store.deletePrefix('tenants/acme/'), 1);
  t.deepEqual(await filesUnder(root), []);
  t.deepEqual(await readdir(path.join(root, 'keys')), []);
  t.deepEqual(await readdir(path.join(root, 'data')), []);
});

test('folder: blobs survive a new store on the same folder (a restart)', async (t) => {
  const root = await tempDir();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const put = await createFolderBlobStore({ root }).put(tenantKey('acme', 'persisted'), 'still here', {
    contentType: 'text/plain',
  });
  const reopened = createFolderBlobStore({ root });
  const got = await reopened.get(tenantKey('acme', 'persisted'));
  t.like(got, { etag: put.etag, contentType: 'text/plain', size: 10 });
  t.deepEqual(got.lastModified, put.lastModified);
  t.is((await readAll(got.body)).toString(), 'still here');
});

test('folder: ping names the folder and the fix when it is unusable', async (t) => {
  const parent = await tempDir();
  t.teardown(() => rm(parent, { recursive: true, force: true }));
  const root = path.join(parent, 'not-a-folder');
  await writeFile(root, 'a file where the blob folder should be');
  const err = await t.throwsAsync(createFolderBlobStore({ root }).ping());
  t.true(err!.message.includes(root));
  t.regex(err!.message, /CREST_BLOB_DIR/);
});

// Serial: it counts fsyncs process-wide, so no other test may write meanwhile (ava runs serial tests first).
test.serial('folder: deferred writes are readable at once and fsynced by flushDeferred, once', async (t) => {
  const root = await tempDir();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const store = createFolderBlobStore({ root });
  await store.ping();
  const probe = await open(path.join(root, 'tmp'), 'r');
  const proto = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
  await probe.close();
  const realSync = proto.sync;
  let syncs = 0;
  proto.sync = function (this: unknown) {
    syncs++;
    return realSync.call(this);
  };
  t.teardown(() => {
    proto.sync = realSync;
  });
  const keys = ['a/1.js', 'a/2.js', 'b/3.js'].map((k) => tenantKey('acme', 'courses', 'c1', 'v1', k));
  for (const key of keys) await store.put(key, `content of ${key}`, { deferDurability: true });
  t.is(syncs, 0, 'no fsync while writing');
  t.is((await readAll((await store.get(keys[0]!)).body)).toString(), `content of ${keys[0]}`);
  await store.delete(keys[2]!); // gone before the flush: the flush must not trip over it
  await store.flushDeferred!();
  // 2 key files (a deferred write keeps content and record in one file), then their folder keys/…/a/.
  t.true(syncs >= 3, `${syncs} fsyncs`);
  const after = syncs;
  await store.flushDeferred!();
  t.is(syncs, after, 'a second flush has nothing left to do');
});

test.serial(
  'folder: flushing many deferred writes syncs the filesystem once instead of each file (Linux)',
  async (t) => {
    const root = await tempDir();
    t.teardown(() => rm(root, { recursive: true, force: true }));
    const store = createFolderBlobStore({ root });
    await store.ping();
    const probe = await open(path.join(root, 'tmp'), 'r');
    const proto = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
    await probe.close();
    const realSync = proto.sync;
    let syncs = 0;
    proto.sync = function (this: unknown) {
      syncs++;
      return realSync.call(this);
    };
    t.teardown(() => {
      proto.sync = realSync;
    });
    const keys = Array.from({ length: 70 }, (_, i) => tenantKey('acme', 'courses', 'c1', 'v1', `f${i}.js`));
    for (const key of keys) await store.put(key, `content of ${key}`, { deferDurability: true });
    await store.flushDeferred!();
    // Where coreutils' sync --file-system is missing (or not Linux), the fsyncs stand in for it.
    let syncfs = process.platform === 'linux';
    try {
      execFileSync('sync', ['--file-system', root]);
    } catch {
      syncfs = false;
    }
    if (syncfs) t.is(syncs, 0, 'one syncfs, no fsync per file');
    else t.true(syncs >= 70, `${syncs} fsyncs`);
    t.is((await readAll((await store.get(keys[69]!)).body)).toString(), `content of ${keys[69]}`);
  },
);

test('folder: localFile names the file holding a blob’s bytes, and nothing for a missing key', async (t) => {
  const root = await tempDir();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const store = createFolderBlobStore({ root });
  const key = tenantKey('acme', 'uploads', 'u.zip');
  await store.put(key, 'zip bytes');
  const file = await store.localFile!(key);
  t.truthy(file);
  t.true(file!.startsWith(path.join(root, 'data')));
  t.is(await readFile(file!, 'utf8'), 'zip bytes');
  t.is(await store.localFile!(tenantKey('acme', 'uploads', 'missing.zip')), undefined);
});

test('folder: a deferred put keeps content and record in one file; overwrites across the two layouts free the old bytes', async (t) => {
  const root = await tempDir();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const store = createFolderBlobStore({ root });
  const key = tenantKey('acme', 'courses', 'c1', 'v1', 'page.html');
  await store.put(key, 'one file', { deferDurability: true });
  t.deepEqual(await filesUnder(path.join(root, 'data')), []);
  t.is(await store.localFile!(key), undefined, 'no file holds exactly its bytes');
  t.is((await readAll((await store.get(key, { range: { start: 4 } })).body)).toString(), 'file');
  await store.put(key, 'a data file and a record');
  t.is((await filesUnder(path.join(root, 'data'))).length, 1);
  t.is((await readAll((await store.get(key)).body)).toString(), 'a data file and a record');
  await store.put(key, 'one file again', { deferDurability: true });
  await store.flushDeferred!();
  t.deepEqual(await filesUnder(path.join(root, 'data')), [], 'the overwritten data file is gone');
  t.like(await store.head(key), { size: 14 });
  await store.delete(key);
  t.deepEqual(await filesUnder(root), []);
});

test.serial('folder: a flush does not return while an earlier one is still fsyncing', async (t) => {
  const root = await tempDir();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const store = createFolderBlobStore({ root });
  await store.ping();
  const probe = await open(path.join(root, 'tmp'), 'r');
  const proto = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
  await probe.close();
  const realSync = proto.sync;
  proto.sync = async function (this: unknown) {
    await new Promise((r) => setTimeout(r, 50));
    return realSync.call(this);
  };
  t.teardown(() => {
    proto.sync = realSync;
  });
  await store.put(tenantKey('acme', 'courses', 'c1', 'v1', 'a.js'), 'a', { deferDurability: true });
  const order: string[] = [];
  // The first flush takes a.js off the list; the second has nothing of its own but must wait for it.
  const first = store.flushDeferred!().then(() => order.push('first'));
  const second = store.flushDeferred!().then(() => order.push('second'));
  await Promise.all([first, second]);
  t.deepEqual(order, ['first', 'second']);
});
