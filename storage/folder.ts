import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  rmdir,
  unlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  asBuffer,
  mapLimit,
  notFound,
  putOptions,
  requestedRange,
  resolveRange,
  toReadable,
} from './adapter-kit.ts';
import {
  assertBlobKey,
  assertBlobPrefix,
  type BlobBody,
  type BlobInfo,
  type BlobStore,
} from './blob-store.ts';

/*
 * Layout under root (all on one filesystem, so rename is atomic):
 *
 *   tmp/<id>.json             records in flight
 *   data/<id[0..2]>/<id>      content, immutable once written: one file per put, written in place
 *                             (nothing names it until its record is renamed into keys/)
 *   keys/+tenants/+acme/=a    the record for key `tenants/acme/a`: JSON naming its data file, size,
 *                             etag, content type
 *
 * Renaming the record into place is the single commit point, so content and metadata change together:
 * a reader sees the old blob or the new one, never new bytes with an old etag or length. Readers hold an
 * open descriptor, so unlinking the old data file after an overwrite never cuts a download short.
 *
 * Every segment gets a marker ('+' folder, '=' blob), so keys `a` and `a/b` can coexist as they do in S3
 * (a plain file `a` could not also be a folder), and no key can collide with our own files.
 *
 * Per-key ordering of writes is an in-process lock. Processes sharing a folder (server and workers on
 * PostgreSQL) still never serve torn or mismatched data, since every commit is one rename; a race
 * between them can only leave a data file no record names. So can a crash, in tmp/ and data/. Such
 * files waste space but are never served.
 */

const DIR_MARK = '+';
const BLOB_MARK = '=';
// Attempts when a concurrent overwrite/delete/prune moves things under us; each retry sees newer state.
const RETRIES = 5;
// A v2 key file ends with its record: JSON, then its byte length (uint32 BE) and these 4 bytes.
const MAGIC = 'CRB2';
const FOOTER_BYTES = 8;
// From this many deferred files on, flushDeferred syncs the whole filesystem once (syncFilesystem).
const SYNCFS_FILES = 64;

interface BlobRecord {
  v: 1 | 2;
  /** v1: the data file holding the content. Absent in v2, where the content is in the record's own file. */
  data?: string;
  size: number;
  etag: string;
  contentType: string;
  cacheControl?: string;
  lastModified: string;
}

