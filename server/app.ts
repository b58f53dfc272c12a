import type { FastifyInstance, FastifyServerOptions, RouteOptions } from 'fastify';
import type { Authenticator } from '../control/authenticator.ts';
import { type Config, DEFAULT_COMMIT_LINGER_MS } from '../core/config.ts';
import type { Database } from '../db/database.ts';
import { registerXapi } from '../lrs/http/register.ts';
import { createGroupCommitWriter } from '../lrs/ops/group-commit.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import { registerRuntimeRoutes } from '../runtime/http/register-runtime-routes.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { ControlPlane } from './control-plane.ts';
import { createFastify } from './fastify.ts';
import { registerMetrics } from './metrics.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerCourseRoutes } from './routes/courses.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerTenantKeyRoutes } from './routes/tenant-keys.ts';
import { XAPI_ROUTES } from './xapi-routes.ts';

export interface AppDeps {
  config: Pick<Config, 'bodyLimit' | 'logLevel'> &
    Partial<Pick<Config, 'publicUrl' | 'xapiDefaultVersion' | 'launchSigningKey' | 'commitLingerMs'>>;
  db: Database;
  blobs: BlobStore;
  queue: JobQueue;
  authenticator: Authenticator;
  control: ControlPlane;
  adminToken: string;
  /** Course uploads: the size limit, and where launch URLs point (known once the content listener is up). */
  courses?: {
    uploadLimit: number;
    contentBaseUrl: () => string;
    contentSigning?: { key: string; ttlMs: number } | undefined;
  };
}

export async function buildApp(
  deps: AppDeps,
  options: Pick<FastifyServerOptions, 'logger'> = {},
  onRoute?: (route: RouteOptions) => void,
): Promise<FastifyInstance> {
  const app = createFastify(deps.config, options.logger, onRoute);

  registerMetrics(app);
  registerHealthRoutes(app, deps);
  registerAdminRoutes(app, {
    control: deps.control,
    adminToken: deps.adminToken,
    imports: { db: deps.db, blobs: deps.blobs, uploadLimit: deps.courses?.uploadLimit ?? 4 * 1024 ** 3 },
  });
  registerTenantKeyRoutes(app, deps);
  await registerCourseRoutes(app, {
    db: deps.db,
    blobs: deps.blobs,
    authenticator: deps.authenticator,
    uploadLimit: deps.courses?.uploadLimit ?? 4 * 1024 ** 3,
    contentBaseUrl: deps.courses?.contentBaseUrl ?? (() => ''),
    contentSigning: deps.courses?.contentSigning,
  });
  await registerRuntimeRoutes(app, {
    db: deps.db,
    authenticator: deps.authenticator,
    adminToken: deps.adminToken,
    launchSigningKey: deps.config.launchSigningKey,
    publicUrl: deps.config.publicUrl,
    commitLingerMs: deps.config.commitLingerMs ?? DEFAULT_COMMIT_LINGER_MS,
    contentBaseUrl: deps.courses?.contentBaseUrl ?? (() => ''),
    contentSigning: deps.courses?.contentSigning,
  });
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
