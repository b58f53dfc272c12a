import { randomUUID } from 'node:crypto';
import test from 'ava';
import { createTenant } from '../../control/tenants.ts';
import { isAppError } from '../../core/errors.ts';
import type { Database } from '../../db/database.ts';
import { migrateControl } from '../../db/migrate.ts';
import { withTenant } from '../../db/with-tenant.ts';
import { forEachDatabase } from '../../test/databases.ts';
import { prepareStatement } from '../model/prepare-statement.ts';
import type { Json } from '../model/statement-index.ts';
import { createGroupCommitWriter, withRetry } from './group-commit.ts';

const AUTHORITY = { objectType: 'Agent', account: { homePage: 'http://lrs.test/xapi', name: 'ck_test' } };

function stmt(extra: Json = {}): Json {
  return prepareStatement(
    {
      id: randomUUID(),
      actor: { mbox: `mailto:${randomUUID()}@example.com` },
      verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
      object: { id: 'http://example.com/course' },
      ...extra,
    },
    { stored: new Date().toISOString(), authority: AUTHORITY, version: '2.0.0' },
  );
}

/** The real database, counting the transactions opened through it. */
function counting(db: Database): { db: Database; transactions: () => number } {
  let n = 0;
  return {
    db: {
      ...db,
      appTransaction: (settings, fn) => {
        n++;
        return db.appTransaction(settings, fn);
      },
    },
    transactions: () => n,
  };
}

async function count(db: Database, tenant: string): Promise<number> {
  const r = await withTenant(db, tenant, (tx) =>
    tx.query<{ n: number }>('SELECT count(*)::int AS n FROM statements'),
  );
  return r.rows[0]!.n;
}

