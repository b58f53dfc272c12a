import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecutionContext, TestFn } from 'ava';
import type { Job, JobQueue, ReceiveOptions } from './job-queue.ts';

/** The factory handed to the contract must build its queue with this maxAttempts. */
export const CONTRACT_MAX_ATTEMPTS = 3;

export interface JobQueueUnderTest {
  queue: JobQueue;
  dispose(): Promise<void>;
}

/*
 * Timing: adapters may round times up to their own granularity (SQS: whole seconds), so the contract
 * only asserts "not before X" (measured from a point known to precede the event) and "eventually,
 * within a generous bound". A short visibility is used only where a redelivery is the point of the test;
 * elsewhere it is long enough that no redelivery can happen while the test runs.
 */
const SHORT_VISIBILITY_MS = 1000;
const LONG_VISIBILITY_MS = 60_000;
const EVENTUALLY_MS = 10_000;
/** Timer and clock granularity between Node and the queue's server on the same machine. */
const CLOCK_TOLERANCE_MS = 50;

function queueName(): string {
  return `c-${randomBytes(5).toString('hex')}`;
}

/** Receives until `count` jobs have arrived or EVENTUALLY_MS passed. */
async function collect(
  queue: JobQueue,
  name: string,
  count: number,
  opts: Omit<ReceiveOptions, 'max' | 'waitMs'>,
): Promise<Job[]> {
  const jobs: Job[] = [];
  const deadline = Date.now() + EVENTUALLY_MS;
  while (jobs.length < count) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    jobs.push(
      ...(await queue.receive(name, { ...opts, max: count - jobs.length, waitMs: Math.min(left, 2000) })),
    );
  }
  return jobs;
}

async function one(t: ExecutionContext, queue: JobQueue, name: string, visibilityMs: number): Promise<Job> {
  const jobs = await collect(queue, name, 1, { visibilityMs });
  t.is(jobs.length, 1, `expected one job on ${name} within ${EVENTUALLY_MS} ms`);
  return jobs[0]!;
}

