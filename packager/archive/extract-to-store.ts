import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { AppError, isAppError } from '../../core/errors.ts';
import { assertBlobKey, assertBlobPrefix, type BlobStore } from '../../storage/blob-store.ts';
import { isSystemError, notAZip, refuseEntry } from './archive-error.ts';
import { contentTypeFor } from './content-type.ts';
import { crc32 } from './crc32.ts';
import {
  type ArchiveListing,
  type CentralFile,
  readCentralDirectory,
  resolveArchiveLimits,
} from './inspect-archive.ts';

export interface ExtractOptions {
  /**
   * Called after each file is stored, and every 8 MiB within a large one: `done` files of `total` are
   * stored, `bytes` uncompressed bytes have been streamed so far. A throw aborts the extraction.
   */
  onProgress?(done: number, total: number, bytes: number): void;
  /** Files streamed at once (default 4, at most 32). Each holds one read stream and one store write. */
  concurrency?: number;
}

export interface ExtractResult {
  files: number;
  bytes: number;
}

const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 32;
const PROGRESS_STEP_BYTES = 8 * 1024 * 1024;
const DEFLATED = 8;
// Inflated output comes in pieces this big (zlib's default is 16 KiB): most course files then reach the
// store in one write.
const INFLATE_CHUNK_BYTES = 64 * 1024;

/**
 * Streams every file of `listing` from the ZIP at `path` to `store` under `prefix` (which must end with
 * '/' and hold nothing yet), with its Content-Type. Memory stays flat: each file goes
 * read → inflate → byte counter → store.put, with backpressure, never buffered whole.
 *
 * The central directory is read and checked again with the listing's limits (the file could have
 * changed since it was inspected). While streaming, each file's actual bytes are held to its declared
 * size and CRC-32: a header that lies about its size aborts as a zip bomb after one chunk too many.
 *
 * On any failure, in-flight writes are stopped and waited for, then `store.deletePrefix(prefix)` runs
 * before the error is rethrown, so nothing is left under the prefix.
 */
export async function extractToStore(
  path: string,
  listing: ArchiveListing,
  store: BlobStore,
  prefix: string,
  opts: ExtractOptions = {},
): Promise<ExtractResult> {
  assertBlobPrefix(prefix);
  if (!prefix.endsWith('/')) {
    throw new AppError('BLOB_KEY_INVALID', `Extraction prefix "${prefix}" must end with "/".`, { prefix });
  }
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new RangeError(
      `concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, not ${concurrency}.`,
    );
  }

  const directory = await readCentralDirectory(path, resolveArchiveLimits(listing.limits));
  try {
    const plan = planWrites(directory.files, listing, prefix);
    await ensureEmpty(store, prefix);
    return await runPlan(directory.zip, plan, store, prefix, concurrency, opts.onProgress);
  } finally {
    directory.zip.close();
  }
}

interface Write {
  file: CentralFile;
  key: string;
  contentType: string;
}

function planWrites(files: CentralFile[], listing: ArchiveListing, prefix: string): Write[] {
  const byPath = new Map(files.map((file) => [file.path, file]));
  const planned = new Set<string>();
  return listing.entries.map((wanted) => {
    const file = byPath.get(wanted.path);
    if (file === undefined || file.size !== wanted.size || file.compressedSize !== wanted.compressedSize) {
      throw refuseEntry(
        wanted.path,
        'archive-changed',
        'the archive no longer matches its listing; inspect it again',
      );
    }
    if (planned.has(wanted.path))
      throw refuseEntry(wanted.path, 'duplicate-entry', 'the listing names it twice');
    planned.add(wanted.path);
    const key = prefix + file.path;
    try {
      assertBlobKey(key);
    } catch (err) {
      if (!isAppError(err)) throw err;
      throw refuseEntry(file.name, 'key-invalid', `it cannot be stored: ${err.message}`, { key });
    }
    return { file, key, contentType: contentTypeFor(file.path) };
  });
}

