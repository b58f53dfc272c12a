import type { AppError } from '../../core/errors.ts';
import type { Database } from '../../db/database.ts';
import { withTenant } from '../../db/with-tenant.ts';
import { FastPathConflict, fastPathApplies, insertStatementsFast } from './insert-statements-fast.ts';
import {
  type StoreStatementsInput,
  type StoreStatementsResult,
  storeStatementRequests,
} from './store-statements.ts';

export interface StatementWriter {
  /** Resolves only after the transaction holding this request's statements has committed. */
  write(tenant: string, input: StoreStatementsInput): Promise<StoreStatementsResult>;
}

interface Pending {
  input: StoreStatementsInput;
  resolve(result: StoreStatementsResult): void;
  reject(err: unknown): void;
}

interface TenantLane {
  queue: Pending[];
  running: number;
}

export interface GroupCommitOptions {
  /** Transactions per tenant at once. PGlite has one session, so 1 there; a few on PostgreSQL. */
  concurrency: number;
  /** The most statements one transaction takes. */
  maxStatements?: number;
}

/**
 * Group commit: concurrent statement writes of a tenant are coalesced into one transaction with one
 * multi-row insert and one commit. There is no timer: a request that finds a free slot is flushed on
 * the next tick (gathering whatever arrived in the same tick), and requests arriving while all slots
 * are busy wait for the next flush. So an idle LRS adds no latency and a busy one batches more.
 * Each request still stands alone: a conflict fails that request only. If the shared transaction
 * itself fails (e.g. another process inserted the same id in between), every request in it is
 * retried in a transaction of its own, so one bad apple can't fail its neighbours.
 */
export function createGroupCommitWriter(db: Database, options: GroupCommitOptions): StatementWriter {
  const lanes = new Map<string, TenantLane>();
  const maxStatements = options.maxStatements ?? 2000;

  function take(lane: TenantLane): Pending[] {
    const batch: Pending[] = [];
    let count = 0;
    while (lane.queue.length > 0) {
      const next = lane.queue[0]!;
      if (batch.length > 0 && count + next.input.statements.length > maxStatements) break;
      batch.push(lane.queue.shift()!);
      count += next.input.statements.length;
    }
    return batch;
  }

  async function commitAlone(tenant: string, p: Pending): Promise<void> {
    try {
      const [outcome] = await withRetry(() =>
        withTenant(db, tenant, (tx) => storeStatementRequests(tx, [p.input])),
      );
      settle(p, outcome!);
    } catch (err) {
      p.reject(err);
    }
  }

  function settle(p: Pending, outcome: StoreStatementsResult | AppError): void {
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }

  async function flush(tenant: string, lane: TenantLane): Promise<void> {
    const batch = take(lane);
    if (batch.length === 0) return;
    try {
      const inputs = batch.map((p) => p.input);
      const outcomes = await withRetry(async (): Promise<(StoreStatementsResult | AppError)[]> => {
        if (fastPathApplies(inputs)) {
          try {
            return await withTenant(db, tenant, (tx) => insertStatementsFast(tx, inputs));
          } catch (err) {
            if (!(err instanceof FastPathConflict)) throw err;
          }
        }
        return withTenant(db, tenant, (tx) => storeStatementRequests(tx, inputs));
      });
      for (const [i, p] of batch.entries()) settle(p, outcomes[i]!);
    } catch (err) {
      if (batch.length === 1) batch[0]!.reject(err);
      else for (const p of batch) await commitAlone(tenant, p);
    }
  }

  function schedule(tenant: string, lane: TenantLane): void {
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
    write(tenant, input) {
      return new Promise((resolve, reject) => {
        let lane = lanes.get(tenant);
        if (!lane) {
          lane = { queue: [], running: 0 };
          lanes.set(tenant, lane);
        }
        lane.queue.push({ input, resolve, reject });
        schedule(tenant, lane);
      });
    },
  };
}

/** PostgreSQL's "try again" errors: deadlock_detected and serialization_failure. */
const TRANSIENT = new Set(['40P01', '40001']);

/** Runs a whole transaction again when PostgreSQL aborted it for a transient reason. */
export async function withRetry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !TRANSIENT.has((err as { code?: string }).code ?? '')) throw err;
      await new Promise((r) => setTimeout(r, 5 * i + Math.random() * 10));
    }
  }
}
