import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import test, { type ExecutionContext } from 'ava';
import { type AppError, isAppError } from '../../core/errors.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import { createFolderBlobStore } from '../../storage/folder.ts';
import {
  buildZip,
  deflateZeros,
  lyingEntry,
  type RawEntry,
  rawZip,
  removeTempZip,
  tempZipPath,
  UNIX_DIRECTORY,
  UNIX_SYMLINK,
  unixAttributes,
  writeTempZip,
  writeZipFile,
  zipBomb,
} from '../../test/zip-builder.ts';
import { contentTypeFor } from './content-type.ts';
import { tableCrc32 } from './crc32.ts';
import { entryEtag, extractToStore } from './extract-to-store.ts';
import { type ArchiveLimits, inspectArchive } from './inspect-archive.ts';

const PREFIX = 'tenants/acme/courses/c1/v1/';

interface Sandbox {
  root: string;
  store: BlobStore;
}

async function sandbox(t: ExecutionContext): Promise<Sandbox> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'crest-archive-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  return { root, store: createFolderBlobStore({ root }) };
}

async function tempZip(t: ExecutionContext, buffer: Buffer): Promise<string> {
  const file = await writeTempZip(buffer);
  t.teardown(() => removeTempZip(file));
  return file;
}

async function keysUnder(store: BlobStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const blob of store.list(prefix)) keys.push(blob.key);
  return keys;
}

// Every file the folder store holds (records, content, temporaries): after a refusal there must be none.
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => !e.isDirectory()).map((e) => path.join(e.parentPath, e.name));
}

