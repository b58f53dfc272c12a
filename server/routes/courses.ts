import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../control/authenticator.ts';
import { AppError } from '../../core/errors.ts';
import type { Database } from '../../db/database.ts';
import { withTenant } from '../../db/with-tenant.ts';
import { signContentScope } from '../../packager/delivery/content-signing.ts';
import { getCourse, listCourses } from '../../packager/import/get-course.ts';
import { getImportJob } from '../../packager/import/import-job.ts';
import { startImport } from '../../packager/import/start-import.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import { requireAuth } from '../auth.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ZIP_TYPES = ['application/zip', 'application/x-zip-compressed', 'application/octet-stream'];

export interface CourseRouteDeps {
  db: Database;
  blobs: BlobStore;
  authenticator: Authenticator;
  uploadLimit: number;
  /** Where course files are served from (the content origin or CDN), for launch URLs. */
  contentBaseUrl: () => string;
  /** Private content: launch URLs get a signed, expiring path token. */
  contentSigning?: { key: string; ttlMs: number } | undefined;
}

function courseId(raw: string): string {
  if (!UUID.test(raw)) throw new AppError('NOT_FOUND', `No course ${raw}.`);
  return raw;
}

/** The uploaded package: the first file of a multipart form, or the raw body of a zip upload. */
async function uploadOf(request: FastifyRequest): Promise<{ stream: Readable; fileName: string | null }> {
  if (request.isMultipart()) {
    const file = await request.file();
    if (!file) throw new AppError('BAD_REQUEST', 'The form has no file: send the package as a file field.');
    return { stream: file.file, fileName: file.filename || null };
  }
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (!ZIP_TYPES.includes(type)) {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Upload a package as application/zip (raw body) or multipart/form-data, not "${type || 'no content type'}".`,
    );
  }
  const header = request.headers['x-file-name'];
  return {
    stream: request.body as Readable,
    fileName: typeof header === 'string' ? decodeURIComponent(header) : null,
  };
}

/**
 * Course import and catalogue for designers (scope `all` to upload, `all/read` to read):
 * POST /api/v1/courses, POST /api/v1/courses/:id/versions, GET /api/v1/courses[/:id], and
 * GET /api/v1/courses/:id/imports/:job for the job's status and progress.
 */
export async function registerCourseRoutes(app: FastifyInstance, deps: CourseRouteDeps): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(multipart, { limits: { fileSize: deps.uploadLimit, files: 1, fields: 10 } });
    // Zip bodies stay streams: the import writes them to storage without holding them in memory.
    scope.addContentTypeParser(ZIP_TYPES, (_request, payload, done) => done(null, payload));
    const write = requireAuth(deps.authenticator, 'all');
    const read = requireAuth(deps.authenticator, 'all/read');

    const upload = async (request: FastifyRequest, id: string | undefined) => {
      const { stream, fileName } = await uploadOf(request);
      const tenant = request.principal!.tenant;
      const job = await startImport(deps, {
        tenant,
        courseId: id,
        fileName,
        upload: stream,
        maxBytes: deps.uploadLimit,
        enqueue: true,
      });
      return {
        job,
        links: {
          job: `/api/v1/courses/${job.courseId}/imports/${job.id}`,
          course: `/api/v1/courses/${job.courseId}`,
        },
      };
    };

    scope.post('/api/v1/courses', { preHandler: write }, async (request, reply) => {
      const body = await upload(request, undefined);
      reply.status(202).header('location', body.links.job);
      return body;
    });
    scope.post<{ Params: { id: string } }>(
      '/api/v1/courses/:id/versions',
      { preHandler: write },
      async (request, reply) => {
        const body = await upload(request, courseId(request.params.id));
        reply.status(202).header('location', body.links.job);
        return body;
      },
    );
    scope.get('/api/v1/courses', { preHandler: read }, async (request) =>
      withTenant(deps.db, request.principal!.tenant, (tx) => listCourses(tx, { limit: 500 })),
    );
    scope.get<{ Params: { id: string } }>('/api/v1/courses/:id', { preHandler: read }, async (request) => {
      const tenant = request.principal!.tenant;
      const course = await withTenant(deps.db, tenant, (tx) => getCourse(tx, courseId(request.params.id)));
      if (!course || course.latestVersion === 0)
        throw new AppError('NOT_FOUND', `No course ${request.params.id}.`);
      const base = deps.contentBaseUrl();
      const contentPrefix = (t: string, c: string, n: number) => {
        const scope = `${t}/${c}/v${n}`;
        return deps.contentSigning
          ? `${signContentScope(deps.contentSigning.key, scope, deps.contentSigning.ttlMs)}/${scope}`
          : scope;
      };
      return {
        ...course,
        versions: course.versions.map((v) => ({
          ...v,
          launchUrl: v.launchPath
            ? `${base}/content/${contentPrefix(tenant, course.id, v.version)}/${v.launchPath}`
            : null,
        })),
      };
    });
    scope.get<{ Params: { id: string; job: string } }>(
      '/api/v1/courses/:id/imports/:job',
      { preHandler: read },
      async (request) => {
        const id = courseId(request.params.id);
        if (!UUID.test(request.params.job))
          throw new AppError('NOT_FOUND', `No import ${request.params.job}.`);
        const job = await withTenant(deps.db, request.principal!.tenant, (tx) =>
          getImportJob(tx, request.params.job),
        );
        if (!job || job.courseId !== id)
          throw new AppError('NOT_FOUND', `No import ${request.params.job} for course ${id}.`);
        const { uploadKey: _uploadKey, ...visible } = job;
        return visible;
      },
    );
  });
}
