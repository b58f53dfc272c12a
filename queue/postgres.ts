import { AppError } from '../core/errors.ts';
import type { Database, QueryOptions, Tx } from '../db/database.ts';
import { Wakers } from './idle-wait.ts';
import type { DeadLetter, InTransactionSend, Job, JobQueue, OutgoingJob } from './job-queue.ts';
import {
  assertMaxAttempts,
  assertQueueName,
  assertReceiveOptions,
  DEFAULT_MAX_ATTEMPTS,
} from './job-queue.ts';

export interface PostgresJobQueueOptions {
  /** Deliveries before a job is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** The longest pause between two polls of a queue nothing was sent to from this process. Default 1 s. */
  idlePollMs?: number;
}

export type PostgresJobQueue = JobQueue & InTransactionSend & { readonly kind: 'postgres' };

/**
 * A waiting receive polls at 20 ms, then twice as long each time nothing came, up to idlePollMs, and goes on
 * from there at its next call: an idle queue costs about one poll a second per consumer, not a dozen (each a
 * few milliseconds of CPU on PGlite, where an idle `crest serve` spent 5–11% of a core polling). A send from
 * this process ends the waits on its queue at once; other processes' sends are seen at the next poll.
 */
const FIRST_PAUSE_MS = 20;
const IDLE_POLL_MS = 1000;
/** Dead-lettering happens on the receive path, a bounded number of rows per call. */
const DEAD_BATCH = 100;
const MAX_ERROR_LENGTH = 4000;
/**
 * Each of this queue's transactions is one statement: COMMIT rides behind it in the same round trip. Committed
 * separately, every poll cost a second round trip and sat "idle in transaction", holding its connection and
 * any job rows it locked, until a busy event loop got round to the COMMIT (up to 21% of PostgreSQL's session
 * time at 2,500 SCO commits/s in bench F).
 */
const ONE_STATEMENT: QueryOptions = { commit: true };

/*
 * One statement claims a batch. The ids are picked in a MATERIALIZED CTE so the LIMIT ... SKIP LOCKED
 * sub-select runs exactly once (an IN (sub-select) may be re-planned as a join that re-evaluates it).
 * The first CTE dead-letters rows that were already delivered maxAttempts times and became visible
 * again: their next delivery would exceed the limit. It runs once although nothing references it.
 */
const RECEIVE_SQL = `
WITH doomed AS (
  UPDATE crest.jobs SET dead_at = now()
  WHERE id IN (
    SELECT id FROM crest.jobs
    WHERE queue = $1 AND dead_at IS NULL AND visible_at <= now() AND attempts >= $2
    ORDER BY visible_at, id LIMIT ${DEAD_BATCH}
    FOR UPDATE SKIP LOCKED)
  RETURNING id
), picked AS MATERIALIZED (
  SELECT id FROM crest.jobs
  WHERE queue = $1 AND dead_at IS NULL AND visible_at <= now() AND attempts < $2
  ORDER BY visible_at, id LIMIT $3
  FOR UPDATE SKIP LOCKED
)
UPDATE crest.jobs j
SET attempts = j.attempts + 1, visible_at = now() + $4::double precision * interval '1 millisecond'
FROM picked
WHERE j.id = picked.id
RETURNING j.id::text AS id, j.tenant_id, j.payload, j.attempts`;

const SEND_SQL = `
INSERT INTO crest.jobs (queue, tenant_id, payload, dedupe_key)
SELECT $1, m.e->>'tenant', m.e->'payload', m.e->>'dedupeKey'
FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS m(e, n)
ORDER BY m.n
ON CONFLICT (queue, dedupe_key) WHERE dedupe_key IS NOT NULL AND dead_at IS NULL DO NOTHING`;

/*
 * A receipt is id:attempts. Every delivery increments attempts, so a receipt from an earlier delivery
 * no longer matches and its ack/retry touches nothing: the job now belongs to whoever received it last.
 */
const ACK_SQL = 'DELETE FROM crest.jobs WHERE id = $1 AND queue = $2 AND attempts = $3 AND dead_at IS NULL';

const RETRY_SQL = `
UPDATE crest.jobs
SET last_error = coalesce($4, last_error),
    dead_at = CASE WHEN attempts >= $5 THEN now() END,
    visible_at = now() + $6::double precision * interval '1 millisecond'
WHERE id = $1 AND queue = $2 AND attempts = $3 AND dead_at IS NULL`;

const DEAD_LETTERS_SQL = `
SELECT id::text AS id, tenant_id, payload, attempts, last_error
FROM crest.jobs
WHERE queue = $1 AND dead_at IS NOT NULL
ORDER BY dead_at, id
LIMIT $2`;

interface JobRow {
  id: string;
  tenant_id: string | null;
  payload: unknown;
  attempts: number;
}

function parseReceipt(job: Job): { id: string; attempts: number } {
  const m = /^(\d{1,19}):(\d{1,9})$/.exec(job.receipt);
  if (!m) throw new AppError('INTERNAL', `Not a Postgres job receipt: "${job.receipt}".`);
  return { id: m[1]!, attempts: Number(m[2]) };
}

