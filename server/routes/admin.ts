import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { tokenMatches } from '../admin-token.ts';
import type { ControlPlane } from '../control-plane.ts';

const nameParam = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', maxLength: 64 } },
} as const;

/** Cross-tenant administration, for operators and for the CLI while a server holds the data folder. */
export function registerAdminRoutes(
  app: FastifyInstance,
  deps: { control: ControlPlane; adminToken: string },
) {
  app.register(async (admin) => {
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
          body: {
            type: 'object',
            properties: {
              scopes: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 16 },
              label: { type: 'string', maxLength: 200 },
            },
            additionalProperties: false,
          },
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
