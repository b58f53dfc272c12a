import { LRUCache } from 'lru-cache';
import type { BlobInfo, BlobStore } from '../../storage/blob-store.ts';

/*
 * Why a cache: a version's files never change (a re-upload is a new version), and most requests are for
 * small files (pages, scripts, styles, images). Without it, every GET read the blob's record twice
 * (head, then get) and streamed the data file: about a dozen thread-pool round trips for a 4 KiB page,
 * which held the content listener to a fifth of what node:http serves. Small files are kept whole;
 * larger ones keep only their info, so video and big assets still stream (and honour Range) from the
 * store. Entries expire after `ttlMs`, so a deleted course stops being served within that time (CDNs
 * in front keep `immutable` responses far longer anyway).
 */

export interface CachedFile {
  info: BlobInfo;
  /** The whole file, when it is at most `maxFileBytes`. */
  bytes?: Buffer;
}

export interface ContentCacheOptions {
  /** Largest file kept whole (default 256 KiB). */
  maxFileBytes?: number;
  /** Total bytes of files kept whole (default 64 MiB). */
  maxBytes?: number;
  /** How long an entry is trusted (default 5 minutes). */
  ttlMs?: number;
}

export interface ContentCache {
  /** The file's info (and bytes, when small), or undefined when there is no such blob. */
  get(key: string): Promise<CachedFile | undefined>;
  /** Forgets a key, e.g. when the store returned something other than the cached info said. */
  forget(key: string): void;
}

// What an info-only entry is counted as, so a flood of large files cannot grow the map without bound.
const INFO_BYTES = 512;

export function createContentCache(blobs: BlobStore, options: ContentCacheOptions = {}): ContentCache {
  const maxFileBytes = options.maxFileBytes ?? 256 * 1024;
  const cache = new LRUCache<string, CachedFile>({
    maxSize: options.maxBytes ?? 64 * 1024 * 1024,
    sizeCalculation: (entry) => INFO_BYTES + (entry.bytes?.length ?? 0),
    ttl: options.ttlMs ?? 5 * 60_000,
    // Concurrent misses on one key share a single load (lru-cache's fetch dedupes in-flight loads).
    fetchMethod: (key) => load(key),
  });

  async function load(key: string): Promise<CachedFile | undefined> {
    const info = await blobs.head(key);
    if (!info) return undefined;
    if (info.size > maxFileBytes) return { info };
    const blob = await blobs.get(key);
    const chunks: Buffer[] = [];
    for await (const chunk of blob.body) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const { body: _body, range: _range, ...read } = blob;
    // Overwritten between head and get (never for a version's files, but the store allows it): keep
    // what was read, with the info that describes it.
    return bytes.length === read.size ? { info: read, bytes } : { info: read };
  }

  return {
    async get(key) {
      return cache.fetch(key);
    },
    forget(key) {
      cache.delete(key);
    },
  };
}