async function readBlob(store: BlobStore, key: string): Promise<Buffer> {
  const { body } = await store.get(key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function importZip(
  t: ExecutionContext,
  box: Sandbox,
  zip: Buffer,
  options: {
    limits?: ArchiveLimits;
    concurrency?: number;
    onProgress?: (d: number, n: number, b: number) => void;
  } = {},
) {
  const file = await tempZip(t, zip);
  const listing = await inspectArchive(file, options.limits);
  const result = await extractToStore(file, listing, box.store, PREFIX, {
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  return { listing, result };
}

/** Imports `zip`, expects a refusal naming `entry` and `rule`, and checks that storage holds nothing. */
async function refused(
  t: ExecutionContext,
  zip: Buffer,
  rule: string,
  entry: string | undefined,
  options: { limits?: ArchiveLimits; concurrency?: number } = {},
): Promise<AppError> {
  const box = await sandbox(t);
  const err = await t.throwsAsync(importZip(t, box, zip, options));
  if (!isAppError(err)) throw err;
  t.is(err.code, 'VALIDATION_FAILED');
  t.is(err.details.rule, rule, err.message);
  if (entry !== undefined) {
    t.is(err.details.entry, entry);
    const shown =
      entry.length > 200 ? JSON.stringify(entry.slice(0, 200)).slice(0, -1) : JSON.stringify(entry);
    t.true(err.message.includes(shown), err.message);
  }
  t.deepEqual(await keysUnder(box.store, 'tenants/acme/'), []);
  t.deepEqual(await filesUnder(box.root), []);
  return err;
}

const good: RawEntry[] = [
  { name: 'imsmanifest.xml', data: '<manifest/>' },
  { name: 'index.html', data: '<html></html>', method: 8 },
  { name: 'js/app.js', data: 'console.log(1)'.repeat(50), method: 8 },
];

/* ---------- well-formed archives ---------- */

test('extracts files with their content and skips directory entries', async (t) => {
  const box = await sandbox(t);
  const zip = await buildZip([
    { path: 'imsmanifest.xml', data: '<manifest identifier="m"/>' },
    { path: 'content/', directory: true },
    { path: 'content/empty/', directory: true },
    { path: 'content/index.html', data: '<h1>hi</h1>' },
    { path: 'content/blank.txt', data: '' },
    { path: 'media/clip.bin', data: randomBytes(70_000), compress: false },
  ]);
  const { listing, result } = await importZip(t, box, zip);
  t.deepEqual(
    listing.entries.map((e) => e.path),
    ['imsmanifest.xml', 'content/index.html', 'content/blank.txt', 'media/clip.bin'],
  );
  t.is(listing.totalSize, 26 + 11 + 0 + 70_000);
  t.deepEqual(result, { files: 4, bytes: listing.totalSize });
  t.is((await readBlob(box.store, `${PREFIX}content/index.html`)).toString(), '<h1>hi</h1>');
  t.is((await readBlob(box.store, `${PREFIX}content/blank.txt`)).length, 0);
  t.deepEqual((await keysUnder(box.store, PREFIX)).length, 4);
});

test('each file is stored with an etag made of its CRC-32 and size', async (t) => {
  const box = await sandbox(t);
  const clip = randomBytes(70_000);
  const zip = await buildZip([
    { path: 'index.html', data: '<h1>hi</h1>' },
    { path: 'other.html', data: '<h1>ho</h1>' },
    { path: 'clip.bin', data: clip, compress: false },
  ]);
  await importZip(t, box, zip);
  const etag = async (p: string) => (await box.store.head(`${PREFIX}${p}`))!.etag;
  const expected = (data: Buffer) =>
    tableCrc32(data).toString(16).padStart(8, '0') + data.length.toString(16).padStart(12, '0');
  t.is(await etag('index.html'), expected(Buffer.from('<h1>hi</h1>')));
  t.is(await etag('clip.bin'), expected(clip));
  t.not(await etag('index.html'), await etag('other.html'));
  t.is(entryEtag({ crc32: 0xffffffff, size: 0 }), 'ffffffff000000000000');
});

test('stores each file with the Content-Type of its extension', async (t) => {
  const box = await sandbox(t);
  const expected: Record<string, string> = {
    'index.html': 'text/html',
    'a/b.htm': 'text/html',
    'app.js': 'text/javascript',
    'style.css': 'text/css',
    'data.json': 'application/json',
    'imsmanifest.xml': 'application/xml',
    'video/clip.mp4': 'video/mp4',
    'video/master.m3u8': 'application/vnd.apple.mpegurl',
    'video/seg001.ts': 'video/mp2t',
    'video/captions.vtt': 'text/vtt',
    'fonts/body.woff2': 'font/woff2',
    'img/logo.svg': 'image/svg+xml',
    'img/photo.JPG': 'image/jpeg',
    'doc.pdf': 'application/pdf',
    README: 'application/octet-stream',
    'blob.unknownext': 'application/octet-stream',
  };
  await importZip(t, box, await buildZip(Object.keys(expected).map((p) => ({ path: p, data: p }))));
  for (const [file, type] of Object.entries(expected)) {
    t.is((await box.store.head(PREFIX + file))?.contentType, type, file);
    t.is(contentTypeFor(file), type, file);
  }
});

test('UTF-8 names (general-purpose bit 11) extract under their real names', async (t) => {
  const box = await sandbox(t);
  const names = ['naïve/日本語.html', 'café.txt', 'Ελληνικά/ß.css', 'emoji-🎓.json'];
  await importZip(t, box, await buildZip(names.map((p) => ({ path: p, data: p }))));
  t.deepEqual((await keysUnder(box.store, PREFIX)).sort(), names.map((n) => PREFIX + n).sort());
  t.is((await readBlob(box.store, `${PREFIX}naïve/日本語.html`)).toString(), 'naïve/日本語.html');
});

test('names without bit 11 decode as CP437, names with it as UTF-8', async (t) => {
  const box = await sandbox(t);
  const zip = rawZip([
    // 0x82 is 'é' in CP437; 0xA4 is 'ñ'.
    { name: Buffer.from([0x63, 0x61, 0x66, 0x82, 0x2e, 0x74, 0x78, 0x74]), utf8: false, data: 'cp437' },
    { name: Buffer.from([0x6e, 0x69, 0xa4, 0x6f, 0x2e, 0x74, 0x78, 0x74]), utf8: false, data: 'cp437 n' },
    // The same UTF-8 bytes for 'ü' read both ways: with the flag, and (as CP437 box-drawing) without.
    { name: Buffer.from('über.txt', 'utf8'), utf8: true, data: 'utf8' },
    { name: Buffer.from('über.txt', 'utf8'), utf8: false, data: 'utf8 bytes, no flag' },
  ]);
  const { listing } = await importZip(t, box, zip);
  t.deepEqual(
    listing.entries.map((e) => e.path),
    ['café.txt', 'niño.txt', 'über.txt', '├╝ber.txt'],
  );
  t.is((await readBlob(box.store, `${PREFIX}café.txt`)).toString(), 'cp437');
  t.is((await readBlob(box.store, `${PREFIX}├╝ber.txt`)).toString(), 'utf8 bytes, no flag');
});

test('backslashes are read as separators, then validated like slashes', async (t) => {
  const box = await sandbox(t);
  const { listing } = await importZip(t, box, rawZip([{ name: 'content\\pages\\one.html', data: 'one' }]));
  t.deepEqual(listing.entries, [{ path: 'content/pages/one.html', size: 3, compressedSize: 3 }]);
  t.is((await readBlob(box.store, `${PREFIX}content/pages/one.html`)).toString(), 'one');
});

test('ZIP64 archives are supported', async (t) => {
  const box = await sandbox(t);
  const big = randomBytes(300_000);
  const zip = await buildZip(
    [
      { path: 'imsmanifest.xml', data: '<manifest/>' },
      { path: 'media/big.bin', data: big, compress: false },
    ],
    { zip64: true },
  );
  // The ZIP64 end record is there, and the 32-bit size fields hold the 0xFFFFFFFF escape.
  t.true(zip.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])));
  const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  t.is(zip.readUInt32LE(central + 24), 0xffffffff);
  const { listing, result } = await importZip(t, box, zip);
  t.deepEqual(listing.entries, [
    { path: 'imsmanifest.xml', size: 11, compressedSize: listing.entries[0]!.compressedSize },
    { path: 'media/big.bin', size: big.length, compressedSize: big.length },
  ]);
  t.is(result.bytes, 11 + big.length);
  t.true((await readBlob(box.store, `${PREFIX}media/big.bin`)).equals(big));
});

test('a 200 MiB entry streams through with its sha256 intact', async (t) => {
  t.timeout(60_000);
  const box = await sandbox(t);
  const MiB = 1024 * 1024;
  const blocks = 200;
  const seed = randomBytes(MiB);
  // Every block differs (its index is stamped in), so a dropped or repeated chunk changes the hash.
  function* content() {
    for (let i = 0; i < blocks; i++) {
      const block = Buffer.from(seed);
      block.writeUInt32LE(i, 0);
      block.writeUInt32LE(i, MiB - 4);
      yield block;
    }
  }
  const expected = createHash('sha256');
  for (const block of content()) expected.update(block);

  const file = await tempZipPath();
  t.teardown(() => removeTempZip(file));
  await writeZipFile(
    [
      { path: 'imsmanifest.xml', data: '<manifest/>' },
      {
        path: 'video/lecture.mp4',
        stream: () => Readable.from(content()),
        size: blocks * MiB,
        compress: false,
      },
    ],
    file,
  );
  const listing = await inspectArchive(file);
  const result = await extractToStore(file, listing, box.store, PREFIX);
  t.deepEqual(result, { files: 2, bytes: blocks * MiB + 11 });

  const { body, size, contentType } = await box.store.get(`${PREFIX}video/lecture.mp4`);
  t.is(size, blocks * MiB);
  t.is(contentType, 'video/mp4');
  const actual = createHash('sha256');
  for await (const chunk of body) actual.update(chunk as Buffer);
  t.is(actual.digest('hex'), expected.digest('hex'));
});

test('progress reports every file, ending at the totals', async (t) => {
  const box = await sandbox(t);
  const files = Array.from({ length: 7 }, (_, i) => ({
    path: `p/${i}.txt`,
    data: 'x'.repeat(1000 * (i + 1)),
  }));
  const calls: [number, number, number][] = [];
  const { result } = await importZip(t, box, await buildZip(files), {
    concurrency: 3,
    onProgress: (done, total, bytes) => calls.push([done, total, bytes]),
  });
  t.is(calls.length, 7);
  t.deepEqual(calls.at(-1), [7, 7, result.bytes]);
  t.is(result.bytes, 28_000);
  for (let i = 1; i < calls.length; i++) {
    t.true(calls[i]![0] > calls[i - 1]![0]);
    t.true(calls[i]![2] >= calls[i - 1]![2]);
    t.is(calls[i]![1], 7);
  }
});

test('progress also ticks inside a large file', async (t) => {
  const box = await sandbox(t);
  const calls: number[] = [];
  await importZip(
    t,
    box,
    await buildZip([{ path: 'big.bin', data: randomBytes(20 * 1024 * 1024), compress: false }]),
    {
      onProgress: (_done, _total, bytes) => calls.push(bytes),
    },
  );
  t.true(calls.length >= 3, `${calls.length} calls`); // at 8 MiB, 16 MiB and the end
  t.is(calls.at(-1), 20 * 1024 * 1024);
});

test('a throwing progress callback aborts and cleans up', async (t) => {
  const box = await sandbox(t);
  const err = await t.throwsAsync(
    importZip(t, box, rawZip(good), {
      concurrency: 1,
      onProgress: (done) => {
        if (done === 2) throw new Error('stop here');
      },
    }),
  );
  t.is(err?.message, 'stop here');
  t.deepEqual(await filesUnder(box.root), []);
});

test('a listing may name a subset of the archive', async (t) => {
  const box = await sandbox(t);
  const file = await tempZip(t, rawZip(good));
  const listing = await inspectArchive(file);
  const some = { ...listing, entries: listing.entries.filter((e) => e.path !== 'js/app.js') };
  t.deepEqual(await extractToStore(file, some, box.store, PREFIX), { files: 2, bytes: 24 });
  t.deepEqual(await keysUnder(box.store, PREFIX), [`${PREFIX}imsmanifest.xml`, `${PREFIX}index.html`]);
});

/* ---------- hostile archives: each refused with the entry named, nothing stored ---------- */

test('zip slip: "../evil.txt"', async (t) => {
  await refused(t, rawZip([...good, { name: '../evil.txt', data: 'x' }]), 'path-traversal', '../evil.txt');
});

test('zip slip: "a/../../b"', async (t) => {
  await refused(t, rawZip([...good, { name: 'a/../../b', data: 'x' }]), 'path-traversal', 'a/../../b');
});

test('zip slip: "..\\\\evil.txt" with backslashes', async (t) => {
  await refused(t, rawZip([{ name: '..\\evil.txt', data: 'x' }]), 'path-traversal', '..\\evil.txt');
});

test('zip slip: a directory entry "../"', async (t) => {
  await refused(
    t,
    rawZip([{ name: 'ok/../../', externalAttributes: unixAttributes(UNIX_DIRECTORY) }]),
    'path-traversal',
    'ok/../../',
  );
});

test('zip slip: absolute "/abs.txt"', async (t) => {
  await refused(t, rawZip([...good, { name: '/abs.txt', data: 'x' }]), 'absolute-path', '/abs.txt');
});

test('zip slip: drive letter "C:\\\\evil.txt"', async (t) => {
  const err = await refused(
    t,
    rawZip([...good, { name: 'C:\\evil.txt', data: 'x' }]),
    'drive-letter',
    'C:\\evil.txt',
  );
  t.regex(err.message, /drive letter/);
});

test('zip slip: "C:evil.txt" without a separator', async (t) => {
  await refused(t, rawZip([{ name: 'C:evil.txt', data: 'x' }]), 'drive-letter', 'C:evil.txt');
});

test('empty and "." segments', async (t) => {
  await refused(t, rawZip([{ name: 'a//b.txt', data: 'x' }]), 'bad-segment', 'a//b.txt');
  await refused(t, rawZip([{ name: './a.txt', data: 'x' }]), 'bad-segment', './a.txt');
});

test('an empty name', async (t) => {
  await refused(t, rawZip([...good, { name: '', data: 'x' }]), 'empty-name', '');
});

test('control characters and NUL in a name', async (t) => {
  await refused(t, rawZip([{ name: 'evil\u0000.html', data: 'x' }]), 'control-character', 'evil\u0000.html');
  await refused(
    t,
    rawZip([{ name: 'line\nbreak.txt', utf8: true, data: 'x' }]),
    'control-character',
    'line\nbreak.txt',
  );
  await refused(t, rawZip([{ name: 'c1\u0085.txt', data: 'x' }]), 'control-character', 'c1\u0085.txt');
  // CP437 would show byte 0x01 as '☺': the raw bytes are checked, not just the decoded name.
  await refused(
    t,
    rawZip([{ name: Buffer.from([0x61, 0x01, 0x62]), utf8: false, data: 'x' }]),
    'control-character',
    'a☺b',
  );
});

test('invalid UTF-8 in a name flagged as UTF-8', async (t) => {
  await refused(
    t,
    rawZip([{ name: Buffer.from([0x61, 0xff, 0x62]), utf8: true, data: 'x' }]),
    'invalid-utf8',
    'a\uFFFDb',
  );
});

test('an over-long name', async (t) => {
  const name = `${'a'.repeat(300)}.txt`;
  await refused(t, rawZip([{ name, data: 'x' }]), 'name-too-long', name);
});

test('symlink entries', async (t) => {
  const zip = rawZip([
    ...good,
    { name: 'link', data: '/etc/passwd', externalAttributes: unixAttributes(UNIX_SYMLINK) },
  ]);
  const err = await refused(t, zip, 'symlink', 'link');
  t.regex(err.message, /symbolic link/);
});

test('device and FIFO entries', async (t) => {
  await refused(
    t,
    rawZip([{ name: 'pipe', externalAttributes: unixAttributes(0o010644) }]),
    'special-file',
    'pipe',
  );
});

test('duplicate entries', async (t) => {
  const zip = rawZip([...good, { name: 'index.html', data: 'second copy' }]);
  await refused(t, zip, 'duplicate-entry', 'index.html');
});

test('entries that differ only in letter case', async (t) => {
  const err = await refused(
    t,
    rawZip([...good, { name: 'INDEX.html', data: 'shadow' }]),
    'case-collision',
    'INDEX.html',
  );
  t.is(err.details.other, 'index.html');
});

test('entries that differ only in Unicode normalization', async (t) => {
  await refused(
    t,
    rawZip([
      { name: 'caf\u00e9.txt', data: 'a' },
      { name: 'cafe\u0301.txt', data: 'b' },
    ]),
    'case-collision',
    'cafe\u0301.txt',
  );
});

test('a file where another entry needs a folder', async (t) => {
  const err = await refused(
    t,
    rawZip([
      { name: 'media', data: 'x' },
      { name: 'Media/clip.mp4', data: 'y' },
    ]),
    'path-conflict',
    'media',
  );
  t.is(err.details.other, 'Media/clip.mp4');
});

test('encrypted entries (general-purpose bit 0)', async (t) => {
  const err = await refused(
    t,
    rawZip([...good, { name: 'secret.html', data: 'x'.repeat(12 + 5), flags: 0x1 }]),
    'encrypted',
    'secret.html',
  );
  t.regex(err.message, /encrypted/);
});

test('strong encryption (bit 6), which yauzl stops at before reading the name', async (t) => {
  const err = await refused(
    t,
    rawZip([...good, { name: 'secret.html', data: 'x', flags: 0x41 }]),
    'encrypted',
    undefined,
  );
  t.regex(err.message, /entry #4 uses strong encryption/);
});

test('unsupported compression methods', async (t) => {
  await refused(t, rawZip([{ name: 'a.lzma', data: 'x', method: 14 }]), 'compression-method', 'a.lzma');
});

test('zip bomb: 50 MiB of zeros in ~50 KB trips the compression-ratio limit before any inflating', async (t) => {
  const bomb = await zipBomb('bomb.bin');
  t.true(bomb.length < 100_000, `${bomb.length} bytes`);
  const err = await refused(t, bomb, 'compression-ratio', 'bomb.bin');
  t.regex(err.message, /zip-bomb/);
});

test('compression ratio: a lowered limit and threshold apply to smaller, milder files', async (t) => {
  const text = Buffer.from('<p>the same paragraph again</p>\n'.repeat(4000)); // 128 KB, ~300:1 at most
  const zip = rawZip([{ name: 'page.html', data: text, method: 8 }]);
  const box = await sandbox(t);
  await t.notThrowsAsync(importZip(t, box, zip)); // under the 1 MiB threshold by default
  await refused(t, zip, 'compression-ratio', 'page.html', {
    limits: { maxRatio: 20, ratioMinBytes: 64 * 1024 },
  });
});

test('zip bomb: overlapping entries that share one compressed stream', async (t) => {
  const { compressed, crc32 } = await deflateZeros(900 * 1024); // under the ratio threshold
  const zip = rawZip([
    { name: 'a.bin', compressedData: compressed, declaredSize: 900 * 1024, crc32 },
    { name: 'b.bin', reuseDataOf: 0 },
    { name: 'c.bin', reuseDataOf: 0 },
  ]);
  await refused(t, zip, 'overlapping-entries', 'b.bin');
});

test('zip bomb: a header that declares 10 bytes for data inflating to 10 MiB', async (t) => {
  const box = await sandbox(t);
  const done: number[] = [];
  const zip = rawZip([...good, await lyingEntry('liar.txt', 10, 10 * 1024 * 1024)]);
  const err = await t.throwsAsync(
    importZip(t, box, zip, { concurrency: 1, onProgress: (d) => done.push(d) }),
  );
  if (!isAppError(err)) throw err;
  t.is(err.details.rule, 'size-exceeded');
  t.is(err.details.entry, 'liar.txt');
  t.regex(err.message, /"liar\.txt".*zip-bomb/);
  t.deepEqual(done, [1, 2, 3]); // the good files were written first…
  t.deepEqual(await keysUnder(box.store, 'tenants/acme/'), []); // …and removed again
  t.deepEqual(await filesUnder(box.root), []);
});

test('a lying size is caught with concurrent writes in flight too', async (t) => {
  const many = Array.from({ length: 12 }, (_, i) => ({ name: `f/${i}.bin`, data: randomBytes(200_000) }));
  await refused(
    t,
    rawZip([...many.slice(0, 6), await lyingEntry('liar.bin'), ...many.slice(6)]),
    'size-exceeded',
    'liar.bin',
    {
      concurrency: 4,
    },
  );
});

test('an entry holding fewer bytes than declared', async (t) => {
  const entry: RawEntry = { name: 'short.txt', data: 'only this', method: 8, declaredSize: 5000 };
  await refused(t, rawZip([...good, entry]), 'size-mismatch', 'short.txt');
});

test('a stored entry whose two sizes disagree', async (t) => {
  const zip = rawZip([{ name: 'stored.txt', data: 'abc', declaredSize: 3000 }]);
  await refused(t, zip, 'size-mismatch', 'stored.txt');
});

test('an entry whose content does not match its CRC-32', async (t) => {
  await refused(
    t,
    rawZip([...good, { name: 'flipped.js', data: 'alert(1)', crc32: 0x12345678 }]),
    'crc-mismatch',
    'flipped.js',
  );
});

test('corrupt deflate data', async (t) => {
  const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33]);
  const err = await refused(
    t,
    rawZip([...good, { name: 'broken.css', compressedData: garbage, declaredSize: 100 }]),
    'corrupt-entry',
    'broken.css',
  );
  t.regex(err.message, /not a valid ZIP archive/);
});

