import { randomBytes } from 'node:crypto';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import test from 'ava';
import { buildApp } from 'fauxqs';
import { migrateControl, migrateTenant } from '../db/migrate.ts';
import { withTenant } from '../db/with-tenant.ts';
import { databaseTargets } from '../test/databases.ts';
import { CONTRACT_MAX_ATTEMPTS, runJobQueueContract } from './contract.ts';
import type { DeadLetter, Job } from './job-queue.ts';
import { createOutboxDispatcher, enqueueInTx } from './outbox.ts';
import { createSqsJobQueue, type SqsJobQueueOptions } from './sqs.ts';

/*
 * fauxqs is a real SQS JSON-protocol server, run in this process. It is started on 127.0.0.1 with
 * buildApp().listen() because startFauxqs() binds 0.0.0.0. If it can't start, the hook fails and with
 * it every test here: this suite never skips.
 */
const server = buildApp({ host: '127.0.0.1', logger: false });
let endpoint = '';

test.before(async () => {
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('fauxqs did not start');
  endpoint = `http://127.0.0.1:${address.port}`;
});

test.after.always(async () => {
  await server.close();
});

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const region = 'us-east-1';

function options(extra: Partial<SqsJobQueueOptions> = {}): SqsJobQueueOptions {
  return {
    endpoint,
    region,
    credentials,
    queuePrefix: `t${randomBytes(3).toString('hex')}-`,
    maxAttempts: CONTRACT_MAX_ATTEMPTS,
    ...extra,
  };
}

function rawClient(): SQSClient {
  return new SQSClient({ endpoint, region, credentials });
}

runJobQueueContract(test, 'sqs queue on fauxqs', async () => {
  const queue = createSqsJobQueue(options());
  return { queue, dispose: () => queue.close() };
});

test('queues are created on first use as <prefix><name>, dead letters in <prefix><name>-dlq', async (t) => {
  const opts = options({ maxAttempts: 1 });
  const queue = createSqsJobQueue(opts);
  const raw = rawClient();
  try {
    await t.throwsAsync(raw.send(new GetQueueUrlCommand({ QueueName: `${opts.queuePrefix}jobs` })), {
      name: 'QueueDoesNotExist',
    });
    t.deepEqual(await queue.deadLetters('jobs'), [], 'no DLQ yet, and deadLetters must not fail');
    await queue.send('jobs', [{ tenant: 'acme', payload: 1 }]);
    const { QueueUrl } = await raw.send(new GetQueueUrlCommand({ QueueName: `${opts.queuePrefix}jobs` }));
    t.truthy(QueueUrl);
    const [job] = await queue.receive('jobs', { max: 1, visibilityMs: 60_000, waitMs: 5000 });
    await queue.retry(job!, { error: 'no luck' });
    const dlq = await raw.send(new GetQueueUrlCommand({ QueueName: `${opts.queuePrefix}jobs-dlq` }));
    t.truthy(dlq.QueueUrl);
    t.deepEqual(await queue.deadLetters('jobs'), [
      { id: job!.id, tenant: 'acme', payload: 1, attempts: 1, lastError: 'no luck' },
    ]);
  } finally {
    raw.destroy();
    await queue.close();
  }
});

test('send batches more than 10 messages; deadLetters pages through more than 10', async (t) => {
  const queue = createSqsJobQueue(options({ maxAttempts: 1 }));
  try {
    const total = 23;
    await queue.send(
      'bulk',
      Array.from({ length: total }, (_, n) => ({ tenant: null, payload: { n, pad: 'x'.repeat(30_000) } })),
    );
    const jobs = await queue.receive('bulk', { max: 50, visibilityMs: 60_000, waitMs: 5000 });
    t.deepEqual(
      jobs.map((j) => (j.payload as { n: number }).n).sort((a, b) => a - b),
      [...Array(total).keys()],
    );
    await Promise.all(jobs.map((j) => queue.retry(j, { error: `e${(j.payload as { n: number }).n}` })));
    const dead = await queue.deadLetters('bulk', { max: 100 });
    t.is(dead.length, total);
    t.is(new Set(dead.map((d) => d.id)).size, total);
    t.is((await queue.deadLetters('bulk', { max: 5 })).length, 5);
  } finally {
    await queue.close();
  }
});

test('a message that is not a Crest job is dead-lettered, not delivered', async (t) => {
  const opts = options();
  const queue = createSqsJobQueue(opts);
  const raw = rawClient();
  try {
    await queue.send('mixed', [{ tenant: 'acme', payload: 'fine' }]);
    const { QueueUrl } = await raw.send(new GetQueueUrlCommand({ QueueName: `${opts.queuePrefix}mixed` }));
    await raw.send(new SendMessageCommand({ QueueUrl, MessageBody: 'not json at all' }));
    const jobs: Job[] = [];
    let dead: DeadLetter[] = [];
    const deadline = Date.now() + 10_000;
    while ((jobs.length === 0 || dead.length === 0) && Date.now() < deadline) {
      jobs.push(...(await queue.receive('mixed', { max: 10, visibilityMs: 60_000, waitMs: 1000 })));
      dead = await queue.deadLetters('mixed');
    }
    t.deepEqual(
      jobs.map((j) => j.payload),
      ['fine'],
    );
    t.is(dead.length, 1);
    t.like(dead[0], {
      tenant: null,
      payload: 'not json at all',
      attempts: 0,
      lastError: 'The message body is not a Crest job.',
    });
  } finally {
    raw.destroy();
    await queue.close();
  }
});

// Serial, so it runs before the timed contract tests: creating a PGlite blocks the event loop for seconds.
test.serial('the outbox dispatcher moves tenant rows into SQS', async (t) => {
  const target = databaseTargets()[0]!; // PGlite: always available
  const { db, dispose } = await target.create();
  const queue = createSqsJobQueue(options());
  try {
    await migrateControl(db);
    await db.ownerTransaction((tx) => tx.query(`INSERT INTO crest.tenants (name) VALUES ('acme')`));
    await migrateTenant(db, 'acme');
    await withTenant(db, 'acme', async (tx) => {
      for (let n = 0; n < 12; n++) await enqueueInTx(tx, 'certificates', { n });
      await enqueueInTx(tx, 'mail', { to: 'learner' });
    });
    const dispatcher = createOutboxDispatcher(db, queue);
    t.is(await dispatcher.runOnce(), 13);
    t.is(await dispatcher.runOnce(), 0);
    const left = await db.ownerTransaction((tx) => tx.query('SELECT 1 FROM crest.outbox'));
    t.is(left.rows.length, 0);
    const certs = await queue.receive('certificates', { max: 20, visibilityMs: 60_000, waitMs: 5000 });
    t.is(certs.length, 12);
    t.true(certs.every((j) => j.tenant === 'acme'));
    t.deepEqual(
      certs.map((j) => (j.payload as { n: number }).n).sort((a, b) => a - b),
      [...Array(12).keys()],
    );
    const mail = await queue.receive('mail', { max: 10, visibilityMs: 60_000, waitMs: 5000 });
    t.deepEqual(
      mail.map((j) => [j.tenant, j.payload]),
      [['acme', { to: 'learner' }]],
    );
  } finally {
    await queue.close();
    await dispose();
  }
});

test('refuses a queue prefix that would not fit SQS names', (t) => {
  t.throws(() => createSqsJobQueue(options({ queuePrefix: 'much-too-long-prefix-' })), {
    message: /prefix/,
  });
  t.throws(() => createSqsJobQueue(options({ queuePrefix: 'bad.prefix' })), { message: /prefix/ });
});