function compareIds(a: { id: string }, b: { id: string }): number {
  const x = BigInt(a.id);
  const y = BigInt(b.id);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * A JobQueue in the `crest.jobs` table (migration 003-jobs), claimed with FOR UPDATE SKIP LOCKED. The same
 * SQL runs on PGlite and PostgreSQL 15. It runs as the owner: jobs cross tenants, so the app role can't
 * see them. Dedupe keys are honoured while a job is pending (neither acked nor dead).
 */
export function createPostgresJobQueue(db: Database, opts: PostgresJobQueueOptions = {}): PostgresJobQueue {
  const maxAttempts = assertMaxAttempts(opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const idlePollMs = Math.max(FIRST_PAUSE_MS, opts.idlePollMs ?? IDLE_POLL_MS);
  let closed = false;
  /** Per queue: the pause its polling has backed off to, while nothing comes. */
  const backoff = new Map<string, number>();
  const waits = new Wakers();

  function assertOpen(): void {
    if (closed) throw new AppError('INTERNAL', 'The job queue is closed.');
  }

  async function sendInTx(
    tx: Tx,
    queue: string,
    messages: readonly OutgoingJob[],
    options?: QueryOptions,
  ): Promise<void> {
    assertQueueName(queue);
    if (messages.length === 0) return;
    const rows = messages.map((m) => ({
      tenant: m.tenant,
      payload: m.payload === undefined ? null : m.payload,
      dedupeKey: m.dedupeKey ?? null,
    }));
    await tx.query(SEND_SQL, [queue, JSON.stringify(rows)], options);
    // Before the caller's commit: the woken receive finds nothing yet and polls again from FIRST_PAUSE_MS.
    waits.wake(queue);
  }

  async function receiveOnce(queue: string, max: number, visibilityMs: number): Promise<Job[]> {
    const res = await db.ownerTransaction((tx) =>
      tx.query<JobRow>(RECEIVE_SQL, [queue, maxAttempts, max, visibilityMs], ONE_STATEMENT),
    );
    return res.rows.sort(compareIds).map((r) => ({
      id: r.id,
      queue,
      tenant: r.tenant_id,
      payload: r.payload,
      attempt: r.attempts,
      receipt: `${r.id}:${r.attempts}`,
    }));
  }

  return {
    kind: 'postgres',
    database: db,
    sendInTx,

    async send(queue, messages) {
      assertOpen();
      assertQueueName(queue);
      if (messages.length === 0) return;
      await db.ownerTransaction((tx) => sendInTx(tx, queue, messages, ONE_STATEMENT));
    },

    async receive(queue, receiveOpts) {
      assertOpen();
      assertQueueName(queue);
      assertReceiveOptions(receiveOpts);
      const deadline = Date.now() + (receiveOpts.waitMs ?? 0);
      for (;;) {
        const jobs = await receiveOnce(queue, receiveOpts.max, receiveOpts.visibilityMs);
        if (jobs.length > 0) backoff.delete(queue);
        const left = deadline - Date.now();
        if (jobs.length > 0 || left <= 0 || closed) return jobs;
        const pause = backoff.get(queue) ?? FIRST_PAUSE_MS;
        const woken = await waits.sleep(queue, Math.min(pause, left));
        if (closed) return [];
        if (woken) backoff.delete(queue);
        // The wait ends before the next poll is due: the caller's next receive polls first thing.
        else if (pause > left) return [];
        else backoff.set(queue, Math.min(pause * 2, idlePollMs));
      }
    },

    async ack(job) {
      assertOpen();
      const { id, attempts } = parseReceipt(job);
      await db.ownerTransaction((tx) => tx.query(ACK_SQL, [id, job.queue, attempts], ONE_STATEMENT));
    },

    async retry(job, retryOpts = {}) {
      assertOpen();
      const { id, attempts } = parseReceipt(job);
      const delayMs = Math.max(0, retryOpts.delayMs ?? 0);
      const error = retryOpts.error === undefined ? null : retryOpts.error.slice(0, MAX_ERROR_LENGTH);
      await db.ownerTransaction((tx) =>
        tx.query(RETRY_SQL, [id, job.queue, attempts, error, maxAttempts, delayMs], ONE_STATEMENT),
      );
    },

    async deadLetters(queue, dlOpts = {}): Promise<DeadLetter[]> {
      assertOpen();
      assertQueueName(queue);
      const max = dlOpts.max ?? 100;
      const res = await db.ownerTransaction((tx) =>
        tx.query<JobRow & { last_error: string | null }>(DEAD_LETTERS_SQL, [queue, max]),
      );
      return res.rows.map((r) => ({
        id: r.id,
        tenant: r.tenant_id,
        payload: r.payload,
        attempts: r.attempts,
        lastError: r.last_error,
      }));
    },

    async ping() {
      assertOpen();
      await db.ownerTransaction((tx) => tx.query('SELECT 1 FROM crest.jobs LIMIT 0'));
    },

    async close() {
      closed = true;
      waits.wakeAll();
    },
  };
}
