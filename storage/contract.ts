import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ExecutionContext, TestFn } from 'ava';
import type { BlobInfo, BlobStore } from './blob-store.ts';
import { tenantKey } from './blob-store.ts';

export interface BlobStoreSubject {
  store: BlobStore;
  dispose(): Promise<void>;
}

export interface BlobStoreContractOptions {
  /** Blobs written by the paging test; above 1000 (S3's page size) so list and deletePrefix must page. */
  pagingKeys?: number;
  /**
   * Known bugs of the server under test. Each named test runs as `test.failing`, so it still runs, and
   * it turns red the day the server is fixed and the marker should go.
   */
  knownFailures?: ReadonlyArray<'list-order-across-folders'>;
  /**
   * False for a server that writes an object's bytes and its metadata as two steps, so concurrent PUTs of
   * one key can leave the bytes of one and the metadata of another (s3rver; AWS S3 replaces both at once).
   * s3rver even streams racing bodies into one file. The concurrent-overwrite test then checks only what the
   * adapter controls: each put answers, and the next write leaves the key whole.
   */
  atomicOverwrite?: boolean;
}

const MiB = 1024 * 1024;
// Above the 5 MiB part size, so the S3 adapter takes its multipart path.
const BIG = 6 * MiB + 12_345;

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function collect(iterable: AsyncIterable<BlobInfo>): Promise<BlobInfo[]> {
  const out: BlobInfo[] = [];
  for await (const info of iterable) out.push(info);
  return out;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

// `total` random bytes in 64 KiB chunks; `digest` is ready once the stream has been read to the end.
function randomStream(total: number, failAfter?: number): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  async function* chunks() {
    let sent = 0;
    while (sent < total) {
      const chunk = randomBytes(Math.min(64 * 1024, total - sent));
      hash.update(chunk);
      sent += chunk.length;
      yield chunk;
      if (failAfter !== undefined && sent >= failAfter) throw new Error('source stream broke');
    }
  }
  return { stream: Readable.from(chunks(), { objectMode: false }), digest: () => hash.digest('hex') };
}

// A tenant of our own per test, so tests run concurrently against one bucket without seeing each other.
const freshTenant = () => `c${randomBytes(6).toString('hex')}`;