async function ensureEmpty(store: BlobStore, prefix: string): Promise<void> {
  for await (const blob of store.list(prefix)) {
    throw new AppError(
      'CONFLICT',
      `Blob prefix "${prefix}" already holds files (${blob.key}): extract into a fresh prefix, because a failed extraction deletes everything under its prefix.`,
      { prefix, key: blob.key },
    );
  }
}

async function runPlan(
  zip: yauzl.ZipFile,
  plan: Write[],
  store: BlobStore,
  prefix: string,
  concurrency: number,
  onProgress: ExtractOptions['onProgress'],
): Promise<ExtractResult> {
  const active = new Set<Transform>();
  let failure: { error: unknown } | undefined;
  let next = 0;
  let done = 0;
  let bytes = 0;
  let reportedBytes = 0;

  const fail = (error: unknown) => {
    if (failure) return;
    failure = { error };
    const aborted = new Error('Extraction aborted: another file failed.');
    for (const guard of active) guard.destroy(aborted);
  };
  const report = () => {
    reportedBytes = bytes;
    try {
      onProgress?.(done, plan.length, bytes);
    } catch (err) {
      fail(err);
    }
  };
  const counted = (n: number) => {
    bytes += n;
    if (bytes - reportedBytes >= PROGRESS_STEP_BYTES) report();
  };

  async function extractOne(write: Write): Promise<void> {
    const raw = await openRaw(zip, write.file);
    const guard = new EntryGuard(write.file, counted);
    active.add(guard);
    try {
      connect(raw, write.file, guard);
      if (failure) guard.destroy(new Error('Extraction aborted: another file failed.'));
      // Nothing reads the prefix before the caller records the version, so each file need not be
      // durable on its own: one flush at the end (below) replaces an fsync per file and folder.
      // The etag comes from the CRC-32 and size the guard holds the bytes to (the put commits only
      // once they matched), so the store need not hash the content a second time.
      await store.put(write.key, guard, {
        contentType: write.contentType,
        deferDurability: true,
        etag: entryEtag(write.file),
      });
    } catch (err) {
      // The guard's own reason (lying size, bad CRC, corrupt data) beats however the store reworded it.
      throw guard.errored ?? err;
    } finally {
      active.delete(guard);
      guard.destroy();
    }
  }

  async function worker(): Promise<void> {
    while (!failure && next < plan.length) {
      const write = plan[next++]!;
      try {
        await extractOne(write);
      } catch (err) {
        fail(err);
        return;
      }
      done++;
      report();
    }
  }

  // Every worker settles (in-flight puts finish or fail) before the cleanup, or a put committing late
  // could land after deletePrefix and be left behind.
  await Promise.all(Array.from({ length: Math.min(concurrency, plan.length) }, worker));
  if (!failure) {
    try {
      await store.flushDeferred?.();
      return { files: done, bytes };
    } catch (err) {
      failure = { error: err };
    }
  }

  const { error } = failure;
  try {
    await store.deletePrefix(prefix);
  } catch (cleanupError) {
    throw new AggregateError(
      [error, cleanupError],
      `Extracting into "${prefix}" failed (${(error as Error)?.message}), and deleting what was already written failed too (${(cleanupError as Error)?.message}): delete that prefix by hand.`,
    );
  }
  throw error;
}

/**
 * A stored file's etag: its CRC-32 and size, as hex. It changes with the content as far as an etag must:
 * a version's files never change (a re-upload is a new version, under a new prefix), and two contents
 * at one key would need the same size and CRC-32 to collide.
 */
export function entryEtag(file: Pick<CentralFile, 'crc32' | 'size'>): string {
  return (file.crc32 >>> 0).toString(16).padStart(8, '0') + file.size.toString(16).padStart(12, '0');
}

