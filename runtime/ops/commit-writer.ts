import type { AppError } from '../../core/errors.ts';
import { createLaneBatcher } from '../../core/lane-batcher.ts';
import type { Database } from '../../db/database.ts';
import { withTenant } from '../../db/with-tenant.ts';
import { withRetry } from '../../lrs/ops/group-commit.ts';
import { FastPathConflict } from '../../lrs/ops/insert-statements-fast.ts';
import { forgetSnapshots } from './attempt-snapshots.ts';
import {
  type CommitAnswer,
  type CommitInput,
  type CommitOptions,
  commitCmi,
  StaleSnapshot,
} from './commit-cmi.ts';

export interface CommitWriter {
  /** Resolves only after the transaction holding this commit (its CMI, statements and outbox rows) committed. */
  commit(input: CommitInput): Promise<CommitAnswer>;
}

export interface CommitWriterOptions extends CommitOptions {
  /** Transactions per tenant at once: 1 on PGlite (one session), a few on PostgreSQL. */
  concurrency: number;
  /** The most commits one transaction takes. */
  maxBatch?: number;
  /** How long a free lane waits for more commits while another transaction is in flight (core/lane-batcher.ts). */
  lingerMs?: number;
}

/**
 * Group commit for CMI commits, as the LRS does for statements (same scheduling: core/lane-batcher.ts): the
 * commits of a tenant that arrive while its transactions are busy are coalesced into the next transaction, so
 * a busy runtime pays one BEGIN/COMMIT and one multi-row write per table for many learners. No timer: an idle
 * runtime adds no latency. A commit's own failure (stale, closed, invalid) is answered alone; if the shared
 * transaction itself fails, each commit of it is retried in a transaction of its own.
 */
export function createCommitWriter(db: Database, options: CommitWriterOptions): CommitWriter {
  const batcher = createLaneBatcher<CommitInput, CommitAnswer>({
    concurrency: options.concurrency,
    maxWeight: options.maxBatch ?? 200,
    lingerMs: options.lingerMs ?? 0,
    run: (tenant, inputs) =>
      withRetry(async (): Promise<(CommitAnswer | AppError)[]> => {
        const run = (o: CommitOptions) => withTenant(db, tenant, (tx) => commitCmi(tx, inputs, o));
        try {
          return await run(options);
        } catch (err) {
          if (err instanceof StaleSnapshot) {
            // Judged against snapshots another writer overtook: nothing was written; judge again from the database.
            forgetSnapshots(tenant, err.attemptIds);
            return run(options);
          }
          if (!(err instanceof FastPathConflict)) throw err;
          // A statement id already existed: the transaction rolled back; the careful path judges each one.
          return run({ ...options, fastStatements: false });
        }
      }),
  });
  return { commit: (input) => batcher.submit(input.tenant, input) };
}