forEachDatabase(
  test,
  ({ name, db, ready }) => {
    test.before(async () => {
      await ready();
      await createTenant(db(), 'gc');
      await createTenant(db(), 'gc_other');
    });

    test.serial(`${name}: 300 concurrent writes all commit, in far fewer transactions`, async (t) => {
      const c = counting(db());
      const writer = createGroupCommitWriter(c.db, { concurrency: db().kind === 'pglite' ? 1 : 4 });
      const before = await count(db(), 'gc');
      const inputs = Array.from({ length: 300 }, () => ({ statements: [stmt()], credential: 'ck_test' }));
      const results = await Promise.all(inputs.map((input) => writer.write('gc', input)));
      t.deepEqual(
        results.map((r) => r.ids[0]),
        inputs.map((i) => i.statements[0].id),
      );
      t.is((await count(db(), 'gc')) - before, 300, 'every acknowledged write is stored');
      t.true(c.transactions() < 60, `used ${c.transactions()} transactions for 300 requests`);
    });

    test.serial(
      `${name}: a conflicting request fails alone; its neighbours in the group commit`,
      async (t) => {
        const writer = createGroupCommitWriter(db(), { concurrency: 1 });
        const existing = stmt();
        await writer.write('gc', { statements: [existing], credential: 'ck_test' });
        const good = [stmt(), stmt()];
        const clash = stmt({ id: existing.id, verb: { id: 'http://adlnet.gov/expapi/verbs/passed' } });
        const settled = await Promise.allSettled([
          writer.write('gc', { statements: [good[0]], credential: 'ck_test' }),
          writer.write('gc', { statements: [stmt(), clash], credential: 'ck_test' }),
          writer.write('gc', { statements: [good[1]], credential: 'ck_test' }),
        ]);
        t.is(settled[0].status, 'fulfilled');
        t.is(settled[2].status, 'fulfilled');
        t.is(settled[1].status, 'rejected');
        const err = (settled[1] as PromiseRejectedResult).reason;
        t.true(isAppError(err) && err.code === 'CONFLICT');
        for (const s of good) {
          const r = await withTenant(db(), 'gc', (tx) =>
            tx.query('SELECT 1 FROM statements WHERE id = $1', [s.id]),
          );
          t.is(r.rows.length, 1);
        }
      },
    );

    test.serial(
      `${name}: two writers racing on one id: one stores it, the other gets 409, nothing is lost`,
      async (t) => {
        const w1 = createGroupCommitWriter(db(), { concurrency: 2 });
        const w2 = createGroupCommitWriter(db(), { concurrency: 2 });
        const id = randomUUID();
        const a = stmt({ id });
        const b = stmt({ id, verb: { id: 'http://adlnet.gov/expapi/verbs/failed' } });
        const extra = stmt();
        const settled = await Promise.allSettled([
          w1.write('gc', { statements: [a], credential: 'ck_test' }),
          w2.write('gc', { statements: [b], credential: 'ck_test' }),
          w2.write('gc', { statements: [extra], credential: 'ck_test' }),
        ]);
        const ok = settled.slice(0, 2).filter((s) => s.status === 'fulfilled');
        t.is(ok.length, 1, 'exactly one version of the id wins');
        t.is(settled[2].status, 'fulfilled', 'a neighbour of the loser still commits');
        const r = await withTenant(db(), 'gc', (tx) =>
          tx.query('SELECT 1 FROM statements WHERE id = ANY($1::uuid[])', [[id, extra.id]]),
        );
        t.is(r.rows.length, 2);
      },
    );

    test.serial(`${name}: concurrent transactions sharing agents and activities all commit`, async (t) => {
      // Shared learners and activities in shuffled orders: the upserts must not deadlock.
      const writer = createGroupCommitWriter(db(), { concurrency: 4, maxStatements: 20 });
      const agents = ['a', 'b', 'c'].map((x) => ({
        mbox: `mailto:${x}@shared.example.com`,
        name: x.toUpperCase(),
      }));
      const acts = ['1', '2', '3'].map((x) => ({
        id: `http://example.com/shared/${x}`,
        definition: { name: { en: x } },
      }));
      const pick = <T>(list: T[], i: number) => list[(i * 7 + 3) % list.length]!;
      const requests = Array.from({ length: 120 }, (_, i) => ({
        statements: Array.from({ length: 5 }, (_, j) =>
          stmt({
            actor: pick(agents, i + j),
            object: { ...pick(acts, i * 3 + j), definition: { name: { en: `${i}-${j}` } } },
          }),
        ),
        credential: 'ck_test',
      }));
      const before = await count(db(), 'gc');
      const settled = await Promise.allSettled(requests.map((r) => writer.write('gc', r)));
      t.deepEqual(
        settled
          .filter((s) => s.status === 'rejected')
          .map((s) => String((s as PromiseRejectedResult).reason)),
        [],
      );
      t.is((await count(db(), 'gc')) - before, 600);
    });

    test.serial(
      `${name}: the fast path stores a statement voided when its voiding statement came first`,
      async (t) => {
        const writer = createGroupCommitWriter(db(), { concurrency: 1 });
        const target = stmt();
        const voiding = stmt({
          verb: { id: 'http://adlnet.gov/expapi/verbs/voided' },
          object: { objectType: 'StatementRef', id: target.id },
        });
        await writer.write('gc', { statements: [voiding], credential: 'ck_test' });
        await writer.write('gc', { statements: [target], credential: 'ck_test' });
        const r = await withTenant(db(), 'gc', (tx) =>
          tx.query<{ voided: boolean }>('SELECT voided FROM statements WHERE id = $1', [target.id]),
        );
        t.true(r.rows[0]!.voided);
      },
    );

    test.serial(`${name}: tenants are batched separately and never mixed`, async (t) => {
      const writer = createGroupCommitWriter(db(), { concurrency: 1 });
      const before = await count(db(), 'gc_other');
      await Promise.all([
        writer.write('gc', { statements: [stmt()], credential: 'ck_test' }),
        writer.write('gc_other', { statements: [stmt()], credential: 'ck_test' }),
        writer.write('gc', { statements: [stmt()], credential: 'ck_test' }),
      ]);
      t.is((await count(db(), 'gc_other')) - before, 1);
    });
  },
  { migrate: migrateControl },
);

test('withRetry retries deadlocks and serialization failures, and nothing else', async (t) => {
  let calls = 0;
  const value = await withRetry(async () => {
    calls++;
    if (calls < 3)
      throw Object.assign(new Error('deadlock detected'), { code: calls === 1 ? '40P01' : '40001' });
    return 'ok';
  });
  t.is(value, 'ok');
  t.is(calls, 3);
  let other = 0;
  await t.throwsAsync(
    withRetry(async () => {
      other++;
      throw Object.assign(new Error('unique violation'), { code: '23505' });
    }),
    { message: 'unique violation' },
  );
  t.is(other, 1);
  let always = 0;
  await t.throwsAsync(
    withRetry(async () => {
      always++;
      throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
    }),
  );
  t.is(always, 3, 'gives up after three attempts');
});
