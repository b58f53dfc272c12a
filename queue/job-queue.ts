import { AppError } from '../core/errors.ts';
import type { Database, Tx } from '../db/database.ts';

/**
 * The JobQueue port. Delivery is at-least-once: a job is delivered again when its consumer neither acks
 * nor retries it within `visibilityMs`, and a send may be repeated after a crash (outbox dispatcher), so
 * every consumer must be idempotent. A job delivered `maxAttempts` times without an ack goes to the
 * dead-letter store instead of being delivered again.
 */
export interface Job<P = unknown> {
  id: string;
  queue: string;
  tenant: string | null;
  payload: P;
  /** 1 on first delivery. */
  attempt: number;
  /** The handle for ack/retry. It belongs to this delivery only: once the job was delivered again, it is stale. */
  receipt: string;
}

export interface OutgoingJob {
  tenant: string | null;
  payload: unknown;
  /** Postgres only: a send whose key is already pending (not acked, not dead) in the queue is a no-op. */
  dedupeKey?: string;
}

export interface DeadLetter {
  id: string;
  tenant: string | null;
  payload: unknown;
  /** How many times it was delivered. */
  attempts: number;
  lastError: string | null;
}

export interface ReceiveOptions {
  max: number;
  /** How long the jobs stay invisible to other receivers. Adapters may round up (SQS: whole seconds). */
  visibilityMs: number;
  /** Wait up to this long for a first job when none is ready. Adapters may round up (SQS: whole seconds). */
  waitMs?: number;
}

export interface JobQueue {
  readonly kind: 'postgres' | 'sqs';
  send(queue: string, messages: readonly OutgoingJob[]): Promise<void>;
  receive(queue: string, opts: ReceiveOptions): Promise<Job[]>;
  /** Done: remove the job. A stale receipt (the job was delivered again since) is a no-op. */
  ack(job: Job): Promise<void>;
  /**
   * Failed: make the job visible again after `delayMs` (default 0), recording `error`. On its last
   * attempt the job goes straight to the dead-letter store. A stale receipt is a no-op.
   */
  retry(job: Job, opts?: { delayMs?: number; error?: string }): Promise<void>;
  /** A diagnostic read of the dead-letter store, oldest first. */
  deadLetters(queue: string, opts?: { max?: number }): Promise<DeadLetter[]>;
  ping(): Promise<void>;
  /** Releases the adapter's own resources (never a Database it was handed). */
  close(): Promise<void>;
}

/**
 * A capability beyond the port: a queue kept in a table of `database` can take jobs inside a transaction
 * of that database. The outbox dispatcher uses it to move rows from outbox to queue in one transaction
 * (exactly once, and without a second session, which PGlite doesn't have).
 */
export interface InTransactionSend {
  readonly database: Database;
  sendInTx(tx: Tx, queue: string, messages: readonly OutgoingJob[]): Promise<void>;
}

export function inTransactionSend(queue: JobQueue, db: Database): InTransactionSend | undefined {
  const candidate = queue as Partial<InTransactionSend>;
  return candidate.database === db && typeof candidate.sendInTx === 'function'
    ? (candidate as InTransactionSend)
    : undefined;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

const QUEUE_NAME = /^[a-z][a-z0-9-]{0,60}$/;

/**
 * Queue names are chosen in code, never by users, so a bad one is a bug (500). `-dlq` is reserved for
 * the SQS adapter's dead-letter queues, whose names would otherwise collide with a queue of that name.
 */
export function assertQueueName(queue: string): string {
  if (typeof queue !== 'string' || !QUEUE_NAME.test(queue) || queue.endsWith('-dlq')) {
    throw new AppError(
      'INTERNAL',
      `Queue name "${String(queue)}" is not allowed: use 1–61 characters, lower-case letters, digits and -, starting with a letter and not ending in "-dlq".`,
      { queue },
    );
  }
  return queue;
}

export function assertMaxAttempts(n: number): number {
  if (!Number.isInteger(n) || n < 1) {
    throw new AppError('CONFIG_INVALID', `maxAttempts must be a positive integer, got ${n}.`);
  }
  return n;
}

export function assertReceiveOptions(opts: ReceiveOptions): void {
  const ok =
    Number.isInteger(opts.max) &&
    opts.max >= 1 &&
    Number.isFinite(opts.visibilityMs) &&
    opts.visibilityMs >= 0 &&
    (opts.waitMs === undefined || (Number.isFinite(opts.waitMs) && opts.waitMs >= 0));
  if (!ok) throw new AppError('INTERNAL', 'Invalid receive options.', { ...opts });
}
