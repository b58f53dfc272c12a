import { assertTenantName } from '../../core/tenant-name.ts';
import type { Database } from '../../db/database.ts';
import { runImport } from '../../packager/import/run-import.ts';
import { IMPORT_QUEUE } from '../../packager/import/start-import.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import type { JobHandler } from '../runner.ts';

/**
 * Runs course imports queued by the upload API. Imports are idempotent per job (a finished job is
 * left as it is), so a redelivery after a crash only redoes unfinished work. One at a time per
 * process: an import is I/O-heavy and the upload API must stay responsive.
 */
export function courseImportHandler(deps: {
  db: Database;
  blobs: BlobStore;
}): JobHandler<{ tenant: string; jobId: string }> {
  return {
    queue: IMPORT_QUEUE,
    // Video transcoding runs near realtime: a long lecture keeps its job for a while.
    visibilityMs: 3 * 3600_000,
    concurrency: 1,
    async handle(job) {
      const { tenant, jobId } = job.payload;
      assertTenantName(tenant);
      await runImport(deps, { tenant, jobId });
    },
  };
}
