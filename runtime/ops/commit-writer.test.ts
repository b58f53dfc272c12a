import test from 'ava';
import type { Database } from '../../db/database.ts';
import { migrateControl } from '../../db/migrate.ts';
import type { TenantWithKey, TestApp } from '../../test/app-harness.ts';
import { forEachDatabase } from '../../test/databases.ts';
import { launch, launched, runtimeAppHooks } from '../test/runtime-fixture.ts';
import type { CommitInput } from './commit-cmi.ts';
import { createCommitWriter } from './commit-writer.ts';

/** The same database, counting the tenant transactions opened through it. */
function counting(db: Database): { db: Database; transactions: () => number } {
  let n = 0;
  const wrapped = Object.create(db) as Database;
  wrapped.appTransaction = (settings, fn) => {
    n++;
    return db.appTransaction(settings, fn);
  };
  return { db: wrapped, transactions: () => n };
}

forEachDatabase(
  test,
  ({ name, db, ready }) => {
    let h: TestApp;
    let t: TenantWithKey;
    runtimeAppHooks(test, ready, db, 'runtime_writer', (app, tenant) => {
      h = app;
      t = tenant;
    });

    test.serial(
      `${name}: concurrent commits are coalesced into few transactions, each answered alone`,
      async (t2) => {
        const sessions: Awaited<ReturnType<typeof launched>>[] = [];
        for (let i = 0; i < 8; i++) sessions.push(await launched(h, t, 'scorm12', ['Only']));
        const { db: counted, transactions } = counting(db());
        const writer = createCommitWriter(counted, {
          concurrency: db().kind === 'pglite' ? 1 : 4,
          publicUrl: undefined,
        });
        const input = (s: (typeof sessions)[number], seq: number, cmi: unknown): CommitInput => ({
          tenant: t.tenant,
          registrationId: s.data.registration,
          attemptId: s.data.attemptId,
          sco: 'item_0',
          seq,
          cmi,
          terminated: false,
          navRequest: null,
          sequencingState: undefined,
          hash: `h-${s.data.attemptId}-${seq}`,
        });
        const commits = sessions.flatMap((s) => [
          input(s, 1, { core: { lesson_location: 'one', lesson_status: 'incomplete' } }),
          input(s, 2, { core: { lesson_location: 'two', lesson_status: 'incomplete' } }),
        ]);
        // One bad commit in the crowd fails alone.
        commits.push(input(sessions[0]!, 3, { core: { lesson_status: 'nonsense' } }));
        const settled = await Promise.allSettled(commits.map((c) => writer.commit(c)));
        t2.is(settled.filter((s) => s.status === 'fulfilled').length, 16);
        const rejected = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
        t2.is(rejected.length, 1);
        t2.is((rejected[0]!.reason as { code: string }).code, 'CMI_INVALID');
        t2.true(
          transactions() < commits.length / 2,
          `${transactions()} transactions for ${commits.length} commits`,
        );
        for (const s of sessions) {
          const after = await launch(h, s.token);
          t2.is(after.scos.item_0!.seq, 2);
          t2.is(
            (after.scos.item_0!.cmi as { core: { lesson_location: string } }).core.lesson_location,
            'two',
          );
        }
      },
    );
  },
  { migrate: migrateControl },
);