export function runBlobStoreContract(
  test: TestFn,
  name: string,
  make: () => Promise<BlobStoreSubject>,
  options: BlobStoreContractOptions = {},
): void {
  const pagingKeys = options.pagingKeys ?? 1100;
  const known = new Set(options.knownFailures ?? []);

  async function subject(t: ExecutionContext): Promise<{ store: BlobStore; tenant: string; base: string }> {
    const { store, dispose } = await make();
    t.teardown(dispose);
    const tenant = freshTenant();
    return { store, tenant, base: tenantKey(tenant, 't') };
  }

  test(`${name}: put a Buffer, then head and get agree with what put returned`, async (t) => {
    const { store, base } = await subject(t);
    const key = `${base}/doc.bin`;
    const bytes = randomBytes(1000);
    const before = Date.now();
    const put = await store.put(key, bytes, { contentType: 'image/png', cacheControl: 'public, max-age=60' });
    t.is(put.key, key);
    t.is(put.size, 1000);
    t.is(put.contentType, 'image/png');
    t.regex(put.etag, /^[0-9a-f]+(-\d+)?$/, 'etag is bare hex, without quotes');
    t.true(put.lastModified instanceof Date);
    t.true(Math.abs(put.lastModified.getTime() - before) < 10_000);

    const head = await store.head(key);
    t.truthy(head);
    t.like(head, { key, size: 1000, contentType: 'image/png', etag: put.etag });
    t.true(Math.abs(head!.lastModified.getTime() - put.lastModified.getTime()) < 5_000);

    const got = await store.get(key);
    t.like(got, { key, size: 1000, contentType: 'image/png', etag: put.etag, range: undefined });
    t.true((await readAll(got.body)).equals(bytes));
  });

  test(`${name}: put a string stores its UTF-8 bytes`, async (t) => {
    const { store, base } = await subject(t);
    const key = `${base}/hello.txt`;
    const text = 'héllo wörld ✓ 😀';
    const put = await store.put(key, text, { contentType: 'text/plain; charset=utf-8' });
    t.is(put.size, Buffer.byteLength(text, 'utf8'));
    const got = await store.get(key);
    t.is(got.contentType, 'text/plain; charset=utf-8');
    t.is((await readAll(got.body)).toString('utf8'), text);
  });

  test(`${name}: put a stream whose chunks are strings and byte arrays`, async (t) => {
    const { store, base } = await subject(t);
    const key = `${base}/mixed`;
    const source = Readable.from(['ab', Buffer.from('cd'), new Uint8Array([0x65, 0x66])], {
      objectMode: true,
    });
    const put = await store.put(key, source);
    t.is(put.size, 6);
    t.is((await readAll((await store.get(key)).body)).toString(), 'abcdef');
  });

  test(`${name}: put a multi-MiB stream of unknown length and read back the same bytes`, async (t) => {
    const { store, base } = await subject(t);
    const key = `${base}/big.bin`;
    const { stream, digest } = randomStream(BIG);
    const put = await store.put(key, stream, { contentType: 'video/mp4' });
    t.is(put.size, BIG);
    const expected = digest();
    const got = await store.get(key);
    t.is(got.size, BIG);
    t.is(got.contentType, 'video/mp4');
    const bytes = await readAll(got.body);
    t.is(bytes.length, BIG);
    t.is(sha256(bytes), expected);
    t.like(await store.head(key), { size: BIG, etag: put.etag });
  });

  test(`${name}: content type defaults to application/octet-stream`, async (t) => {
    const { store, base } = await subject(t);
    const key = `${base}/untyped`;
    t.is((await store.put(key, Buffer.from([1, 2, 3]))).contentType, 'application/octet-stream');
    t.is((await store.head(key))?.contentType, 'application/octet-stream');
    const got = await store.get(key);
    got.body.destroy(); // an unread body holds a file descriptor or a socket until destroyed
    t.is(got.contentType, 'application/octet-stream');
  });

  test(`${name}: header-unsafe content type or cache control is refused and nothing is written`, async (t) => {
    const { store, base } = await subject(t);
    const key = `${base}/evil`;
    await t.throwsAsync(store.put(key, 'x', { contentType: 'text/html\r\nSet-Cookie: a=b' }), {
      code: 'VALIDATION_FAILED',
    });
    await t.throwsAsync(store.put(key, 'x', { cacheControl: 'no-cache\n' }), { code: 'VALIDATION_FAILED' });
    t.is(await store.head(key), undefined);
  });

  test(`${name}: missing blobs: head is undefined, get throws BLOB_NOT_FOUND`, async (t) => {
    const { store, base } = await subject(t);
    t.is(await store.head(`${base}/nope`), undefined);
    const err = await t.throwsAsync(store.get(`${base}/nope`), { code: 'BLOB_NOT_FOUND' });
    t.regex(err!.message, /nope/);
    // A "folder" holding blobs is not a blob itself.
    await store.put(`${base}/dir/file`, 'x');
    t.is(await store.head(`${base}/dir`), undefined);
    await t.throwsAsync(store.get(`${base}/dir`), { code: 'BLOB_NOT_FOUND' });
    await store.delete(`${base}/dir`);
    t.truthy(await store.head(`${base}/dir/file`));
  });

  test(`${name}: a key and a key below it coexist, as in S3`, async (t) => {
    const { store, base } = await subject(t);
    await store.put(`${base}/a`, 'parent');
    await store.put(`${base}/a/b`, 'child');
    t.is((await readAll((await store.get(`${base}/a`)).body)).toString(), 'parent');
    t.is((await readAll((await store.get(`${base}/a/b`)).body)).toString(), 'child');
    await store.delete(`${base}/a`);
    t.is(await store.head(`${base}/a`), undefined);
    t.truthy(await store.head(`${base}/a/b`));
  });

  test(`${name}: byte ranges are inclusive, clamped at the end, and report the whole size`, async (t) => {
    const { store, base } = await subject(t);
    const key = `${base}/hundred`;
    const bytes = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    await store.put(key, bytes);
    const cases: Array<[{ start: number; end?: number }, { start: number; end: number }]> = [
      [
        { start: 10, end: 19 },
        { start: 10, end: 19 },
      ],
      [{ start: 90 }, { start: 90, end: 99 }],
      [
        { start: 99, end: 99 },
        { start: 99, end: 99 },
      ],
      [
        { start: 0, end: 0 },
        { start: 0, end: 0 },
      ],
      [
        { start: 5, end: 5 },
        { start: 5, end: 5 },
      ],
      [{ start: 0 }, { start: 0, end: 99 }],
      [
        { start: 95, end: 1000 },
        { start: 95, end: 99 },
      ],
    ];
    for (const [asked, served] of cases) {
      const got = await store.get(key, { range: asked });
      const label = JSON.stringify(asked);
      t.deepEqual(got.range, served, label);
      t.is(got.size, 100, label);
      t.deepEqual(await readAll(got.body), bytes.subarray(served.start, served.end + 1), label);
    }
  });

  test(`${name}: ranges starting at or past the end, or malformed, are not satisfiable`, async (t) => {
    const { store, base } = await subject(t);
    const key = `${base}/ten`;
    await store.put(key, Buffer.alloc(10, 7));
    for (const range of [{ start: 10 }, { start: 10, end: 20 }, { start: 1_000_000 }]) {
      const err = await t.throwsAsync(
        store.get(key, { range }),
        { code: 'RANGE_NOT_SATISFIABLE' },
        JSON.stringify(range),
      );
      t.regex(err!.message, /ten/);
    }
    for (const range of [
      { start: 5, end: 2 },
      { start: -1 },
      { start: 1.5 },
      { start: 0, end: Number.NaN },
    ]) {
      await t.throwsAsync(
        store.get(key, { range }),
        { code: 'RANGE_NOT_SATISFIABLE' },
        JSON.stringify(range),
      );
    }
    await t.throwsAsync(store.get(`${base}/missing`, { range: { start: 0 } }), { code: 'BLOB_NOT_FOUND' });
  });

  test(`${name}: an empty blob reads back empty, and no range of it is satisfiable`, async (t) => {
    const { store, base } = await subject(t);
    const key = `${base}/empty`;
    const put = await store.put(key, Buffer.alloc(0));
    t.is(put.size, 0);
    const got = await store.get(key);
    t.is(got.size, 0);
    t.is((await readAll(got.body)).length, 0);
    await t.throwsAsync(store.get(key, { range: { start: 0 } }), { code: 'RANGE_NOT_SATISFIABLE' });
    await t.throwsAsync(store.get(key, { range: { start: 0, end: 0 } }), { code: 'RANGE_NOT_SATISFIABLE' });
  });

  test(`${name}: overwrite replaces content, size, type and etag`, async (t) => {
    const { store, base } = await subject(t);
    const key = `${base}/page.html`;
    const first = await store.put(key, '<p>one</p>', { contentType: 'text/html' });
    const second = await store.put(key, 'two, longer than one', { contentType: 'text/plain' });
    t.not(second.etag, first.etag);
    t.like(await store.head(key), { size: 20, contentType: 'text/plain', etag: second.etag });
    const got = await store.get(key);
    t.is((await readAll(got.body)).toString(), 'two, longer than one');
    t.is(got.etag, second.etag);
  });

  test(`${name}: concurrent overwrites leave one whole version whose metadata matches its bytes`, async (t) => {
    const { store, base } = await subject(t);
    const key = `${base}/contended`;
    const versions = Array.from({ length: 8 }, (_, i) => randomBytes(1000 + i * 333));
    const puts = await Promise.all(
      versions.map((v, i) => store.put(key, v, { contentType: `text/x-v${i}` })),
    );
    t.is(new Set(puts.map((p) => p.etag)).size, versions.length, 'every put answers its own etag');
    if (options.atomicOverwrite === false) {
      // The server may have interleaved the racing writes; the adapter must still leave a key that the next
      // write makes whole again.
      const last = await store.put(key, versions[0]!, { contentType: 'text/x-last' });
      const again = await store.get(key);
      t.true((await readAll(again.body)).equals(versions[0]!));
      t.like(again, { size: versions[0]!.length, contentType: 'text/x-last', etag: last.etag });
      return;
    }
    const got = await store.get(key);
    const bytes = await readAll(got.body);
    const i = versions.findIndex((v) => v.equals(bytes));
    t.true(i >= 0, 'body is exactly one of the versions written');
    t.like(got, { size: versions[i]!.length, contentType: `text/x-v${i}`, etag: puts[i]!.etag });
    t.like(await store.head(key), {
      size: versions[i]!.length,
      contentType: `text/x-v${i}`,
      etag: puts[i]!.etag,
    });
  });

  test(`${name}: list yields the keys under a prefix in byte order, with their metadata`, async (t) => {
    const { store, base } = await subject(t);
    // UTF-8 byte order, which S3 uses, differs from JavaScript's UTF-16 order for U+FF5E vs U+1F600.
    const names = ['a', 'B', '0', 'é', '\uff5e', '😀'];
    for (const n of names) await store.put(`${base}/list/${n}`, `v-${n}`, { contentType: 'text/plain' });
    await store.put(`${base}/listing/x`, 'other folder');
    await store.put(`${base}/lis`, 'shorter key');
    await store.put(tenantKey(`${base.split('/')[1]}_eu`, 't', 'list', 'a'), 'other tenant');

    const inFolder = await collect(store.list(`${base}/list/`));
    t.deepEqual(
      inFolder.map((i) => i.key),
      ['0', 'B', 'a', 'é', '\uff5e', '😀'].map((n) => `${base}/list/${n}`),
    );
    for (const info of inFolder) {
      const head = await store.head(info.key);
      t.like(info, { size: head!.size, contentType: 'text/plain', etag: head!.etag });
      t.true(info.lastModified instanceof Date);
    }

    const byPartial = await collect(store.list(`${base}/list`));
    t.deepEqual(
      byPartial.map((i) => i.key),
      [...inFolder.map((i) => i.key), `${base}/listing/x`],
    );
    t.deepEqual(await collect(store.list(`${base}/nothing-here/`)), []);
  });

  (known.has('list-order-across-folders') ? test.failing : test)(
    `${name}: list orders keys in byte order across folder boundaries`,
    async (t) => {
      const { store, base } = await subject(t);
      // '/' sorts between '.' and '0', so a folder's keys fall between siblings that share its name.
      const expected = ['a', 'a b', 'a-b', 'a.b', 'a/x', 'a/y/z', 'a0', 'ab'].map((n) => `${base}/o/${n}`);
      for (const key of [...expected].reverse()) await store.put(key, key);
      t.deepEqual(
        (await collect(store.list(`${base}/o/`))).map((i) => i.key),
        expected,
      );
      t.deepEqual(
        (await collect(store.list(`${base}/o/a/`))).map((i) => i.key),
        [`${base}/o/a/x`, `${base}/o/a/y/z`],
      );
    },
  );

  test(`${name}: list and deletePrefix page through ${pagingKeys} blobs`, async (t) => {
    const { store, base } = await subject(t);
    const keys = Array.from({ length: pagingKeys }, (_, i) => `${base}/p/k${String(i).padStart(5, '0')}`);
    const queue = [...keys];
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let key = queue.shift(); key; key = queue.shift()) await store.put(key, key.slice(-6));
      }),
    );
    await store.put(`${base}/pz`, 'outside the prefix');
    const listed = await collect(store.list(`${base}/p/`));
    t.is(listed.length, pagingKeys);
    t.deepEqual(
      listed.map((i) => i.key),
      keys,
    );
    t.is(await store.deletePrefix(`${base}/p/`), pagingKeys);
    t.deepEqual(await collect(store.list(`${base}/p/`)), []);
    t.truthy(await store.head(`${base}/pz`));
  });

  test(`${name}: delete is idempotent and touches only its key`, async (t) => {
    const { store, base } = await subject(t);
    const key = `${base}/k`;
    await store.put(key, 'k');
    await store.put(`${key}.txt`, 'k.txt');
    await store.put(`${key}/child`, 'child');
    await store.delete(key);
    t.is(await store.head(key), undefined);
    await t.throwsAsync(store.get(key), { code: 'BLOB_NOT_FOUND' });
    await t.notThrowsAsync(store.delete(key));
    await t.notThrowsAsync(store.delete(`${base}/never-existed`));
    t.truthy(await store.head(`${key}.txt`));
    t.truthy(await store.head(`${key}/child`));
  });

  test(`${name}: deletePrefix counts what it deleted and stops at the prefix boundary`, async (t) => {
    const { store, tenant } = await subject(t);
    const own = (...p: string[]) => tenantKey(tenant, ...p);
    const neighbour = tenantKey(`${tenant}_eu`, 'x', '1');
    for (const key of [own('x', '1'), own('x', '2'), own('x', 'deep', '3'), own('xy'), own('y'), neighbour]) {
      await store.put(key, key);
    }
    t.is(await store.deletePrefix(`tenants/${tenant}/x/`), 3);
    t.truthy(await store.head(own('xy')), '"x/" does not reach "xy"');
    t.truthy(await store.head(own('y')));
    t.is(await store.deletePrefix(`tenants/${tenant}/`), 2);
    t.deepEqual(await collect(store.list(`tenants/${tenant}/`)), []);
    t.is(await store.deletePrefix(`tenants/${tenant}/`), 0);
    // `tenants/<tenant>` without the slash would also match `<tenant>_eu`, so it is refused outright.
    await t.throwsAsync(store.deletePrefix(`tenants/${tenant}`), { code: 'BLOB_KEY_INVALID' });
    t.is((await readAll((await store.get(neighbour)).body)).toString(), neighbour);
    await store.deletePrefix(`tenants/${tenant}_eu/`);
  });

  test(`${name}: invalid keys are refused with BLOB_KEY_INVALID and nothing is written`, async (t) => {
    const { store, tenant } = await subject(t);
    const other = freshTenant();
    const bad = [
      '',
      '../x',
      `tenants/${tenant}/../${other}/x`,
      `tenants/${tenant}/x/..`,
      `tenants/${tenant}/./x`,
      `tenants/${tenant.toUpperCase()}/x`,
      '/abs',
      `/tenants/${tenant}/x`,
      `tenants/${tenant}/a\\b`,
      `${tenant}/x`,
      `files/${tenant}/x`,
      `tenants/${tenant}`,
      `tenants/${tenant}/`,
      `tenants/${tenant}//x`,
      `tenants/${tenant}/a\u0000b`,
      `tenants/${tenant}/a\nb`,
      `tenants/${tenant}/\ud800`,
      `tenants/${tenant}/${'x'.repeat(1100)}`,
      `tenants/${tenant}/${'y'.repeat(300)}/z`,
    ];
    for (const key of bad) {
      const label = JSON.stringify(key.slice(0, 60));
      const err = await t.throwsAsync(store.put(key, 'x'), { code: 'BLOB_KEY_INVALID' }, label);
      t.true(err!.message.length > 30, `${label}: the message says why`);
      await t.throwsAsync(store.get(key), { code: 'BLOB_KEY_INVALID' }, label);
      await t.throwsAsync(store.head(key), { code: 'BLOB_KEY_INVALID' }, label);
      await t.throwsAsync(store.delete(key), { code: 'BLOB_KEY_INVALID' }, label);
    }
    for (const prefix of [
      '',
      'tenants/',
      `tenants/${tenant}`,
      '../',
      `tenants/${tenant}/../`,
      `tenants/${tenant}//`,
    ]) {
      const label = JSON.stringify(prefix);
      await t.throwsAsync(async () => collect(store.list(prefix)), { code: 'BLOB_KEY_INVALID' }, label);
      await t.throwsAsync(store.deletePrefix(prefix), { code: 'BLOB_KEY_INVALID' }, label);
    }
    t.deepEqual(await collect(store.list(`tenants/${tenant}/`)), []);
    t.deepEqual(await collect(store.list(`tenants/${other}/`)), []);
  });

  test(`${name}: a source stream that fails early rejects put and leaves no blob`, async (t) => {
    const { store, base } = await subject(t);
    const key = `${base}/broken-small`;
    const { stream } = randomStream(MiB, 128 * 1024);
    await t.throwsAsync(store.put(key, stream), { message: /source stream broke/ });
    t.is(await store.head(key), undefined);
    t.deepEqual(await collect(store.list(`${base}/`)), []);
  });

  test(`${name}: a source stream that fails after several MiB rejects put and leaves no blob`, async (t) => {
    const { store, base } = await subject(t);
    const key = `${base}/broken-big`;
    const { stream } = randomStream(BIG * 2, BIG);
    await t.throwsAsync(store.put(key, stream), { message: /source stream broke/ });
    t.is(await store.head(key), undefined);
    t.deepEqual(await collect(store.list(`${base}/`)), []);
  });

  test(`${name}: a failed overwrite keeps the previous blob`, async (t) => {
    const { store, base } = await subject(t);
    const key = `${base}/kept`;
    const first = await store.put(key, 'the original', { contentType: 'text/plain' });
    const { stream } = randomStream(MiB, 64 * 1024);
    await t.throwsAsync(store.put(key, stream, { contentType: 'application/zip' }), {
      message: /source stream broke/,
    });
    const got = await store.get(key);
    t.like(got, { etag: first.etag, contentType: 'text/plain', size: 12 });
    t.is((await readAll(got.body)).toString(), 'the original');
  });

  test(`${name}: ping succeeds when the store is usable`, async (t) => {
    const { store } = await subject(t);
    await t.notThrowsAsync(store.ping());
    t.true(store.kind === 'folder' || store.kind === 's3');
  });
}
