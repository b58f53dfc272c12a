import type { AppError } from '../../core/errors.ts';
import type { Database } from '../../db/database.ts';
import { withTenant } from '../../db/with-tenant.ts';
import { withRetry } from '../../lrs/ops/group-commit.ts';
import { FastPathConflict } from '../../lrs/ops/insert-statements-fast.ts';
import { type CommitAnswer, type CommitInput, type CommitOptions, commitCmi } from './commit-cmi.ts';

export interface CommitWriter {
  /** Resolves only after the transaction holding this commit (its CMI, statements and outbox rows) committed. */
  commit(input: CommitInput): Promise<CommitAnswer>;
}

interface Pending {
  input: CommitInput;
  resolve(answer: CommitAnswer): void;
  reject(err: unknown): void;
}

interface Lane {
  queue: Pending[];
  running: number;
}

export interface CommitWriterOptions extends CommitOptions {
  /** Transactions per tenant at once: 1 on PGlite (one session), a few on PostgreSQL. */
  concurrency: number;
  /** The most commits one transaction takes. */
  maxBatch?: number;
}

/**
 * Group commit for CMI commits, as the LRS does for statements (lrs/ops/group-commit.ts): the commits of a
 * tenant that arrive while its transactions are busy are coalesced into the next transaction, so a busy
 * runtime pays one BEGIN/COMMIT and one multi-row write per table for many learners. No timer: an idle runtime
 * adds no latency. A commit's own failure (stale, closed, invalid) is answered alone; if the shared
 * transaction itself fails, each commit of it is retried in a transaction of its own.
 */
export function createCommitWriter(db: Database, options: CommitWriterOptions): CommitWriter {
  const lanes = new Map<string, Lane>();
  const maxBatch = options.maxBatch ?? 200;

  function settle(p: Pending, outcome: CommitAnswer | AppError): void {
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }

  async function run(tenant: string, batch: Pending[]): Promise<void> {
    const inputs = batch.map((p) => p.input);
    const outcomes = await withRetry(async () => {
      try {
        return await withTenant(db, tenant, (tx) => commitCmi(tx, inputs, options));
      } catch (err) {
        if (!(err instanceof FastPathConflict)) throw err;
        // A statement id already existed: the transaction rolled back; the careful path judges each one.
        return withTenant(db, tenant, (tx) => commitCmi(tx, inputs, { ...options, fastStatements: false }));
      }
    });
    for (const [i, p] of batch.entries()) settle(p, outcomes[i]!);
  }

  async function flush(tenant: string, lane: Lane): Promise<void> {
    const batch = lane.queue.splice(0, maxBatch);
    if (batch.length === 0) return;
    try {
      await run(tenant, batch);
    } catch (err) {
      if (batch.length === 1) batch[0]!.reject(err);
      else {
        for (const p of batch) {
          try {
            await run(tenant, [p]);
          } catch (alone) {
            p.reject(alone);
          }
        }
      }
    }
  }

  function schedule(tenant: string, lane: Lane): void {
    if (lane.running >= options.concurrency || lane.queue.length === 0) return;
    lane.running++;
    setImmediate(async () => {
      try {
        await flush(tenant, lane);
      } finally {
        lane.running--;
        if (lane.queue.length > 0) schedule(tenant, lane);
        else if (lane.running === 0) lanes.delete(tenant);
      }
    });
  }

  return {
    commit(input) {
      return new Promise((resolve, reject) => {
        let lane = lanes.get(input.tenant);
        if (!lane) {
          lane = { queue: [], running: 0 };
          lanes.set(input.tenant, lane);
        }
        lane.queue.push({ input, resolve, reject });
        schedule(input.tenant, lane);
      });
    },
  };
}
