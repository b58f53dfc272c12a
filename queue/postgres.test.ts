import { randomBytes } from 'node:crypto';
import test from 'ava';
import type { Database } from '../db/database.ts';
import { migrateControl, migrateTenant } from '../db/migrate.ts';
import { withTenant } from '../db/with-tenant.ts';
import { databaseTargets } from '../test/databases.ts';
import { CONTRACT_MAX_ATTEMPTS, runJobQueueContract } from './contract.ts';
import { createOutboxDispatcher, enqueueInTx, enqueueManyInTx } from './outbox.ts';
import { createPostgresJobQueue } from './postgres.ts';
import { createSqsJobQueue } from './sqs.ts';

const TENANTS = ['acme', 'globex'];

function queueName(): string {
  return `p-${randomBytes(5).toString('hex')}`;
}

async function outboxRows(db: Database) {
  const res = await db.ownerTransaction((tx) =>
    tx.query<{ tenant_id: string; queue: string; payload: unknown; dedupe_key: string | null }>(
      'SELECT tenant_id, queue, payload, dedupe_key FROM crest.outbox ORDER BY id',
    ),
  );
  return res.rows;
}

for (const target of databaseTargets()) {
  // One database per target for the whole file: creating one costs seconds on PGlite. Contract tests
  // use their own queue names; the outbox tests drain the shared outbox, so they run serially.
  let handle: Promise<{ db: Database; dispose(): Promise<void> }> | undefined;
  const database = async (): Promise<Database> => {
    handle ??= (async () => {
      const h = await target.create();
      await migrateControl(h.db);
      await h.db.ownerTransaction((tx) =>
        tx.query('INSERT INTO crest.tenants (name) SELECT unnest($1::text[])', [TENANTS]),
      );
      for (const tenant of TENANTS) await migrateTenant(h.db, tenant);
      return h;
    })();
    return (await handle).db;
  };
  test.after.always(async () => {
    if (handle) await (await handle).dispose();
  });

  runJobQueueContract(test, `postgres queue on ${target.name}`, async () => {
    const queue = createPostgresJobQueue(await database(), { maxAttempts: CONTRACT_MAX_ATTEMPTS });
    return { queue, dispose: () => queue.close() };
  });

  const name = (title: string) => `${target.name}: ${title}`;

  test.serial(
    name('dedupe: a send whose key is pending is a no-op; after ack the key is free'),
    async (t) => {
      const queue = createPostgresJobQueue(await database(), { maxAttempts: 2 });
      const q = queueName();
      await queue.send(q, [
        { tenant: 'acme', payload: 1, dedupeKey: 'k' },
        { tenant: 'acme', payload: 2, dedupeKey: 'k' },
        { tenant: 'acme', payload: 3 },
        { tenant: 'acme', payload: 4 },
      ]);
      await queue.send(q, [{ tenant: 'acme', payload: 5, dedupeKey: 'k' }]);
      const jobs = await queue.receive(q, { max: 10, visibilityMs: 60_000 });
      t.deepEqual(jobs.map((j) => j.payload).sort(), [1, 3, 4]);
      // Still pending while in flight.
      await queue.send(q, [{ tenant: 'acme', payload: 6, dedupeKey: 'k' }]);
      await Promise.all(jobs.map((j) => queue.ack(j)));
      await queue.send(q, [{ tenant: 'acme', payload: 7, dedupeKey: 'k' }]);
      const again = await queue.receive(q, { max: 10, visibilityMs: 0 });
      t.deepEqual(
        again.map((j) => j.payload),
        [7],
      );
      // A dead job no longer holds its key.
      await queue.retry(again[0]!, { error: 'x' });
      const last = await queue.receive(q, { max: 10, visibilityMs: 60_000 });
      t.is(last[0]?.attempt, 2);
      await queue.retry(last[0]!, { error: 'final' });
      t.is((await queue.deadLetters(q)).length, 1);
      await queue.send(q, [{ tenant: 'acme', payload: 8, dedupeKey: 'k' }]);
      const fresh = await queue.receive(q, { max: 10, visibilityMs: 60_000 });
      t.deepEqual(
        fresh.map((j) => [j.payload, j.attempt]),
        [[8, 1]],
      );
    },
  );

  test.serial(name('enqueueInTx commits with the tenant transaction'), async (t) => {
    const db = await database();
    const q = queueName();
    await withTenant(db, 'acme', async (tx) => {
      await enqueueInTx(tx, q, { statement: 'abc' }, 'stmt-abc');
      await enqueueInTx(tx, q, 'second');
    });
    t.deepEqual(
      (await outboxRows(db)).filter((r) => r.queue === q),
      [
        { tenant_id: 'acme', queue: q, payload: { statement: 'abc' }, dedupe_key: 'stmt-abc' },
        { tenant_id: 'acme', queue: q, payload: 'second', dedupe_key: null },
      ],
    );
    await createOutboxDispatcher(db, createPostgresJobQueue(db)).runOnce();
  });

  test.serial(name('enqueueInTx rolls back with the tenant transaction: no row, no job'), async (t) => {
    const db = await database();
    const q = queueName();
    await t.throwsAsync(
      withTenant(db, 'acme', async (tx) => {
        await enqueueInTx(tx, q, { statement: 'doomed' });
        throw new Error('the statement insert failed');
      }),
      { message: 'the statement insert failed' },
    );
    t.deepEqual(
      (await outboxRows(db)).filter((r) => r.queue === q),
      [],
    );
    const queue = createPostgresJobQueue(db);
    await createOutboxDispatcher(db, queue).runOnce();
    t.deepEqual(await queue.receive(q, { max: 10, visibilityMs: 1000 }), []);
  });

  test.serial(name('the dispatcher moves rows into the queue and deletes them'), async (t) => {
    const db = await database();
    const queue = createPostgresJobQueue(db);
    const certs = queueName();
    const mails = queueName();
    await withTenant(db, 'acme', (tx) =>
      enqueueManyInTx(tx, [
        { queue: certs, payload: { n: 1 } },
        { queue: mails, payload: { n: 2 }, dedupeKey: 'mail-2' },
      ]),
    );
    await withTenant(db, 'globex', (tx) => enqueueInTx(tx, certs, { n: 3 }));
    const dispatcher = createOutboxDispatcher(db, queue, { batchSize: 2 });
    t.is(await dispatcher.runOnce(), 2);
    t.is(await dispatcher.runOnce(), 1);
    t.is(await dispatcher.runOnce(), 0);
    t.deepEqual(await outboxRows(db), []);
    const certJobs = await queue.receive(certs, { max: 10, visibilityMs: 60_000 });
    t.deepEqual(
      certJobs.map((j) => [j.tenant, j.payload]),
      [
        ['acme', { n: 1 }],
        ['globex', { n: 3 }],
      ],
    );
    const mailJobs = await queue.receive(mails, { max: 10, visibilityMs: 60_000 });
    t.deepEqual(
      mailJobs.map((j) => [j.tenant, j.payload]),
      [['acme', { n: 2 }]],
    );
    // The dedupe key travelled with the row: the same event enqueued again is absorbed while pending.
    await withTenant(db, 'acme', (tx) => enqueueInTx(tx, mails, { n: 2 }, 'mail-2'));
    t.is(await dispatcher.runOnce(), 1);
    t.deepEqual(await queue.receive(mails, { max: 10, visibilityMs: 0 }), []);
  });

  test.serial(name('start() keeps dispatching until stop()'), async (t) => {
    const db = await database();
    const queue = createPostgresJobQueue(db);
    const q = queueName();
    const errors: unknown[] = [];
    const dispatcher = createOutboxDispatcher(db, queue, { intervalMs: 20, onError: (e) => errors.push(e) });
    dispatcher.start();
    try {
      await withTenant(db, 'acme', (tx) => enqueueInTx(tx, q, 'one'));
      const first = await queue.receive(q, { max: 10, visibilityMs: 60_000, waitMs: 10_000 });
      t.deepEqual(
        first.map((j) => j.payload),
        ['one'],
      );
    } finally {
      await dispatcher.stop();
    }
    await withTenant(db, 'acme', (tx) => enqueueInTx(tx, q, 'after stop'));
    await new Promise((r) => setTimeout(r, 200));
    t.is((await outboxRows(db)).length, 1, 'a stopped dispatcher moved a row');
    t.deepEqual(errors, []);
    await dispatcher.runOnce();
  });

  test.serial(name('a failing send leaves the outbox rows in place'), async (t) => {
    const db = await database();
    const q = queueName();
    // A real SQS client aimed at a port nobody listens on: the send fails with a connection error.
    const unreachable = createSqsJobQueue({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      queuePrefix: 'x-',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      await withTenant(db, 'globex', (tx) => enqueueInTx(tx, q, { n: 1 }));
      const errors: unknown[] = [];
      const dispatcher = createOutboxDispatcher(db, unreachable, { onError: (e) => errors.push(e) });
      await t.throwsAsync(dispatcher.runOnce());
      t.deepEqual(
        (await outboxRows(db)).map((r) => [r.tenant_id, r.queue, r.payload]),
        [['globex', q, { n: 1 }]],
      );
      dispatcher.start();
      const deadline = Date.now() + 30_000;
      while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await dispatcher.stop();
      t.true(errors.length >= 1, 'the loop reported the failure to onError');
      t.is((await outboxRows(db)).length, 1);
      // Once a working queue takes over, the row moves.
      const queue = createPostgresJobQueue(db);
      t.is(await createOutboxDispatcher(db, queue).runOnce(), 1);
      t.deepEqual(
        (await queue.receive(q, { max: 10, visibilityMs: 60_000 })).map((j) => [j.tenant, j.payload]),
        [['globex', { n: 1 }]],
      );
    } finally {
      await unreachable.close();
    }
  });

  test.serial(name('RLS: a tenant transaction cannot write outbox rows for another tenant'), async (t) => {
    const db = await database();
    const q = queueName();
    const err = await t.throwsAsync(
      withTenant(db, 'acme', (tx) =>
        tx.query(`INSERT INTO crest.outbox (tenant_id, queue, payload) VALUES ('globex', $1, '{}')`, [q]),
      ),
    );
    t.regex(err!.message, /row-level security/);
    t.deepEqual(
      (await outboxRows(db)).filter((r) => r.queue === q),
      [],
    );
  });

  test.serial(name('the app role can neither read the outbox nor touch the jobs table'), async (t) => {
    const db = await database();
    const queue = createPostgresJobQueue(db);
    const q = queueName();
    await queue.send(q, [{ tenant: 'acme', payload: 'secret' }]);
    for (const sql of [
      'SELECT * FROM crest.outbox',
      'SELECT * FROM crest.jobs',
      `INSERT INTO crest.jobs (queue, payload) VALUES ('x', '{}')`,
      'DELETE FROM crest.jobs',
    ]) {
      const err = await t.throwsAsync(
        withTenant(db, 'acme', (tx) => tx.query(sql)),
        undefined,
        sql,
      );
      t.regex(err!.message, /permission denied/, sql);
    }
    t.is((await queue.receive(q, { max: 10, visibilityMs: 60_000 })).length, 1);
  });
}
