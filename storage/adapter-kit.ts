import { Readable } from 'node:stream';
import { AppError } from '../core/errors.ts';
import { DEFAULT_CONTENT_TYPE } from './blob-store.ts';

// Shared by the adapters so they accept and refuse exactly the same inputs. Not for callers of the port.

// Both values end up as HTTP headers (S3 and our own responses): CR/LF would let a caller inject headers.
const HEADER_VALUE = /^[\x20-\x7e]{1,256}$/;

// A caller-supplied etag: bare lowercase hex, like the ones the adapters compute.
const ETAG = /^[0-9a-f]{1,64}$/;

export function putOptions(opts: { contentType?: string; cacheControl?: string; etag?: string } = {}): {
  contentType: string;
  cacheControl: string | undefined;
  etag: string | undefined;
} {
  if (opts.etag !== undefined && (typeof opts.etag !== 'string' || !ETAG.test(opts.etag))) {
    throw new AppError(
      'VALIDATION_FAILED',
      `Blob etag ${JSON.stringify(opts.etag)} is not allowed: use 1–64 lowercase hex digits.`,
      { etag: opts.etag },
    );
  }
  const contentType = opts.contentType ?? DEFAULT_CONTENT_TYPE;
  for (const [name, value] of [
    ['contentType', contentType],
    ['cacheControl', opts.cacheControl],
  ] as const) {
    if (value !== undefined && !HEADER_VALUE.test(value)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `Blob ${name} ${JSON.stringify(value)} is not allowed: use 1–256 printable ASCII characters.`,
        { [name]: value },
      );
    }
  }
  return { contentType, cacheControl: opts.cacheControl, etag: opts.etag };
}

export interface RequestedRange {
  start: number;
  end: number | undefined;
}

/** Rejects ranges that could never be satisfied, whatever the size; the size check is the adapter's. */
export function requestedRange(key: string, range: { start: number; end?: number } | undefined) {
  if (range === undefined) return undefined;
  const { start, end } = range;
  const ok =
    Number.isSafeInteger(start) &&
    start >= 0 &&
    (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (!ok) {
    throw new AppError(
      'RANGE_NOT_SATISFIABLE',
      `Byte range ${start}-${end ?? ''} of blob "${key}" is malformed: use whole numbers with start ≥ 0 and end ≥ start.`,
      { key, range },
    );
  }
  return { start, end } satisfies RequestedRange;
}

/** RFC 9110 §14.1.2: a first position at or past the end is unsatisfiable; a last position past it is clamped. */
export function resolveRange(
  key: string,
  range: RequestedRange,
  size: number,
): { start: number; end: number } {
  if (range.start >= size) throw unsatisfiable(key, range, size);
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}

export function unsatisfiable(
  key: string,
  range: { start: number; end?: number | undefined },
  size?: number,
): AppError {
  const asked = `${range.start}-${range.end ?? ''}`;
  return new AppError(
    'RANGE_NOT_SATISFIABLE',
    `Byte range ${asked} of blob "${key}" is not satisfiable${size === undefined ? '' : `: the blob has ${size} bytes`}.`,
    size === undefined ? { key, range } : { key, range, size },
  );
}

export function notFound(key: string): AppError {
  return new AppError('BLOB_NOT_FOUND', `No blob at "${key}".`, { key });
}

/** One Buffer-yielding stream for every accepted body type, so each adapter has a single write path. */
export function toReadable(body: Readable | Buffer | string): Readable {
  if (typeof body === 'string') return Readable.from([Buffer.from(body, 'utf8')]);
  if (Buffer.isBuffer(body)) return Readable.from([body]);
  if (body instanceof Readable) return body;
  throw new TypeError('Blob body must be a Buffer, a string or a Readable stream.');
}

export function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`Blob body streams must yield bytes or strings, not ${typeof chunk}.`);
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