test('entry-count limit', async (t) => {
  const err = await refused(t, rawZip(good), 'entry-count', undefined, { limits: { maxEntries: 2 } });
  t.regex(err.message, /3 entries, over the limit of 2/);
});

test('per-file size limit', async (t) => {
  await refused(t, rawZip(good), 'entry-size', 'js/app.js', { limits: { maxEntryBytes: 100 } });
});

test('total uncompressed size limit', async (t) => {
  await refused(t, rawZip(good), 'total-size', 'js/app.js', { limits: { maxTotalBytes: 100 } });
});

test('a truncated archive', async (t) => {
  const zip = await buildZip([{ path: 'index.html', data: randomBytes(5000) }]);
  const err = await refused(t, zip.subarray(0, Math.floor(zip.length / 2)), 'not-a-zip', undefined);
  t.regex(err.message, /^The file is not a valid ZIP archive: /);
  await refused(t, zip.subarray(0, zip.length - 5), 'not-a-zip', undefined);
});

test('a file that is not a zip at all', async (t) => {
  const err = await refused(t, Buffer.from('<html>definitely not a zip</html>'), 'not-a-zip', undefined);
  t.regex(err.message, /not a valid ZIP archive/);
  await refused(t, Buffer.alloc(0), 'not-a-zip', undefined);
});

