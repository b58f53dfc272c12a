import type { Database, Tx } from '../db/database.ts';
import type { JobQueue, OutgoingJob } from './job-queue.ts';
import { assertQueueName, inTransactionSend } from './job-queue.ts';

export interface OutboxEntry {
  queue: string;
  payload: unknown;
  dedupeKey?: string;
}

/**
 * Adds jobs to the outbox inside the caller's tenant transaction (withTenant), so they commit or roll
 * back with the data that caused them. tenant_id comes from the column default, app.tenant_id, and RLS
 * refuses any other. The name is schema-qualified because search_path is the tenant's schema here.
 * One statement however many rows, for the group-commit write path.
 */
export async function enqueueManyInTx(tx: Tx, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map((e) => ({
    queue: assertQueueName(e.queue),
    payload: e.payload === undefined ? null : e.payload,
    dedupeKey: e.dedupeKey ?? null,
  }));
  await tx.query(
    `INSERT INTO crest.outbox (queue, payload, dedupe_key)
     SELECT m.e->>'queue', m.e->'payload', m.e->>'dedupeKey'
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS m(e, n)
     ORDER BY m.n`,
    [JSON.stringify(rows)],
  );
  // Before the caller's commit: a woken dispatcher that finds nothing yet looks again intervalMs later.
  for (const kick of dispatcherKicks) kick();
}

export function enqueueInTx(tx: Tx, queue: string, payload: unknown, dedupeKey?: string): Promise<void> {
  return enqueueManyInTx(tx, [dedupeKey === undefined ? { queue, payload } : { queue, payload, dedupeKey }]);
}

export interface OutboxDispatcherOptions {
  /** Rows moved per transaction. Default 500. */
  batchSize?: number;
  /** The pause after a run that found less than a full batch. Default 200 ms. */
  intervalMs?: number;
  /**
   * While runs find nothing, the pause doubles from intervalMs up to this. Default 1 s. An enqueue in this
   * process ends the pause (no sooner than intervalMs after the last run); other processes' rows wait for it.
   */
  maxIdleMs?: number;
  /** Called with each failed run; the rows stay and the next tick tries again. Default: console.error. */
  onError?(err: unknown): void;
}

export interface OutboxDispatcher {
  /** Moves one batch and returns how many rows it moved. Throws if the queue refused them. */
  runOnce(): Promise<number>;
  start(): void;
  /** Lets the current run finish, then stops. */
  stop(): Promise<void>;
}

interface OutboxRow {
  id: string;
  tenant_id: string;
  queue: string;
  payload: unknown;
  dedupe_key: string | null;
}

const MAX_ERROR_BACKOFF_MS = 10_000;
const MAX_IDLE_MS = 1000;

/** The running dispatchers of this process, told when enqueueManyInTx adds rows. */
const dispatcherKicks = new Set<() => void>();

/**
 * Moves outbox rows to the JobQueue, as the owner, which reads every tenant's rows. Each run locks a
 * batch (SKIP LOCKED, so several processes can dispatch side by side), sends it grouped by queue and
 * deletes it, in one transaction:
 *  - a queue in this same database (Postgres adapter) takes the jobs inside that transaction, so the
 *    move is exactly-once;
 *  - any other queue (SQS) is sent to while the rows are locked. If the send throws, the transaction
 *    rolls back and the rows stay for the next tick; if the commit fails after a send succeeded, the
 *    jobs are sent again next time. That is at-least-once, and consumers are idempotent.
 * On PGlite the single session is held during the SQS calls; that is fine for the embedded setups
 * PGlite is meant for.
 */
export function createOutboxDispatcher(
  db: Database,
  queue: JobQueue,
  opts: OutboxDispatcherOptions = {},
): OutboxDispatcher {
  const batchSize = opts.batchSize ?? 500;
  const intervalMs = opts.intervalMs ?? 200;
  const maxIdleMs = Math.max(intervalMs, opts.maxIdleMs ?? MAX_IDLE_MS);
  const onError = opts.onError ?? ((err: unknown) => console.error('outbox dispatcher:', err));
  const direct = inTransactionSend(queue, db);

  async function runOnce(): Promise<number> {
    return db.ownerTransaction(async (tx) => {
      const { rows } = await tx.query<OutboxRow>(
        `SELECT id::text AS id, tenant_id, queue, payload, dedupe_key
         FROM crest.outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      if (rows.length === 0) return 0;
      const byQueue = new Map<string, OutgoingJob[]>();
      for (const row of rows) {
        const job: OutgoingJob = { tenant: row.tenant_id, payload: row.payload };
        if (row.dedupe_key !== null) job.dedupeKey = row.dedupe_key;
        const list = byQueue.get(row.queue);
        if (list) list.push(job);
        else byQueue.set(row.queue, [job]);
      }
      for (const [name, jobs] of byQueue) {
        if (direct) await direct.sendInTx(tx, name, jobs);
        else await queue.send(name, jobs);
      }
      await tx.query('DELETE FROM crest.outbox WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
      return rows.length;
    });
  }

  let running = false;
  /** Bumped by start(), so a loop still finishing after stop() can't carry on beside a new one. */
  let generation = 0;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  /** The pause while runs find nothing; back to intervalMs when one moves rows or a row is enqueued here. */
  let idleMs = intervalMs;
  let lastRunAt = 0;
  /** Ends the current pause at `at` if that is sooner than it would end. */
  let shorten: ((at: number) => void) | undefined;

  /** An idle pause ends early on a kick; a pause after a failure keeps its backoff (a queue may be down). */
  function pause(ms: number, idle = false): Promise<void> {
    return new Promise((resolve) => {
      let endsAt = Date.now() + ms;
      let timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        shorten = undefined;
        resolve();
      }
      wake = done;
      if (!idle) return;
      shorten = (at) => {
        if (at >= endsAt) return;
        endsAt = at;
        clearTimeout(timer);
        timer = setTimeout(done, Math.max(0, at - Date.now()));
      };
    });
  }

  const kick = () => {
    idleMs = intervalMs;
    shorten?.(lastRunAt + intervalMs);
  };

  async function run(mine: number): Promise<void> {
    let failures = 0;
    const live = () => running && generation === mine;
    while (live()) {
      let moved = 0;
      try {
        lastRunAt = Date.now();
        moved = await runOnce();
        failures = 0;
      } catch (err) {
        failures++;
        try {
          onError(err);
        } catch {
          // A throwing error handler must not end the loop (or surface as an unhandled rejection).
        }
      }
      if (!live()) break;
      if (failures > 0) await pause(Math.min(intervalMs * 2 ** failures, MAX_ERROR_BACKOFF_MS));
      else if (moved === 0) {
        const ms = idleMs;
        idleMs = Math.min(idleMs * 2, maxIdleMs);
        await pause(ms, true);
      } else if (moved < batchSize) {
        idleMs = intervalMs;
        await pause(intervalMs, true);
      }
    }
  }

  return {
    runOnce,
    start() {
      if (running) return;
      running = true;
      generation++;
      dispatcherKicks.add(kick);
      const previous = loop ?? Promise.resolve();
      const mine = generation;
      loop = previous.then(() => run(mine));
    },
    async stop() {
      running = false;
      dispatcherKicks.delete(kick);
      wake?.();
      await loop;
      loop = undefined;
    },
  };
}
