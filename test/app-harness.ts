import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createAuthenticator } from '../control/authenticator.ts';
import { createKey } from '../control/keys.ts';
import { createTenant } from '../control/tenants.ts';
import type { Database } from '../db/database.ts';
import { createPostgresJobQueue } from '../queue/postgres.ts';
import { type AppDeps, buildApp } from '../server/app.ts';
import { localControlPlane } from '../server/control-plane.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { createFolderBlobStore } from '../storage/folder.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestApp {
  app: FastifyInstance;
  db: Database;
  blobs: BlobStore;
  /** Collected at registration: every route the app serves, so suites can insist on covering them all. */
  routes: { method: string; url: string }[];
  close(): Promise<void>;
}

/** The real fastify app on a real database, folder store and Postgres queue; requests go through inject(). */
export async function startTestApp(
  db: Database,
  options: { bodyLimit?: number; courses?: AppDeps['courses'] } = {},
): Promise<TestApp> {
  const blobDir = await mkdtemp(path.join(os.tmpdir(), 'crest-blobs-'));
  const blobs = createFolderBlobStore({ root: blobDir });
  const queue = createPostgresJobQueue(db);
  const authenticator = createAuthenticator(db, { ttlMs: 30_000 });
  const control = localControlPlane(db, blobs, (k) => authenticator.forget(k));
  const routes: { method: string; url: string }[] = [];
  const app = await buildApp(
    {
      config: { bodyLimit: options.bodyLimit ?? 1024 * 1024, logLevel: 'silent' },
      db,
      blobs,
      queue,
      authenticator,
      control,
      adminToken: ADMIN_TOKEN,
      courses: options.courses,
    },
    { logger: false },
    (route) => {
      for (const method of [route.method].flat())
        if (method !== 'HEAD') routes.push({ method, url: route.url });
    },
  );
  await app.ready();
  return {
    app,
    db,
    blobs,
    routes,
    async close() {
      await app.close();
      await rm(blobDir, { recursive: true, force: true });
    },
  };
}

export interface TenantWithKey {
  tenant: string;
  keyId: string;
  secret: string;
  authorization: string;
}

export async function tenantWithKey(
  db: Database,
  tenant: string,
  scopes: string[] = ['all'],
): Promise<TenantWithKey> {
  const exists = await db.ownerTransaction((tx) =>
    tx.query('SELECT 1 FROM crest.tenants WHERE name = $1', [tenant]),
  );
  if (exists.rows.length === 0) await createTenant(db, tenant);
  const k = await db.ownerTransaction((tx) => createKey(tx, tenant, { scopes }));
  return {
    tenant,
    keyId: k.keyId,
    secret: k.secret,
    authorization: `Basic ${Buffer.from(`${k.keyId}:${k.secret}`).toString('base64')}`,
  };
}