test('a missing file is an I/O error, not the uploader’s fault', async (t) => {
  const err = await t.throwsAsync(inspectArchive(path.join(os.tmpdir(), 'crest-no-such-file.zip')));
  t.is((err as NodeJS.ErrnoException).code, 'ENOENT');
});

/* ---------- the prefix and the listing ---------- */

test('refuses a prefix that already holds files, and leaves them alone', async (t) => {
  const box = await sandbox(t);
  await box.store.put(`${PREFIX}old.txt`, 'keep me');
  const file = await tempZip(t, rawZip(good));
  const err = await t.throwsAsync(extractToStore(file, await inspectArchive(file), box.store, PREFIX));
  t.is((err as AppError).code, 'CONFLICT');
  t.deepEqual(await keysUnder(box.store, 'tenants/acme/'), [`${PREFIX}old.txt`]);
});

test('refuses a prefix outside a tenant or without a trailing slash', async (t) => {
  const box = await sandbox(t);
  const file = await tempZip(t, rawZip(good));
  const listing = await inspectArchive(file);
  await t.throwsAsync(extractToStore(file, listing, box.store, 'courses/c1/'), { message: /tenants/ });
  await t.throwsAsync(extractToStore(file, listing, box.store, 'tenants/acme/courses/c1/v1'), {
    message: /end with "\/"/,
  });
});