export interface FolderBlobStoreOptions {
  root: string;
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

// ENOTDIR: a stray file where a folder should be is as good as "no such blob".
const isMissing = (err: unknown) => code(err) === 'ENOENT' || code(err) === 'ENOTDIR';

async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// Makes a rename or unlink in `dir` durable.
async function fsyncDir(dir: string): Promise<void> {
  try {
    await fsyncFile(dir);
  } catch (err) {
    // Pruned by a concurrent delete: nothing left to flush. Some platforms refuse fsync on a folder:
    // the rename is still atomic there, only less durable.
    if (!['ENOENT', 'EINVAL', 'EISDIR', 'EPERM'].includes(code(err) ?? '')) throw err;
  }
}

/**
 * syncfs(2) of the filesystem holding `dir`, through coreutils' `sync --file-system` (Node has no
 * binding): every dirty file and folder written back and the journal committed once, where an fsync per
 * file commits it again and again. It also flushes what other processes wrote to that filesystem. Resolves
 * false where that is not available or it failed: the caller then fsyncs file by file, which reports
 * an I/O error itself.
 */
function syncFilesystem(dir: string): Promise<boolean> {
  if (process.platform !== 'linux') return Promise.resolve(false);
  return new Promise((resolve) => {
    execFile('sync', ['--file-system', dir], (err) => resolve(!err));
  });
}

export function createFolderBlobStore(options: FolderBlobStoreOptions): BlobStore {
  const root = path.resolve(options.root);
  const tmpRoot = path.join(root, 'tmp');
  const dataRoot = path.join(root, 'data');
  const keysRoot = path.join(root, 'keys');

  let ready: Promise<void> | undefined;
  function ensureRoots(): Promise<void> {
    ready ??= Promise.all([tmpRoot, dataRoot, keysRoot].map((dir) => mkdir(dir, { recursive: true }))).then(
      () => undefined,
      (err) => {
        ready = undefined; // let a later call retry once the operator fixes the folder
        throw err;
      },
    );
    return ready;
  }

  // Defence in depth: assertBlobKey already rules out escapes, and the markers make "." and ".."
  // impossible as names, but a path that resolves outside keys/ is refused here regardless.
  function inside(base: string, ...names: string[]): string {
    const resolved = path.resolve(base, ...names);
    if (resolved !== keysRoot && !resolved.startsWith(`${keysRoot}${path.sep}`)) {
      throw new Error(
        `Blob path ${JSON.stringify(resolved)} escapes the blob folder ${JSON.stringify(keysRoot)}.`,
      );
    }
    return resolved;
  }

  function recordPath(key: string): string {
    const segments = key.split('/');
    const leaf = segments.pop()!;
    return inside(keysRoot, ...segments.map((s) => DIR_MARK + s), BLOB_MARK + leaf);
  }

  const dataPath = (id: string) => path.join(dataRoot, id.slice(0, 2), id);

  // The record of the key file `file` opened as `handle`: a v2 file ends with its record (JSON, its
  // length, MAGIC) after the content; anything else is a v1 JSON record. Undefined for a folder.
  async function recordOf(handle: FileHandle, file: string): Promise<BlobRecord | undefined> {
    const stat = await handle.stat();
    if (!stat.isFile()) return undefined;
    let text: string | undefined;
    if (stat.size >= FOOTER_BYTES) {
      const footer = Buffer.alloc(FOOTER_BYTES);
      await handle.read(footer, 0, FOOTER_BYTES, stat.size - FOOTER_BYTES);
      const length = footer.readUInt32BE(0);
      if (footer.toString('latin1', 4) === MAGIC && length <= stat.size - FOOTER_BYTES) {
        const json = Buffer.alloc(length);
        await handle.read(json, 0, length, stat.size - FOOTER_BYTES - length);
        text = json.toString('utf8');
      }
    }
    text ??= await handle.readFile('utf8');
    try {
      return JSON.parse(text) as BlobRecord;
    } catch (err) {
      throw new Error(`Blob record ${file} is not valid JSON; the blob folder is damaged.`, { cause: err });
    }
  }

  async function readRecord(file: string): Promise<BlobRecord | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      if (isMissing(err) || code(err) === 'EISDIR') return undefined;
      throw err;
    }
    try {
      return await recordOf(handle, file);
    } finally {
      await handle.close();
    }
  }

  function toInfo(key: string, record: BlobRecord): BlobInfo {
    return {
      key,
      size: record.size,
      contentType: record.contentType,
      etag: record.etag,
      lastModified: new Date(record.lastModified),
    };
  }

  // Files and folders written with deferDurability and not fsynced yet (see flushDeferred).
  const deferredFiles = new Set<string>();
  const deferredDirs = new Set<string>();
  const syncDir = (dir: string, defer: boolean) => {
    if (!defer) return fsyncDir(dir);
    deferredDirs.add(dir);
    return Promise.resolve();
  };

  let flushing: Promise<void> = Promise.resolve();
  async function flushNow(): Promise<void> {
    // Many files (an import): one syncfs. Otherwise files first, then the folders whose entries name
    // them; deferring turns one folder fsync per file into one per folder.
    const files = [...deferredFiles];
    const dirs = [...deferredDirs];
    deferredFiles.clear();
    deferredDirs.clear();
    try {
      if (files.length >= SYNCFS_FILES && (await syncFilesystem(root))) return;
      await mapLimit(files, 8, async (file) => {
        try {
          await fsyncFile(file);
        } catch (err) {
          if (!isMissing(err)) throw err; // deleted or replaced since: nothing of it left to keep
        }
      });
      await mapLimit(dirs, 8, fsyncDir);
    } catch (err) {
      for (const file of files) deferredFiles.add(file);
      for (const dir of dirs) deferredDirs.add(dir);
      throw err;
    }
  }

  const locks = new Map<string, Promise<unknown>>();
  async function withKeyLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = locks.get(key) ?? Promise.resolve();
    const current = previous.then(fn, fn);
    const settled = current.catch(() => undefined);
    locks.set(key, settled);
    try {
      return await current;
    } finally {
      if (locks.get(key) === settled) locks.delete(key);
    }
  }

  // The folder usually exists already (an import writes thousands of files into a few folders), so the
  // rename is tried first and mkdir runs only when it fails; a concurrent delete may also prune the
  // folder between mkdir and rename, and then we make it again.
  async function renameIntoFolder(from: string, to: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await rename(from, to);
        return;
      } catch (err) {
        if (code(err) !== 'ENOENT' || attempt >= RETRIES) throw err;
      }
      await mkdir(path.dirname(to), { recursive: true });
    }
  }

  // Creates a file that must not exist yet (O_EXCL), making its folder when it is missing (the first
  // write into one of data/'s 256 folders, or after a delete pruned it).
  async function openNew(file: string): Promise<FileHandle> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await open(file, 'wx');
      } catch (err) {
        if (code(err) !== 'ENOENT' || attempt >= RETRIES) throw err;
      }
      await mkdir(path.dirname(file), { recursive: true });
    }
  }

  // Empty folders would otherwise pile up under keys/ and data/ as blobs come and go.
  async function prune(from: string, stopAt: string): Promise<void> {
    for (let dir = from; dir !== stopAt && dir.startsWith(stopAt); dir = path.dirname(dir)) {
      try {
        await rmdir(dir);
      } catch (err) {
        if (code(err) === 'ENOTEMPTY' || code(err) === 'EEXIST' || code(err) === 'ENOENT') return;
        throw err;
      }
    }
  }

  async function removeData(id: string): Promise<void> {
    const file = dataPath(id);
    await rm(file, { force: true });
    await prune(path.dirname(file), dataRoot);
  }

  async function deleteKey(key: string): Promise<boolean> {
    const file = recordPath(key);
    return withKeyLock(key, async () => {
      const record = await readRecord(file);
      if (!record) return false;
      await unlink(file);
      await fsyncDir(path.dirname(file));
      if (record.data !== undefined) await removeData(record.data);
      await prune(path.dirname(file), keysRoot);
      return true;
    });
  }

  // Yields blobs under `dir` in UTF-8 byte order of their keys. Sorting siblings by name, with "/"
  // appended to folders, gives the global order: every key below folder "d" starts with "d/".
  async function* walk(dir: string, keyPrefix: string, partial: string): AsyncGenerator<BlobInfo> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    const entries = names
      .filter((name) => (name[0] === DIR_MARK || name[0] === BLOB_MARK) && name.slice(1).startsWith(partial))
      .map((name) => {
        const isDir = name[0] === DIR_MARK;
        const segment = name.slice(1);
        return { name, segment, isDir, order: Buffer.from(isDir ? `${segment}/` : segment, 'utf8') };
      })
      .sort((a, b) => Buffer.compare(a.order, b.order));
    for (const entry of entries) {
      const file = path.join(dir, entry.name);
      if (entry.isDir) {
        yield* walk(file, `${keyPrefix}${entry.segment}/`, '');
      } else {
        // Gone since readdir (a concurrent delete): a listing taken a moment later would not show it.
        const record = await readRecord(file);
        if (record) yield toInfo(`${keyPrefix}${entry.segment}`, record);
      }
    }
  }

  function list(prefix: string): AsyncIterable<BlobInfo> {
    assertBlobPrefix(prefix);
    const cut = prefix.lastIndexOf('/');
    const folders = prefix.slice(0, cut).split('/');
    const start = inside(keysRoot, ...folders.map((s) => DIR_MARK + s));
    return walk(start, prefix.slice(0, cut + 1), prefix.slice(cut + 1));
  }

  return {
    kind: 'folder',

    async put(key, body, opts) {
      assertBlobKey(key);
      const { contentType, cacheControl, etag } = putOptions(opts);
      const defer = opts?.deferDurability === true;
      const target = recordPath(key);
      const source: Readable = toReadable(body);
      const id = randomBytes(16).toString('hex');
      // A deferred put writes one v2 file (content, then its record) and renames it into keys/; any
      // other put writes the content to data/ and a v1 record naming it (so localFile can name a file
      // holding exactly the blob's bytes).
      const tmpFile = path.join(tmpRoot, defer ? id : `${id}.json`);
      const dataFile = defer ? undefined : dataPath(id);
      let committed = false;
      // The source may fail while a file is being opened, before the pipeline listens to it (an upload
      // over its limit): without a listener that error would be uncaught. The pipeline still rejects
      // with it, since it reads an errored stream's error.
      const ignore = () => undefined;
      source.on('error', ignore);
      try {
        await ensureRoots();
        // v1 content goes straight to its final name: no record names it until the record's rename
        // below, so until then it is as invisible as a file in tmp/ (and a crash leaves it
        // unreferenced, like one there).
        const handle = dataFile ? await openNew(dataFile) : await open(tmpFile, 'wx');
        // Without a caller's etag, the md5 of the bytes; with one (it vouches for it), no hashing.
        const hash = etag === undefined ? createHash('md5') : undefined;
        let size = 0;
        try {
          // Written through the descriptor by hand, not a WriteStream: it stays open after the content,
          // so that a v2 file gets its record appended and a v1 data file is fsynced on it.
          await pipeline(source, async (chunks: AsyncIterable<unknown>) => {
            for await (const chunk of chunks) {
              const bytes = asBuffer(chunk);
              hash?.update(bytes);
              for (let done = 0; done < bytes.length; ) {
                const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, size + done);
                done += bytesWritten;
              }
              size += bytes.length;
            }
          });
        } catch (err) {
          await handle.close();
          throw err;
        }
        const digest = etag ?? hash!.digest('hex');
        const record: BlobRecord = {
          v: defer ? 2 : 1,
          ...(defer ? {} : { data: id }),
          size,
          etag: digest,
          contentType,
          ...(cacheControl === undefined ? {} : { cacheControl }),
          lastModified: new Date().toISOString(),
        };
        if (defer) {
          const json = Buffer.from(JSON.stringify(record), 'utf8');
          const footer = Buffer.alloc(FOOTER_BYTES);
          footer.writeUInt32BE(json.length, 0);
          footer.write(MAGIC, 4, 'latin1');
          const tail = Buffer.concat([json, footer]);
          try {
            await handle.write(tail, 0, tail.length, size);
          } finally {
            await handle.close();
          }
        } else {
          try {
            await handle.sync();
          } finally {
            await handle.close();
          }
          await syncDir(path.dirname(dataFile!), false);
          await writeFile(tmpFile, JSON.stringify(record), { flag: 'wx', flush: true });
        }
        await withKeyLock(key, async () => {
          const previous = await readRecord(target);
          await renameIntoFolder(tmpFile, target);
          committed = true;
          if (defer) deferredFiles.add(target);
          await syncDir(path.dirname(target), defer);
          if (previous?.data !== undefined) await removeData(previous.data);
        });
        return toInfo(key, record);
      } catch (err) {
        source.destroy();
        await rm(tmpFile, { force: true });
        if (!committed && !defer) await removeData(id);
        throw err;
      } finally {
        source.off('error', ignore);
      }
    },

    async get(key, opts) {
      assertBlobKey(key);
      const wanted = requestedRange(key, opts?.range);
      const file = recordPath(key);
      for (let attempt = 1; attempt <= RETRIES; attempt++) {
        // The key file is read through one descriptor: a v2 blob's record and content come from it,
        // so an overwrite (a rename over it) can't mix an old record with new bytes.
        let keyHandle: FileHandle;
        try {
          keyHandle = await open(file, 'r');
        } catch (err) {
          if (isMissing(err) || code(err) === 'EISDIR') break;
          throw err;
        }
        let record: BlobRecord | undefined;
        try {
          record = await recordOf(keyHandle, file);
        } catch (err) {
          await keyHandle.close();
          throw err;
        }
        if (!record) {
          await keyHandle.close();
          break;
        }
        let handle: FileHandle;
        if (record.data === undefined) {
          handle = keyHandle;
        } else {
          await keyHandle.close();
          try {
            handle = await open(dataPath(record.data), 'r');
          } catch (err) {
            if (code(err) === 'ENOENT') continue; // overwritten or deleted since we read the record
            throw err;
          }
        }
        const info = toInfo(key, record);
        let range: { start: number; end: number } | undefined;
        try {
          range = wanted && resolveRange(key, wanted, record.size);
        } catch (err) {
          await handle.close();
          throw err;
        }
        if (record.size === 0) {
          // An empty v2 blob's file holds only its record: nothing of it is content.
          await handle.close();
          return { ...info, body: Readable.from([]) } satisfies BlobBody;
        }
        const span = range ?? { start: 0, end: record.size - 1 };
        return {
          ...info,
          body: handle.createReadStream(span),
          ...(range ? { range } : {}),
        } satisfies BlobBody;
      }
      throw notFound(key);
    },

    async head(key) {
      assertBlobKey(key);
      const record = await readRecord(recordPath(key));
      return record && toInfo(key, record);
    },

    list,

    async delete(key) {
      assertBlobKey(key);
      await deleteKey(key);
    },

    async deletePrefix(prefix) {
      assertBlobPrefix(prefix);
      // Collect first: deleting prunes folders the walk would still be reading.
      const keys: string[] = [];
      for await (const info of list(prefix)) keys.push(info.key);
      const deleted = await mapLimit(keys, 16, deleteKey);
      return deleted.filter(Boolean).length;
    },

    async localFile(key) {
      assertBlobKey(key);
      const record = await readRecord(recordPath(key));
      // A v2 blob shares its file with its record: no file holds exactly its bytes.
      return record?.data === undefined ? undefined : dataPath(record.data);
    },

    flushDeferred() {
      // Flushes run one after another: a flush must not return while an earlier one is still
      // fsyncing files this caller wrote (the earlier one took them off the list), and files of an
      // earlier flush that failed are back on the list by the time this one takes its snapshot.
      const run = flushing.catch(() => undefined).then(flushNow);
      flushing = run;
      return run;
    },

    async ping() {
      const probe = path.join(tmpRoot, `ping-${randomBytes(8).toString('hex')}`);
      try {
        await ensureRoots();
        await writeFile(probe, '', { flag: 'wx' });
        await unlink(probe);
      } catch (err) {
        throw new Error(
          `Blob folder ${JSON.stringify(root)} is not usable (${code(err) ?? (err as Error).message}): create it and ` +
            'let the Crest process write to it, or point CREST_BLOB_DIR at a writable folder.',
          { cause: err },
        );
      }
    },
  };
}
