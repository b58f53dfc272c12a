import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  asBuffer,
  mapLimit,
  notFound,
  putOptions,
  requestedRange,
  resolveRange,
  toReadable,
  unsatisfiable,
} from './adapter-kit.ts';
import { assertBlobKey, assertBlobPrefix, type BlobInfo, type BlobStore } from './blob-store.ts';

export interface S3BlobStoreOptions {
  bucket: string;
  region: string;
  /** For S3-compatible services (MinIO, s3rver); AWS itself needs none. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Omit to use the SDK's default chain (environment, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

// S3 caps a DeleteObjects request at 1000 keys and a ListObjectsV2 page at 1000.
const PAGE = 1000;
// Listings carry no content type, so list() HEADs each key; this bounds the requests in flight.
const HEAD_CONCURRENCY = 16;
// The minimum S3 allows; a bigger body goes up as a multipart upload.
const PART_SIZE = 5 * 1024 * 1024;

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

function status(err: unknown): number | undefined {
  return (err as SdkError | undefined)?.$metadata?.httpStatusCode;
}

function named(err: unknown, ...names: string[]): boolean {
  const e = err as SdkError | undefined;
  return names.includes(e?.name ?? '') || names.includes(e?.code ?? '');
}

// HTTP and S3 quote etags; the port does not.
const unquote = (etag: string | undefined) => (etag ?? '').replace(/"/g, '');

function parseContentRange(
  header: string | undefined,
): { start: number; end: number; size: number } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header ?? '');
  return m ? { start: Number(m[1]), end: Number(m[2]), size: Number(m[3]) } : undefined;
}

// Yields `length` bytes of `source` after skipping `skip`, then stops reading (which destroys it).
async function* slice(source: Readable, skip: number, length: number): AsyncGenerator<Buffer> {
  let toSkip = skip;
  let left = length;
  for await (const chunk of source) {
    let bytes = asBuffer(chunk);
    if (toSkip > 0) {
      const dropped = Math.min(toSkip, bytes.length);
      bytes = bytes.subarray(dropped);
      toSkip -= dropped;
    }
    if (bytes.length === 0) continue;
    const kept = bytes.subarray(0, left);
    left -= kept.length;
    yield kept;
    if (left === 0) return;
  }
  if (left > 0) throw new Error(`S3 body ended ${left} bytes short of the requested range.`);
}

export function createS3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const { bucket } = options;
  const client = new S3Client({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    // By default the SDK sends a streamed PutObject as aws-chunked with a checksum trailer, which s3rver
    // stores verbatim (corrupted) without an error (DESIGN.md). Our puts send known-length bodies today;
    // these keep any streamed call added later safe on S3-compatible servers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const where = `S3 bucket "${bucket}" at ${options.endpoint ?? `AWS (${options.region})`}`;

  async function head(key: string): Promise<BlobInfo | undefined> {
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        key,
        size: out.ContentLength ?? 0,
        contentType: out.ContentType ?? 'application/octet-stream',
        etag: unquote(out.ETag),
        lastModified: out.LastModified ?? new Date(0),
      };
    } catch (err) {
      if (status(err) === 404 || named(err, 'NotFound', 'NoSuchKey')) return undefined;
      throw err;
    }
  }

  async function* listPages(prefix: string): AsyncGenerator<string[]> {
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: PAGE }),
      );
      yield (page.Contents ?? []).map((o) => o.Key!);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated && !token)
        throw new Error(`${where} returned a truncated listing without a continuation token.`);
    } while (token);
  }

  // Validates before returning, so a bad prefix throws at the call as it does in the folder store.
  function list(prefix: string): AsyncIterable<BlobInfo> {
    assertBlobPrefix(prefix);
    return listInfos(prefix);
  }

  async function* listInfos(prefix: string): AsyncGenerator<BlobInfo> {
    for await (const keys of listPages(prefix)) {
      // A key deleted between the listing and its HEAD is skipped, as a later listing would skip it.
      for (const info of await mapLimit(keys, HEAD_CONCURRENCY, head)) if (info) yield info;
    }
  }

  return {
    kind: 's3',

    async put(key, body, opts) {
      assertBlobKey(key);
      const { contentType, cacheControl } = putOptions(opts);
      // Always send a content type: S3 would otherwise store binary/octet-stream.
      const params = { Bucket: bucket, Key: key, ContentType: contentType, CacheControl: cacheControl };
      if (typeof body === 'string' || Buffer.isBuffer(body)) {
        const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
        const out = await client.send(
          new PutObjectCommand({ ...params, Body: bytes, ContentLength: bytes.length }),
        );
        // S3 returns no Last-Modified on a put; a HEAD to learn it would cost a request and could see a
        // later writer's object, so the local clock stands in (within a second or so of S3's).
        return { key, size: bytes.length, contentType, etag: unquote(out.ETag), lastModified: new Date() };
      }
      const source = toReadable(body);
      let size = 0;
      let sourceError: unknown;
      const counted = Readable.from(
        (async function* () {
          try {
            for await (const chunk of source) {
              const bytes = asBuffer(chunk);
              size += bytes.length;
              yield bytes;
            }
          } catch (err) {
            sourceError = err;
            throw err;
          }
        })(),
        { objectMode: false },
      );
      // Upload buffers up to one part: a short body becomes one PutObject, a long one a multipart
      // upload that is aborted if the source fails, so a failed put leaves no object behind.
      const upload = new Upload({
        client,
        params: { ...params, Body: counted },
        partSize: PART_SIZE,
        queueSize: 4,
      });
      try {
        const out = await upload.done();
        return { key, size, contentType, etag: unquote(out.ETag), lastModified: new Date() };
      } catch (err) {
        counted.destroy();
        source.destroy();
        // When the source fails mid-multipart, Upload aborts the upload and, if the abort fails too,
        // throws that instead; the caller needs the source's error, and the abort's is kept as its cause.
        if (sourceError instanceof Error && err !== sourceError) {
          sourceError.cause ??= err;
          throw sourceError;
        }
        throw err;
      }
    },

    async get(key, opts) {
      assertBlobKey(key);
      const wanted = requestedRange(key, opts?.range);
      let out: GetObjectCommandOutput;
      try {
        out = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key,
            ...(wanted ? { Range: `bytes=${wanted.start}-${wanted.end ?? ''}` } : {}),
          }),
        );
      } catch (err) {
        if (status(err) === 404 || named(err, 'NoSuchKey', 'NotFound')) throw notFound(key);
        if (status(err) === 416 || named(err, 'InvalidRange')) throw unsatisfiable(key, wanted!);
        throw err;
      }
      let body = out.Body as Readable;
      const info: BlobInfo = {
        key,
        size: out.ContentLength ?? 0,
        contentType: out.ContentType ?? 'application/octet-stream',
        etag: unquote(out.ETag),
        lastModified: out.LastModified ?? new Date(0),
      };
      if (!wanted) return { ...info, body };

      // Servers differ in how closely they honour Range (s3rver 3.7 ignores an end of 0, serves an empty
      // blob as "bytes 0-0/0", and some servers ignore Range entirely), so trust the Content-Range they
      // send and cut the body to what was asked for.
      const served = parseContentRange(out.ContentRange) ?? {
        start: 0,
        end: info.size - 1,
        size: info.size,
      };
      let range: { start: number; end: number };
      try {
        range = resolveRange(key, wanted, served.size);
      } catch (err) {
        body.destroy();
        throw err;
      }
      if (served.start > range.start || served.end < range.end) {
        body.destroy();
        throw new Error(
          `${where} served bytes ${served.start}-${served.end} of "${key}" for a request of ${range.start}-${range.end}.`,
        );
      }
      if (served.start !== range.start || served.end !== range.end) {
        body = Readable.from(slice(body, range.start - served.start, range.end - range.start + 1), {
          objectMode: false,
        });
      }
      return { ...info, size: served.size, body, range };
    },

    async head(key) {
      assertBlobKey(key);
      return head(key);
    },

    list,

    async delete(key) {
      assertBlobKey(key);
      // S3 answers 204 for a missing key too, which is the idempotence the port promises.
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },

    async deletePrefix(prefix) {
      assertBlobPrefix(prefix);
      let count = 0;
      let previous = new Set<string>();
      // List from the start each round instead of following a continuation token across deletions.
      for (;;) {
        const first = await listPages(prefix).next();
        const keys = first.done ? [] : first.value;
        if (keys.length === 0) return count;
        if (keys.some((k) => previous.has(k))) {
          throw new Error(`${where} still lists "${keys.find((k) => previous.has(k))}" after deleting it.`);
        }
        const out = await client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        const errors = out.Errors ?? [];
        if (errors.length > 0) {
          const e = errors[0]!;
          throw new Error(
            `${where} refused to delete ${errors.length} of ${keys.length} blobs under "${prefix}" ` +
              `(first: "${e.Key}": ${e.Code} ${e.Message}).`,
          );
        }
        count += keys.length;
        previous = new Set(keys);
      }
    },

    async ping() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (err) {
        throw new Error(pingAdvice(err, bucket, where, options.endpoint), { cause: err });
      }
    },
  };
}

function pingAdvice(err: unknown, bucket: string, where: string, endpoint: string | undefined): string {
  const detail = (err as Error | undefined)?.message || (err as SdkError | undefined)?.name || String(err);
  const code = status(err);
  if (code === 404 || named(err, 'NotFound', 'NoSuchBucket')) {
    return (
      `${where} does not exist: create it (aws s3 mb s3://${bucket}` +
      `${endpoint ? ` --endpoint-url ${endpoint}` : ''}) or set S3_BUCKET to an existing bucket.`
    );
  }
  if (
    code === 401 ||
    code === 403 ||
    named(err, 'AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch')
  ) {
    return (
      `${where} refused access (${detail}): check the credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY ` +
      `or the instance role) and that they allow s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject.`
    );
  }
  if (named(err, 'CredentialsProviderError')) {
    return `No credentials for ${where} (${detail}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an IAM role.`;
  }
  return (
    `Cannot use ${where} (${detail}): check S3_ENDPOINT` +
    `${endpoint ? ' (and S3_FORCE_PATH_STYLE=true for MinIO or s3rver)' : ''}, S3_REGION and that the service is reachable.`
  );
}
