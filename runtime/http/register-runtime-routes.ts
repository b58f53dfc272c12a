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
  /** CREST_COMMIT_LINGER_MS (core/config.ts); PGlite, one session, never lingers. */
  commitLingerMs: number;
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
    // PGlite is one session. On PostgreSQL, two transactions per tenant in flight: a CMI commit writes far more
    // than a statement, and with fewer, larger groups the 2-core bench box served 1,900–2,000 commits/s where
    // four lanes saturated at ~1,550 and one left the machine idle between round trips (bench F, 2026-11-28).
    writer: createCommitWriter(options.db, {
      concurrency: options.db.kind === 'pglite' ? 1 : 2,
      lingerMs: options.db.kind === 'pglite' ? 0 : options.commitLingerMs,
      publicUrl: options.publicUrl?.replace(/\/$/, ''),
    }),
  };
  await app.register(async (scope) => registerIntegratorRoutes(scope, deps));
  await app.register(async (scope) => registerPlayerRoutes(scope, deps));
}
