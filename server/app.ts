import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyServerOptions,
  type RouteOptions,
} from 'fastify';
import type { Authenticator } from '../control/authenticator.ts';
import type { Config } from '../core/config.ts';
import { AppError, isAppError } from '../core/errors.ts';
import type { Database } from '../db/database.ts';
import { registerXapi } from '../lrs/http/register.ts';
import { createGroupCommitWriter } from '../lrs/ops/group-commit.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { ControlPlane } from './control-plane.ts';
import { registerMetrics } from './metrics.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerTenantKeyRoutes } from './routes/tenant-keys.ts';
import { XAPI_ROUTES } from './xapi-routes.ts';

export interface AppDeps {
  config: Pick<Config, 'bodyLimit' | 'logLevel'> & Partial<Pick<Config, 'publicUrl' | 'xapiDefaultVersion'>>;
  db: Database;
  blobs: BlobStore;
  queue: JobQueue;
  authenticator: Authenticator;
  control: ControlPlane;
  adminToken: string;
}

/** Maps every error to the AppError JSON shape: `{ error: { code, message, details? } }`. */
function toAppError(err: FastifyError, bodyLimit: number): AppError {
  if (isAppError(err)) return err;
  if (err.validation) return new AppError('VALIDATION_FAILED', `Invalid request: ${err.message}.`);
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(
        'PAYLOAD_TOO_LARGE',
        `The request body exceeds the ${bodyLimit}-byte limit (CREST_BODY_LIMIT).`,
        {
          limit: bodyLimit,
        },
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', err.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('BAD_REQUEST', err.message);
  }
  if (err instanceof SyntaxError || err.statusCode === 400)
    return new AppError('BAD_REQUEST', `Malformed body: ${err.message}`);
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    const e = new AppError('BAD_REQUEST', err.message);
    Object.defineProperty(e, 'status', { value: err.statusCode });
    return e;
  }
  return new AppError('INTERNAL');
}

export async function buildApp(
  deps: AppDeps,
  options: Pick<FastifyServerOptions, 'logger'> = {},
  onRoute?: (route: RouteOptions) => void,
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? { level: deps.config.logLevel },
    bodyLimit: deps.config.bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // __proto__ / constructor.prototype keys in JSON bodies are refused rather than silently stripped.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    // Unknown fields are an error a client should hear about (a typo'd option), not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  });

  if (onRoute) app.addHook('onRoute', onRoute);

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const appErr = toAppError(err, deps.config.bodyLimit);
    if (appErr.status >= 500) request.log.error({ err }, 'request failed');
    reply.status(appErr.status).send(appErr.toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send(
        new AppError('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}.`).toJSON(),
      );
  });

  registerMetrics(app);
  registerHealthRoutes(app, deps);
  registerAdminRoutes(app, { control: deps.control, adminToken: deps.adminToken });
  registerTenantKeyRoutes(app, deps);
  await registerXapi(app, {
    authenticator: deps.authenticator,
    routes: XAPI_ROUTES,
    deps: {
      db: deps.db,
      blobs: deps.blobs,
      // PGlite is one session; PostgreSQL gets a few transactions per tenant in flight.
      writer: createGroupCommitWriter(deps.db, { concurrency: deps.db.kind === 'pglite' ? 1 : 4 }),
    },
    bodyLimit: deps.config.bodyLimit,
    publicUrl: deps.config.publicUrl,
    defaultVersion: deps.config.xapiDefaultVersion ?? '2.0.0',
  });
  return app;
}
