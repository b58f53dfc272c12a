import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../../control/authenticator.ts';
import type { Database } from '../../db/database.ts';
import { launchSigningKey } from '../launch-token.ts';
import { createCommitWriter } from '../ops/commit-writer.ts';
import { registerIntegratorRoutes } from './integrator-routes.ts';
import { registerPlayerRoutes } from './player-routes.ts';

export interface RuntimeOptions {
  db: Database;
  authenticator: Authenticator;
  /** The admin token: the launch key is derived from it when CREST_LAUNCH_SIGNING_KEY is unset. */
  adminToken: string;
  launchSigningKey: string | undefined;
  publicUrl: string | undefined;
  contentBaseUrl: () => string;
  contentSigning: { key: string; ttlMs: number } | undefined;
}

/** Mounts the SCORM runtime: the integrator API (/api/v1/registrations…) and the player API (/runtime/v1…). */
export async function registerRuntimeRoutes(app: FastifyInstance, options: RuntimeOptions): Promise<void> {
  const deps = {
    db: options.db,
    authenticator: options.authenticator,
    launchKey: launchSigningKey(options.launchSigningKey, options.adminToken),
    publicUrl: options.publicUrl?.replace(/\/$/, ''),
    contentBaseUrl: () => options.contentBaseUrl().replace(/\/$/, ''),
    contentSigning: options.contentSigning,
    // PGlite is one session; PostgreSQL gets a few transactions per tenant in flight.
    writer: createCommitWriter(options.db, {
      concurrency: options.db.kind === 'pglite' ? 1 : 4,
      publicUrl: options.publicUrl?.replace(/\/$/, ''),
    }),
  };
  await app.register(async (scope) => registerIntegratorRoutes(scope, deps));
  await app.register(async (scope) => registerPlayerRoutes(scope, deps));
}
