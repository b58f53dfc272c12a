import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { assertTenantName } from '../../core/tenant-name.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import { type ContentCacheOptions, createContentCache } from './content-cache.ts';
import { verifyContentToken } from './content-signing.ts';
import { parseRange } from './parse-range.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Serves unpacked course files: `/content/<tenant>/<course>/v<n>/<path>`. A version's files never change
 * (a re-upload is a new version), so responses are `immutable` for a year and a CDN can keep them.
 * Range requests are honoured for video and large assets. The player never fetches the zip: it loads
 * the launch file and whatever the content then asks for, file by file.
 *
 * Origin policy: these routes are mounted on the content listener (its own origin, or the CDN's host
 * in production), never on the admin/API origin, so course JavaScript cannot read the admin app's
 * storage or call its API with ambient credentials. `nosniff` stops a mislabelled upload being run
 * as a script of another type.
 */
export function registerContentRoutes(
  app: FastifyInstance,
  deps: {
    blobs: BlobStore /** When set, content is private: paths need a signed token. */;
    signingKey?: string;
    cache?: ContentCacheOptions;
  },
): void {
  const files = createContentCache(deps.blobs, deps.cache);
  app.route({
    method: ['GET', 'HEAD'],
    url: '/content/*',
    handler: async (request, reply) => {
      const segments = (request.params as { '*': string })['*'].split('/');
      const token = segments[0]?.startsWith('~') ? segments.shift() : undefined;
      const [tenant = '', course = '', version = '', ...rest] = segments;
      const path = rest.join('/');
      const p = { tenant, course, version };
      try {
        assertTenantName(p.tenant);
      } catch {
        throw new AppError('NOT_FOUND', 'No such content.');
      }
      if (!UUID.test(p.course) || !/^v[1-9]\d{0,5}$/.test(p.version) || !path || path.endsWith('/')) {
        throw new AppError('NOT_FOUND', 'No such content.');
      }
      if (deps.signingKey) {
        const scope = `${p.tenant}/${p.course}/${p.version}`;
        if (!token || !verifyContentToken(deps.signingKey, scope, token)) {
          throw new AppError(
            'FORBIDDEN',
            'This course is private: open it through a launch link (the link may have expired).',
          );
        }
      }
      const key = `tenants/${p.tenant}/courses/${p.course}/${p.version}/${path}`;
      const file = await files.get(key).catch(() => undefined);
      if (!file) throw new AppError('NOT_FOUND', `No file ${path} in this course version.`);
      const { info, bytes } = file;
      const etag = `"${info.etag}"`;
      reply.header('etag', etag);
      reply.header('last-modified', info.lastModified.toUTCString());
      // Signed URLs are per learner and expire, so shared caches must not keep them.
      reply.header(
        'cache-control',
        deps.signingKey ? 'private, max-age=3600, immutable' : 'public, max-age=31536000, immutable',
      );
      reply.header('accept-ranges', 'bytes');
      reply.header('x-content-type-options', 'nosniff');
      reply.type(info.contentType);
      if (request.headers['if-none-match'] === etag) {
        reply.status(304);
        return reply.send();
      }
      const range =
        request.headers['if-range'] && request.headers['if-range'] !== etag
          ? undefined
          : parseRange(request.headers.range, info.size);
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${info.size}`);
        throw new AppError('RANGE_NOT_SATISFIABLE', `The range is outside the file's ${info.size} bytes.`);
      }
      if (request.method === 'HEAD') {
        reply.header('content-length', info.size);
        return reply.send();
      }
      if (bytes) {
        // Small files come from memory; a range is a slice of them.
        const start = range ? range.start : 0;
        const end = range ? Math.min(range.end ?? info.size - 1, info.size - 1) : info.size - 1;
        if (range) {
          reply.status(206);
          reply.header('content-range', `bytes ${start}-${end}/${info.size}`);
        }
        reply.header('content-length', end - start + 1);
        return reply.send(bytes.subarray(start, end + 1));
      }
      const blob = await deps.blobs.get(key, range ? { range } : undefined);
      if (blob.etag !== info.etag) {
        // The cached info is stale (the blob was replaced): describe what is actually sent.
        files.forget(key);
        reply.header('etag', `"${blob.etag}"`);
        reply.header('last-modified', blob.lastModified.toUTCString());
        reply.type(blob.contentType);
      }
      if (blob.range) {
        reply.status(206);
        reply.header('content-range', `bytes ${blob.range.start}-${blob.range.end}/${blob.size}`);
        reply.header('content-length', blob.range.end - blob.range.start + 1);
      } else {
        reply.header('content-length', blob.size);
      }
      return reply.send(blob.body);
    },
  });
}
