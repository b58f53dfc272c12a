import { randomBytes } from 'node:crypto';
import test from 'ava';
import type { Database } from '../db/database.ts';
import { migrateControl, migrateTenant } from '../db/migrate.ts';
import { withTenant } from '../db/with-tenant.ts';
import { forEachDatabase } from '../test/databases.ts';
import { createOutboxDispatcher, enqueueInTx } from './outbox.ts';
import { createPostgresJobQueue } from './postgres.ts';

/*
 * Idle consumers back off (an idle embedded server polled a dozen times a second, each poll milliseconds of
 * PGlite's CPU), and work sent from this process wakes them at once. Each wake test is arranged so that,
 * without the wake, the wait would end empty: the result tells, not the clock.
 */

const queueName = () => `idle-${randomBytes(5).toString('hex')}`;

/** `db`, counting its owner transactions: each receive poll and each dispatcher run is one. */
function counting(db: Database): { db: Database; count: () => number } {
  let n = 0;
  const proxy = new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === 'ownerTransaction')
        return (...args: unknown[]) => {
          n++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db: proxy, count: () => n };
}

async function migrate(db: Database): Promise<void> {
  await migrateControl(db);
  await db.ownerTransaction((tx) => tx.query("INSERT INTO crest.tenants (name) VALUES ('acme')"));
  await migrateTenant(db, 'acme');
}

forEachDatabase(
  test,
  ({ name: engine, ready: database }) => {
    const name = (title: string) => `${engine}: ${title}`;

    test(
      name('an idle receive backs off across calls, and a send from this process ends its wait'),
      async (t) => {
        const polls = counting(await database());
        const queue = createPostgresJobQueue(polls.db, { idlePollMs: 60_000 });
        const q = queueName();
        // Polls at 0, 20, 60, 140, 300, 620, 1260, 2540 and 5100 ms; the pause has reached 5120 ms. Polling
        // every 250 ms at most, as before, was 28 polls.
        t.deepEqual(await queue.receive(q, { max: 1, visibilityMs: 60_000, waitMs: 6000 }), []);
        t.true(polls.count() <= 9, `${polls.count()} polls in 6 s`);
        // The next call looks once, then would sleep past its own 4 s wait and come back empty; the send wakes it.
        const before = polls.count();
        const waiting = queue.receive(q, { max: 1, visibilityMs: 60_000, waitMs: 4000 });
        await new Promise((r) => setTimeout(r, 100));
        await queue.send(q, [{ tenant: 'acme', payload: { certificate: 1 } }]);
        const jobs = await waiting;
        t.deepEqual(
          jobs.map((j) => j.payload),
          [{ certificate: 1 }],
        );
        // Its first look, the woken one; the send's own transaction is the third.
        t.is(polls.count() - before, 3);
        await queue.ack(jobs[0]!);
        await queue.close();
      },
    );

    test.serial(
      name('an idle dispatcher backs off, and an enqueue in this process brings it back'),
      async (t) => {
        const db = await database();
        // One database object for both: the dispatcher hands the queue its rows inside its own transaction only
        // when the queue is on that same database (on PGlite, anything else would wait for its own session).
        const runs = counting(db);
        const queue = createPostgresJobQueue(runs.db, { idlePollMs: 60_000 });
        const dispatcher = createOutboxDispatcher(runs.db, queue, { intervalMs: 50, maxIdleMs: 60_000 });
        const q = queueName();
        dispatcher.start();
        try {
          // Runs at 0, 50, 150, 350, 750, 1550 and 3150 ms (nothing else uses the database meanwhile); the next
          // one would be 6.4 s later. Every 50 ms, as before, was ~70 runs.
          await new Promise((r) => setTimeout(r, 3500));
          t.true(runs.count() <= 8, `${runs.count()} runs in 3.5 s`);
          await withTenant(db, 'acme', (tx) => enqueueInTx(tx, q, { certificate: 2 }));
          // Moved by the woken dispatcher within this wait, which ends before its next idle run (at ~6.3 s).
          const jobs = await queue.receive(q, { max: 1, visibilityMs: 60_000, waitMs: 1500 });
          t.deepEqual(
            jobs.map((j) => [j.tenant, j.payload]),
            [['acme', { certificate: 2 }]],
          );
          await queue.ack(jobs[0]!);
        } finally {
          await dispatcher.stop();
          await queue.close();
        }
      },
    );

    test.serial(
      name('an enqueue does not cut short the backoff of a dispatcher whose queue is failing'),
      async (t) => {
        const db = await database();
        // A closed queue refuses every send, and on another database object the dispatcher must send to it
        // rather than insert the jobs itself: each run fails and the rows stay.
        const closed = createPostgresJobQueue(counting(db).db);
        await closed.close();
        let failures = 0;
        const dispatcher = createOutboxDispatcher(db, closed, {
          intervalMs: 50,
          onError: () => {
            failures++;
          },
        });
        const q = queueName();
        await withTenant(db, 'acme', (tx) => enqueueInTx(tx, q, { n: 0 }));
        dispatcher.start();
        try {
          // Failed runs at 0, 100, 300, 700 and 1500 ms; an enqueue every 100 ms meanwhile. Had each enqueue
          // ended the pause, that was a run every 100 ms: ~20.
          for (let n = 1; n <= 20; n++) {
            await new Promise((r) => setTimeout(r, 100));
            await withTenant(db, 'acme', (tx) => enqueueInTx(tx, q, { n }));
          }
          t.true(failures >= 3 && failures <= 7, `${failures} failed runs in ~2 s`);
        } finally {
          await dispatcher.stop();
          await db.ownerTransaction((tx) => tx.query('DELETE FROM crest.outbox WHERE queue = $1', [q]));
        }
      },
    );
  },
  { migrate },
);
