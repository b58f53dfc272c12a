import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../../control/authenticator.ts';
import { CREATE_KEY_BODY_SCHEMA, createKey, listKeys, revokeKey } from '../../control/keys.ts';
import type { Database } from '../../db/database.ts';
import { withTenant } from '../../db/with-tenant.ts';
import { requireAuth } from '../auth.ts';

/**
 * A tenant managing its own keys with a key that has the `all` scope. Every query runs through
 * withTenant, so RLS on crest.credentials confines it to the caller's tenant whatever the SQL says.
 */
export function registerTenantKeyRoutes(
  app: FastifyInstance,
  deps: { db: Database; authenticator: Authenticator },
) {
  const auth = requireAuth(deps.authenticator, 'all');
  app.get('/api/v1/tenant', { preHandler: requireAuth(deps.authenticator, 'all/read') }, async (request) => {
    const p = request.principal!;
    return { tenant: p.tenant, keyId: p.keyId, scopes: p.scopes };
  });
  app.get('/api/v1/keys', { preHandler: auth }, async (request) => {
    const tenant = request.principal!.tenant;
    return withTenant(deps.db, tenant, (tx) => listKeys(tx, tenant));
  });
  app.post<{ Body: { scopes?: string[]; label?: string } }>(
    '/api/v1/keys',
    {
      preHandler: auth,
      schema: {
        body: CREATE_KEY_BODY_SCHEMA,
      },
    },
    async (request, reply) => {
      const tenant = request.principal!.tenant;
      const key = await withTenant(deps.db, tenant, (tx) => createKey(tx, tenant, request.body ?? {}));
      reply.status(201);
      return key;
    },
  );
  app.delete<{ Params: { keyId: string } }>('/api/v1/keys/:keyId', { preHandler: auth }, async (request) => {
    const tenant = request.principal!.tenant;
    const info = await withTenant(deps.db, tenant, (tx) => revokeKey(tx, tenant, request.params.keyId));
    deps.authenticator.forget(info.keyId);
    return info;
  });
}
