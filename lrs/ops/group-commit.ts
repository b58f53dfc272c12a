import type { AppError } from '../../core/errors.ts';
import { createLaneBatcher } from '../../core/lane-batcher.ts';
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

export interface GroupCommitOptions {
  /** Transactions per tenant at once. PGlite has one session, so 1 there; a few on PostgreSQL. */
  concurrency: number;
  /** The most statements one transaction takes. */
  maxStatements?: number;
}

/**
 * Group commit: concurrent statement writes of a tenant are coalesced into one transaction with one
 * multi-row insert and one commit (scheduling in core/lane-batcher.ts). Each request still stands alone: a
 * conflict fails that request only. If the shared transaction itself fails (e.g. another process inserted
 * the same id in between), every request in it is retried in a transaction of its own, so one bad apple
 * can't fail its neighbours.
 */
export function createGroupCommitWriter(db: Database, options: GroupCommitOptions): StatementWriter {
  const batcher = createLaneBatcher<StoreStatementsInput, StoreStatementsResult>({
    concurrency: options.concurrency,
    maxWeight: options.maxStatements ?? 2000,
    weight: (input) => input.statements.length,
    run: (tenant, inputs) =>
      withRetry(async (): Promise<(StoreStatementsResult | AppError)[]> => {
        if (fastPathApplies(inputs)) {
          try {
            return await withTenant(db, tenant, (tx) => insertStatementsFast(tx, inputs));
          } catch (err) {
            if (!(err instanceof FastPathConflict)) throw err;
          }
        }
        return withTenant(db, tenant, (tx) => storeStatementRequests(tx, inputs));
      }),
  });
  return { write: (tenant, input) => batcher.submit(tenant, input) };
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
