import type { Readable } from 'node:stream';
import { AppError, isAppError } from '../core/errors.ts';
import { assertTenantName } from '../core/tenant-name.ts';

export interface BlobInfo {
  key: string;
  size: number;
  contentType: string;
  /**
   * Hex, without the quotes HTTP and S3 put around it. The md5 of the content for single-part writes,
   * unless the caller supplied one to the folder store (`put`'s `etag`).
   */
  etag: string;
  lastModified: Date;
}

export interface BlobBody extends BlobInfo {
  /** Holds a file descriptor or a socket: read it to the end or destroy() it. */
  body: Readable;
  /** Present when a range was asked for; inclusive byte offsets of what `body` yields. */
  range?: { start: number; end: number };
}

export interface BlobStore {
  readonly kind: 'folder' | 's3';
  put(
    key: string,
    body: Readable | Buffer | string,
    opts?: {
      contentType?: string;
      cacheControl?: string;
      /**
       * For bulk writes whose commit point is elsewhere (an import records its version in the database
       * only after every file is stored): the write may be lost or torn by a crash until `flushDeferred`
       * resolves. Readers see it at once all the same.
       */
      deferDurability?: boolean;
      /**
       * An etag the caller vouches for, so the store need not hash the bytes: 1–64 lowercase hex digits,
       * stable for this content and different for different content at the same key (an import derives
       * it from the CRC-32 and size it has already checked the bytes against; a version's files never
       * change). The folder store records it as the blob's etag; S3 computes its own and ignores it.
       */
      etag?: string;
    },
  ): Promise<BlobInfo>;
  /**
   * Makes every write this store made with `deferDurability` durable. Absent where writes are durable
   * when acknowledged (S3).
   */
  flushDeferred?(): Promise<void>;
  /**
   * Where the blob's bytes already are on this machine, for readers that need random access (an import
   * reads a zip's central directory) and would otherwise download a copy; undefined when there is no
   * such blob. Read it only: it stays valid until the key is deleted or overwritten. Absent where blobs
   * are remote (S3).
   */
  localFile?(key: string): Promise<string | undefined>;
  /**
   * `size` is the whole blob's, even for a range (Content-Range needs it). `range.end` is inclusive and
   * clamped to the last byte (RFC 9110 §14.1.2). Throws AppError BLOB_NOT_FOUND, or RANGE_NOT_SATISFIABLE
   * when `start` is at or past the end (so any range of an empty blob) or the range is malformed.
   */
  get(key: string, opts?: { range?: { start: number; end?: number } }): Promise<BlobBody>;
  head(key: string): Promise<BlobInfo | undefined>;
  /** Every key under the prefix, in UTF-8 byte order (S3's order), paging handled inside. */
  list(prefix: string): AsyncIterable<BlobInfo>;
  /** Idempotent: deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Returns how many blobs were deleted. */
  deletePrefix(prefix: string): Promise<number>;
  /** Readiness: throws an Error whose message names what is wrong and how to fix it. */
  ping(): Promise<void>;
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

// S3's own limit on key length.
const MAX_KEY_BYTES = 1024;
// NAME_MAX is 255 on the filesystems we run on, and the folder store adds a one-byte marker to each
// segment. Enforcing it here keeps every key portable between adapters (a key S3 accepts today must
// still be storable after a move to the folder store, and the other way round).
const MAX_SEGMENT_BYTES = 255 - 1;
// Control characters (C0 and C1, NUL included) break logs, headers and filesystems; lone surrogates
// have no UTF-8 form, so S3 and the filesystem would store a different key than the one asked for.
const FORBIDDEN_CHAR = /[\p{Cc}\p{Cs}\\]/u;
const TENANT_PREFIX = 'tenants/';

function invalid(key: unknown, why: string): never {
  const shown =
    typeof key === 'string' ? JSON.stringify(key.length > 200 ? `${key.slice(0, 200)}…` : key) : String(key);
  throw new AppError('BLOB_KEY_INVALID', `Blob key ${shown} is not allowed: ${why}.`, { key, reason: why });
}

// A prefix must pin a whole tenant segment: `tenants/acme` (no slash) would also match `tenants/acme_eu/…`.
function checkPath(key: unknown, asPrefix: boolean): string {
  if (typeof key !== 'string') invalid(key, 'it must be a string');
  if (!key.startsWith(TENANT_PREFIX)) invalid(key, `it must start with "${TENANT_PREFIX}<tenant>/"`);
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES)
    invalid(key, `it is longer than ${MAX_KEY_BYTES} bytes`);
  const bad = FORBIDDEN_CHAR.exec(key);
  if (bad) {
    invalid(
      key,
      bad[0] === '\\'
        ? 'it contains a backslash'
        : `it contains a control or unpaired surrogate character (U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`,
    );
  }
  const segments = key.split('/');
  if (segments.length < 3) invalid(key, `it must start with "${TENANT_PREFIX}<tenant>/"`);
  const tenant = segments[1]!;
  try {
    assertTenantName(tenant);
  } catch (err) {
    if (isAppError(err)) invalid(key, `"${tenant}" is not a valid tenant name (${err.message})`);
    throw err;
  }
  // A prefix may end with '/' (everything in that folder) or with a partial segment.
  const last = asPrefix && segments[segments.length - 1] === '' ? segments.length - 1 : segments.length;
  for (let i = 2; i < last; i++) {
    const segment = segments[i]!;
    if (segment === '') invalid(key, 'it has an empty segment ("//" or a trailing "/")');
    if (segment === '.' || segment === '..') invalid(key, `it has a "${segment}" segment`);
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
      invalid(key, `the segment "${segment.slice(0, 40)}…" is longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
  return key;
}

/**
 * Checks a full blob key: `tenants/<tenant>/<path>`, with no empty, "." or ".." segment, no backslash,
 * no control character, at most 1024 bytes. Throws AppError('BLOB_KEY_INVALID') saying why.
 */
export function assertBlobKey(key: string): string {
  return checkPath(key, false);
}

/**
 * Checks a prefix for list/deletePrefix: `tenants/<tenant>/` followed by any valid key path, which may
 * end with '/' or with the start of a segment (`tenants/acme/ab` matches `tenants/acme/abc`).
 */
export function assertBlobPrefix(prefix: string): string {
  return checkPath(prefix, true);
}

/**
 * Builds `tenants/<tenant>/<parts joined by />`. A part may itself hold '/' (a path from a zip, say);
 * every resulting segment is checked, so `tenantKey('acme', '../beta/x')` throws.
 */
export function tenantKey(tenant: string, ...parts: string[]): string {
  assertTenantName(tenant);
  const key = `${TENANT_PREFIX}${tenant}/${parts.join('/')}`;
  if (parts.length === 0) invalid(key, 'it needs at least one part after the tenant');
  parts.forEach((part, i) => {
    if (typeof part !== 'string' || part === '') invalid(key, `part ${i + 1} is empty or not a string`);
  });
  return assertBlobKey(key);
}
