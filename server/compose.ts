import type { Config } from '../core/config.ts';
import type { Database } from '../db/database.ts';
import { createPgliteDatabase } from '../db/pglite.ts';
import { createPostgresDatabase } from '../db/postgres.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import { createPostgresJobQueue } from '../queue/postgres.ts';
import { createSqsJobQueue } from '../queue/sqs.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { createFolderBlobStore } from '../storage/folder.ts';
import { createS3BlobStore } from '../storage/s3.ts';

/**
 * The composition root: the only place that picks adapters. Config validation has already refused
 * unknown adapter names, so every branch here is a real engine — there is no silent fallback.
 */
export interface Adapters {
  db: Database;
  blobs: BlobStore;
  queue: JobQueue;
  close(): Promise<void>;
}

export interface ComposeHooks {
  onDbRetry?: (attempt: number, max: number, err: Error) => void;
}

export async function openDatabase(config: Config, hooks: ComposeHooks = {}): Promise<Database> {
  const d = config.database;
  if (d.kind === 'pglite') return createPgliteDatabase({ dataDir: d.dataDir, appRole: d.appRole });
  return createPostgresDatabase({
    url: d.url,
    appUrl: d.appUrl,
    appRole: d.appRole,
    poolMax: d.poolMax,
    backendFlushAfter: d.backendFlushAfter,
    connectRetries: config.dbConnectRetries,
    onRetry: hooks.onDbRetry,
  });
}

export function openBlobStore(config: Config): BlobStore {
  const s = config.storage;
  if (s.kind === 'folder') return createFolderBlobStore({ root: s.root });
  return createS3BlobStore({
    bucket: s.bucket,
    region: s.region,
    endpoint: s.endpoint,
    forcePathStyle: s.forcePathStyle,
  });
}

export function openJobQueue(config: Config, db: Database): JobQueue {
  const q = config.queue;
  if (q.kind === 'postgres') return createPostgresJobQueue(db);
  return createSqsJobQueue({ endpoint: q.endpoint, region: q.region, queuePrefix: q.queuePrefix });
}

export async function openAdapters(config: Config, hooks: ComposeHooks = {}): Promise<Adapters> {
  const db = await openDatabase(config, hooks);
  const blobs = openBlobStore(config);
  const queue = openJobQueue(config, db);
  return {
    db,
    blobs,
    queue,
    async close() {
      await queue.close();
      await db.close();
    },
  };
}