test('an archive replaced between inspection and extraction is refused', async (t) => {
  const box = await sandbox(t);
  const file = await tempZip(t, rawZip(good));
  const listing = await inspectArchive(file);
  await writeFile(file, rawZip([good[0]!, good[1]!, { name: 'js/app.js', data: 'changed' }]));
  const err = await t.throwsAsync(extractToStore(file, listing, box.store, PREFIX));
  t.is((err as AppError).details.rule, 'archive-changed');
  t.deepEqual(await filesUnder(box.root), []);
});

test('an archive replaced by a hostile one is checked again with the listing’s limits', async (t) => {
  const box = await sandbox(t);
  const file = await tempZip(t, rawZip(good));
  const listing = await inspectArchive(file);
  await writeFile(file, rawZip([...good, { name: '../evil.txt', data: 'x' }]));
  const err = await t.throwsAsync(extractToStore(file, listing, box.store, PREFIX));
  t.is((err as AppError).details.rule, 'path-traversal');
});

test('the CRC-32 fallback for older Node agrees with zlib', (t) => {
  for (const data of [Buffer.alloc(0), Buffer.from('123456789'), randomBytes(100_003)]) {
    t.is(tableCrc32(data), zlib.crc32(data));
    t.is(tableCrc32(data.subarray(7), tableCrc32(data.subarray(0, 7))), zlib.crc32(data));
  }
  t.is(tableCrc32(Buffer.from('123456789')), 0xcbf43926); // the standard check value
});
