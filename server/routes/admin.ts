import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CREATE_KEY_BODY_SCHEMA } from '../../control/keys.ts';
import { AppError } from '../../core/errors.ts';
import type { Database } from '../../db/database.ts';
import { withTenant } from '../../db/with-tenant.ts';
import { getImportJob } from '../../packager/import/import-job.ts';
import { startImport } from '../../packager/import/start-import.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import { tokenMatches } from '../admin-token.ts';
import type { ControlPlane } from '../control-plane.ts';

export interface AdminImportDeps {
  db: Database;
  blobs: BlobStore;
  uploadLimit: number;
}

const nameParam = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', maxLength: 64 } },
} as const;

/** Cross-tenant administration, for operators and for the CLI while a server holds the data folder. */
export function registerAdminRoutes(
  app: FastifyInstance,
  deps: { control: ControlPlane; adminToken: string; imports: AdminImportDeps },
) {
  app.register(async (admin) => {
    admin.addContentTypeParser('application/zip', (_request, payload, done) => done(null, payload));
    admin.addHook('onRequest', async (request: FastifyRequest, reply) => {
      const m = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
      if (!m || !tokenMatches(m[1]!, deps.adminToken)) {
        reply.header('www-authenticate', 'Bearer realm="Crest admin"');
        throw new AppError(
          'UNAUTHENTICATED',
          'The admin API needs "Authorization: Bearer <admin token>" (CREST_ADMIN_TOKEN or <data>/admin-token).',
        );
      }
    });
    admin.get('/admin/v1/tenants', async () => deps.control.listTenants());
    // Course import on a tenant's behalf, for `crest import` while a server holds the data folder.
    admin.post<{ Params: { name: string } }>(
      '/admin/v1/tenants/:name/courses',
      { schema: { params: nameParam } },
      async (request, reply) => {
        const tenant = request.params.name;
        if (!(await deps.control.listTenants()).some((t) => t.name === tenant)) {
          throw new AppError('TENANT_NOT_FOUND', `No tenant named "${tenant}".`);
        }
        const header = request.headers['x-file-name'];
        const job = await startImport(deps.imports, {
          tenant,
          fileName: typeof header === 'string' ? decodeURIComponent(header) : null,
          upload: request.body as Readable,
          maxBytes: deps.imports.uploadLimit,
          enqueue: true,
        });
        reply.status(202);
        return job;
      },
    );
    admin.get<{ Params: { name: string; job: string } }>(
      '/admin/v1/tenants/:name/imports/:job',
      {
        schema: {
          params: {
            ...nameParam,
            properties: { ...nameParam.properties, job: { type: 'string', format: 'uuid' } },
          },
        },
      },
      async (request) => {
        const job = await withTenant(deps.imports.db, request.params.name, (tx) =>
          getImportJob(tx, request.params.job),
        );
        if (!job) throw new AppError('NOT_FOUND', `No import ${request.params.job}.`);
        const { uploadKey: _uploadKey, ...visible } = job;
        return visible;
      },
    );
    admin.post<{ Body: { name: string } }>(
      '/admin/v1/tenants',
      {
        schema: {
          body: {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string', maxLength: 64 } },
            additionalProperties: false,
          },
        },
      },
      async (request, reply) => {
        reply.status(201);
        return deps.control.createTenant(request.body.name);
      },
    );
    admin.delete<{ Params: { name: string } }>(
      '/admin/v1/tenants/:name',
      { schema: { params: nameParam } },
      async (request, reply) => {
        await deps.control.deleteTenant(request.params.name);
        reply.status(204);
      },
    );
    admin.get<{ Params: { name: string } }>(
      '/admin/v1/tenants/:name/keys',
      { schema: { params: nameParam } },
      async (request) => deps.control.listKeys(request.params.name),
    );
    admin.post<{ Params: { name: string }; Body: { scopes?: string[]; label?: string } }>(
      '/admin/v1/tenants/:name/keys',
      {
        schema: {
          params: nameParam,
          body: CREATE_KEY_BODY_SCHEMA,
        },
      },
      async (request, reply) => {
        reply.status(201);
        return deps.control.createKey(request.params.name, request.body ?? {});
      },
    );
    admin.delete<{ Params: { name: string; keyId: string } }>(
      '/admin/v1/tenants/:name/keys/:keyId',
      async (request) => deps.control.revokeKey(request.params.name, request.params.keyId),
    );
  });
}
