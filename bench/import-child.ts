import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createTenant } from '../control/tenants.ts';
import { migrateControl } from '../db/migrate.ts';
import { createPostgresDatabase } from '../db/postgres.ts';
import { runImport } from '../packager/import/run-import.ts';
import { startImport } from '../packager/import/start-import.ts';
import { createFolderBlobStore } from '../storage/folder.ts';

/**
 * One course import in its own process, so its peak RSS is the import's and nothing else's:
 * `tsx bench/import-child.ts <zip> <blob dir> <database url> <tenant>`. It does what `crest import FILE` does
 * offline (startImport streams the file into the BlobStore, runImport inspects, validates, extracts and
 * records the version) and prints one JSON line with the timings, the phases and its RSS.
 */
export interface ImportChildResult {
  status: string;
  error?: unknown;
  files: number;
  bytes: number;
  /** Storing the upload (startImport), then the import job (runImport), in seconds. */
  uploadS: number;
  importS: number;
  /** Seconds from the start of runImport at which each phase began. */
  phases: Record<string, number>;
  /** RSS after the database is open and migrated, before the import starts. */
  baselineRss: number;
  maxRss: number;
}

const [zip, blobDir, databaseUrl, tenant = 'bench'] = process.argv.slice(2);
if (!zip || !blobDir || !databaseUrl) {
  console.error('usage: tsx bench/import-child.ts <zip> <blob dir> <database url> [tenant]');
  process.exit(2);
}
// Bounded like every bench process: never outlive a stuck run.
setTimeout(() => {
  console.error('import-child: 10 minutes passed; exiting');
  process.exit(3);
}, 600_000).unref();

const db = await createPostgresDatabase({ url: databaseUrl, appRole: 'crest_app', connectRetries: 0 });
try {
  await migrateControl(db);
  await createTenant(db, tenant);
  const blobs = createFolderBlobStore({ root: blobDir });
  await blobs.ping();
  const baselineRss = process.memoryUsage().rss;

  const t0 = performance.now();
  const job = await startImport(
    { db, blobs },
    {
      tenant,
      fileName: path.basename(zip),
      upload: createReadStream(zip),
      maxBytes: 4 * 2 ** 30,
      enqueue: false,
    },
  );
  const t1 = performance.now();
  const phases: Record<string, number> = {};
  const done = await runImport({ db, blobs }, { tenant, jobId: job.id }, (p) => {
    phases[p.phase] ??= (performance.now() - t1) / 1000;
  });
  const t2 = performance.now();
  const result: ImportChildResult = {
    status: done.status,
    error: done.error ?? undefined,
    files: done.progress.files,
    bytes: done.progress.bytes,
    uploadS: (t1 - t0) / 1000,
    importS: (t2 - t1) / 1000,
    phases,
    baselineRss,
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
  console.log(JSON.stringify(result));
} finally {
  await db.close();
}