async function openRaw(zip: yauzl.ZipFile, file: CentralFile): Promise<Readable> {
  // A fresh Entry with only the fields openReadStream reads: the listing keeps no name/extra buffers.
  const entry = Object.assign(new yauzl.Entry(), {
    compressedSize: file.compressedSize,
    uncompressedSize: file.size,
    compressionMethod: file.compressionMethod,
    generalPurposeBitFlag: file.generalPurposeBitFlag,
    relativeOffsetOfLocalHeader: file.relativeOffsetOfLocalHeader,
  });
  try {
    // Raw bytes, inflated by us: yauzl's inflate stream can't be fully destroyed once its destroy is
    // overridden, and this way every stage of the chain is ours to tear down.
    return await zip.openReadStreamPromise(entry, { decodeFileData: false });
  } catch (err) {
    if (isSystemError(err)) throw err;
    throw notAZip((err as Error).message, file.name);
  }
}

function connect(raw: Readable, file: CentralFile, guard: EntryGuard): void {
  const inflate =
    file.compressionMethod === DEFLATED
      ? zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES })
      : undefined;
  const fail = (err: Error) => guard.destroy(isSystemError(err) ? err : notAZip(err.message, file.name));
  raw.on('error', fail);
  inflate?.on('error', fail);
  guard.once('close', () => {
    raw.unpipe();
    inflate?.unpipe();
    raw.destroy();
    inflate?.destroy();
  });
  if (inflate) raw.pipe(inflate).pipe(guard);
  else raw.pipe(guard);
}

/** Holds one file's bytes to what its central-directory record declares: size and CRC-32. */
class EntryGuard extends Transform {
  private bytes = 0;
  private crc = 0;

  constructor(
    private readonly file: CentralFile,
    private readonly counted: (n: number) => void,
  ) {
    super();
    // A small entry can be read, checked and refused before the store has attached its pipeline
    // (the folder store awaits its folders first); with no listener yet, that error would be uncaught
    // and end the process. Whoever consumes the guard reads the reason from `errored`.
    this.on('error', () => undefined);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.file.size) {
      callback(
        refuseEntry(
          this.file.name,
          'size-exceeded',
          `it inflates past the ${this.file.size} bytes its header declares — a zip-bomb sign`,
          { declared: this.file.size },
        ),
      );
      return;
    }
    this.crc = crc32(chunk, this.crc);
    this.counted(chunk.length);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.bytes !== this.file.size) {
      callback(
        refuseEntry(
          this.file.name,
          'size-mismatch',
          `it holds ${this.bytes} bytes, not the ${this.file.size} its header declares`,
          { declared: this.file.size, actual: this.bytes },
        ),
      );
      return;
    }
    if (this.crc !== this.file.crc32 >>> 0) {
      callback(
        refuseEntry(
          this.file.name,
          'crc-mismatch',
          'its content does not match its CRC-32; the archive is damaged',
        ),
      );
      return;
    }
    callback();
  }
}

/**
 * Reads one small archive file into memory (a manifest), with the same size and CRC checks as
 * extraction. `maxBytes` bounds the buffer whatever the header claims.
 */
export async function readArchiveFile(
  path: string,
  listing: ArchiveListing,
  entryPath: string,
  maxBytes = 16 * 1024 * 1024,
): Promise<Buffer> {
  const directory = await readCentralDirectory(path, resolveArchiveLimits(listing.limits));
  try {
    const file = directory.files.find((f) => f.path === entryPath);
    if (!file)
      throw new AppError('NOT_FOUND', `The archive has no file "${entryPath}".`, { entry: entryPath });
    if (file.size > maxBytes) {
      throw refuseEntry(
        file.name,
        'entry-size',
        `it is ${file.size} bytes; at most ${maxBytes} can be read here`,
      );
    }
    const raw = await openRaw(directory.zip, file);
    const guard = new EntryGuard(file, () => undefined);
    connect(raw, file, guard);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of guard) chunks.push(chunk as Buffer);
    } catch (err) {
      throw guard.errored ?? err;
    }
    return Buffer.concat(chunks);
  } finally {
    directory.zip.close();
  }
}