/** JSON with sorted keys: jsonb, for one, doesn't keep key order. */
function canonical(x: unknown): string {
  return JSON.stringify(x, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}

/**
 * The behaviour every JobQueue adapter must show. Each test uses its own queue name, so the tests run
 * concurrently against one server or database.
 */
export function runJobQueueContract(
  test: TestFn,
  name: string,
  make: () => Promise<JobQueueUnderTest>,
): void {
  const it = (title: string, body: (t: ExecutionContext, queue: JobQueue) => Promise<void>) =>
    test(`${name}: ${title}`, async (t) => {
      const { queue, dispose } = await make();
      try {
        await body(t, queue);
      } finally {
        await dispose();
      }
    });

  it('send, receive and ack keep payload and tenant intact', async (t, queue) => {
    const q = queueName();
    const sent = [
      {
        tenant: 'acme',
        payload: { verb: 'completed', list: [1, 'two', null, true], text: 'Grüße 🎓 "quoted" \\ \n\t\uFFFE' },
      },
      { tenant: null, payload: 'a plain string' },
      { tenant: 'globex', payload: 42 },
      { tenant: 'acme', payload: null },
    ];
    await queue.send(q, sent);
    // A short visibility, so an ack that failed to remove a job would show as a redelivery below.
    const jobs = await collect(queue, q, sent.length, { visibilityMs: 2 * SHORT_VISIBILITY_MS });
    t.is(jobs.length, sent.length);
    t.deepEqual(
      jobs.map((j) => canonical({ tenant: j.tenant, payload: j.payload })).sort(),
      sent.map(canonical).sort(),
    );
    for (const job of jobs) {
      t.is(job.queue, q);
      t.is(job.attempt, 1);
      t.is(typeof job.id, 'string');
      t.is(typeof job.receipt, 'string');
    }
    t.is(new Set(jobs.map((j) => j.id)).size, jobs.length);
    t.is(new Set(jobs.map((j) => j.receipt)).size, jobs.length);
    await Promise.all(jobs.map((j) => queue.ack(j)));
    const after = await queue.receive(q, {
      max: 10,
      visibilityMs: LONG_VISIBILITY_MS,
      waitMs: 4 * SHORT_VISIBILITY_MS,
    });
    t.deepEqual(after, [], 'acked jobs must not come back after their visibility timeout');
  });

  it('receive returns at most max jobs', async (t, queue) => {
    const q = queueName();
    await queue.send(
      q,
      [0, 1, 2, 3, 4].map((n) => ({ tenant: null, payload: { n } })),
    );
    const first = await queue.receive(q, { max: 2, visibilityMs: LONG_VISIBILITY_MS, waitMs: EVENTUALLY_MS });
    t.true(first.length >= 1 && first.length <= 2, `got ${first.length}`);
    const rest = await collect(queue, q, 5 - first.length, { visibilityMs: LONG_VISIBILITY_MS });
    const all = [...first, ...rest];
    t.deepEqual(all.map((j) => (j.payload as { n: number }).n).sort(), [0, 1, 2, 3, 4]);
    await Promise.all(all.map((j) => queue.ack(j)));
  });

  it('a job not acked is hidden for visibilityMs, then delivered again as attempt 2', async (t, queue) => {
    const q = queueName();
    await queue.send(q, [{ tenant: 'acme', payload: { n: 1 } }]);
    const start = Date.now();
    const first = await one(t, queue, q, SHORT_VISIBILITY_MS);
    t.is(first.attempt, 1);
    const meanwhile = await queue.receive(q, { max: 10, visibilityMs: SHORT_VISIBILITY_MS });
    if (Date.now() - start < SHORT_VISIBILITY_MS)
      t.deepEqual(meanwhile, [], 'delivered again while invisible');
    else t.log('machine too slow to check invisibility; the redelivery is still checked');
    const second = meanwhile[0] ?? (await one(t, queue, q, LONG_VISIBILITY_MS));
    t.true(Date.now() - start >= SHORT_VISIBILITY_MS - CLOCK_TOLERANCE_MS, 'redelivered too early');
    t.is(second.id, first.id);
    t.is(second.attempt, 2);
    t.not(second.receipt, first.receipt);
    t.is(second.tenant, 'acme');
    t.deepEqual(second.payload, { n: 1 });
    await queue.ack(second);
  });

  it('retry makes the job visible again after its delay, not before', async (t, queue) => {
    const q = queueName();
    const delayMs = 1500;
    await queue.send(q, [{ tenant: null, payload: 'again' }]);
    const first = await one(t, queue, q, LONG_VISIBILITY_MS);
    const retried = Date.now();
    await queue.retry(first, { delayMs, error: 'transient' });
    const early = await queue.receive(q, { max: 10, visibilityMs: LONG_VISIBILITY_MS });
    if (Date.now() - retried < delayMs) t.deepEqual(early, [], 'visible before the retry delay');
    else t.log('machine too slow to check the early receive; the delay is still checked');
    // Far sooner than the 60 s visibility of the first delivery: only the retry can explain it.
    const second = early[0] ?? (await one(t, queue, q, LONG_VISIBILITY_MS));
    t.true(Date.now() - retried >= delayMs - CLOCK_TOLERANCE_MS, 'visible before the retry delay');
    t.is(second.id, first.id);
    t.is(second.attempt, 2);
    t.is(second.payload, 'again');
    await queue.ack(second);
  });

  it(`a job retried ${CONTRACT_MAX_ATTEMPTS} times goes to the dead letters with its last error`, async (t, queue) => {
    const q = queueName();
    t.deepEqual(await queue.deadLetters(q), []);
    await queue.send(q, [{ tenant: 'acme', payload: { certificate: 7 } }]);
    let id: string | undefined;
    for (let attempt = 1; attempt <= CONTRACT_MAX_ATTEMPTS; attempt++) {
      const job = await one(t, queue, q, LONG_VISIBILITY_MS);
      t.is(job.attempt, attempt);
      id ??= job.id;
      t.is(job.id, id);
      await queue.retry(job, { error: `boom ${attempt}` });
    }
    const after = await queue.receive(q, {
      max: 10,
      visibilityMs: LONG_VISIBILITY_MS,
      waitMs: 2 * SHORT_VISIBILITY_MS,
    });
    t.deepEqual(after, [], 'a dead-lettered job must not be delivered');
    t.deepEqual(await queue.deadLetters(q), [
      {
        id: id!,
        tenant: 'acme',
        payload: { certificate: 7 },
        attempts: CONTRACT_MAX_ATTEMPTS,
        lastError: `boom ${CONTRACT_MAX_ATTEMPTS}`,
      },
    ]);
  });

  it('a job whose consumer keeps crashing goes to the dead letters', async (t, queue) => {
    const q = queueName();
    await queue.send(q, [{ tenant: 'globex', payload: ['x'] }]);
    const first = await one(t, queue, q, SHORT_VISIBILITY_MS);
    for (let attempt = 2; attempt <= CONTRACT_MAX_ATTEMPTS; attempt++) {
      const job = await one(t, queue, q, SHORT_VISIBILITY_MS);
      t.is(job.attempt, attempt);
      t.is(job.id, first.id);
    }
    // The last visibility runs out; from then on receivers must get nothing and the job must be dead.
    const deadline = Date.now() + EVENTUALLY_MS;
    let dead = await queue.deadLetters(q);
    while (dead.length === 0 && Date.now() < deadline) {
      const got = await queue.receive(q, { max: 10, visibilityMs: SHORT_VISIBILITY_MS, waitMs: 500 });
      t.deepEqual(got, [], `delivered beyond maxAttempts (${CONTRACT_MAX_ATTEMPTS})`);
      dead = await queue.deadLetters(q);
    }
    t.is(dead.length, 1);
    t.like(dead[0], { id: first.id, tenant: 'globex', payload: ['x'], attempts: CONTRACT_MAX_ATTEMPTS });
  });

  it('concurrent receivers get every job exactly once', async (t, queue) => {
    const q = queueName();
    const total = 50;
    await queue.send(
      q,
      Array.from({ length: total }, (_, n) => ({ tenant: 'acme', payload: { n } })),
    );
    const seen = new Map<number, number>();
    let received = 0;
    let redelivered = 0;
    const deadline = Date.now() + 3 * EVENTUALLY_MS;
    const receiver = async () => {
      while (received < total && Date.now() < deadline) {
        const jobs = await queue.receive(q, { max: 5, visibilityMs: LONG_VISIBILITY_MS, waitMs: 300 });
        for (const job of jobs) {
          received++;
          if (job.attempt !== 1) redelivered++;
          const n = (job.payload as { n: number }).n;
          seen.set(n, (seen.get(n) ?? 0) + 1);
          await queue.ack(job);
        }
      }
    };
    await Promise.all([receiver(), receiver(), receiver(), receiver()]);
    t.is(received, total);
    t.is(seen.size, total);
    t.deepEqual(
      [...seen.entries()].filter(([, count]) => count !== 1),
      [],
      'jobs delivered more than once',
    );
    t.is(redelivered, 0);
    t.deepEqual(await queue.receive(q, { max: 10, visibilityMs: LONG_VISIBILITY_MS, waitMs: 300 }), []);
  });

  it('a stale receipt neither acks nor retries the job delivered again', async (t, queue) => {
    const q = queueName();
    await queue.send(q, [{ tenant: null, payload: 'contested' }]);
    const first = await one(t, queue, q, SHORT_VISIBILITY_MS);
    const second = await one(t, queue, q, LONG_VISIBILITY_MS);
    t.is(second.attempt, 2);
    await t.notThrowsAsync(queue.ack(first));
    await t.notThrowsAsync(queue.retry(first, { error: 'stale' }));
    // The stale retry must not have made the second delivery visible.
    t.deepEqual(await queue.receive(q, { max: 10, visibilityMs: LONG_VISIBILITY_MS }), []);
    // The second delivery still holds the job: its retry brings it back as attempt 3.
    await queue.retry(second);
    const third = await one(t, queue, q, LONG_VISIBILITY_MS);
    t.is(third.id, first.id);
    t.is(third.attempt, 3);
    await queue.ack(third);
    t.deepEqual(await queue.deadLetters(q), []);
  });

  it('a waiting receive returns a job sent while it waits', async (t, queue) => {
    const q = queueName();
    await queue.send(q, []);
    const started = Date.now();
    const waiting = queue.receive(q, { max: 10, visibilityMs: LONG_VISIBILITY_MS, waitMs: EVENTUALLY_MS });
    await sleep(300);
    await queue.send(q, [{ tenant: null, payload: 'late' }]);
    const jobs = await waiting;
    t.is(jobs.length, 1);
    t.is(jobs[0]?.payload, 'late');
    t.true(Date.now() - started < EVENTUALLY_MS, 'the receive waited for its whole waitMs');
    await queue.ack(jobs[0]!);
  });

  it('refuses bad queue names and answers ping', async (t, queue) => {
    for (const bad of ['', 'Upper', '9lives', 'with space', 'under_score', 'x-dlq', 'a'.repeat(62)]) {
      await t.throwsAsync(queue.send(bad, [{ tenant: null, payload: 1 }]), undefined, bad);
      await t.throwsAsync(queue.receive(bad, { max: 1, visibilityMs: 1000 }), undefined, bad);
    }
    await t.notThrowsAsync(queue.ping());
  });
}
