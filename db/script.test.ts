import test from 'ava';
import { forEachDatabase } from '../test/databases.ts';
import { runScript } from './database.ts';
import { migrateControl } from './migrate.ts';

forEachDatabase(
  test,
  ({ name, db }) => {
    test.serial(`${name}: a script runs its statements in order and answers each one`, async (t) => {
      const [a, b] = await db().ownerTransaction((tx) =>
        runScript(tx, ['SELECT 1 AS a', "SELECT 'two' AS b UNION ALL SELECT 'three'"]),
      );
      t.deepEqual(a!.rows, [{ a: 1 }]);
      t.deepEqual(b!.rows, [{ b: 'two' }, { b: 'three' }]);
      // As a transaction's first call (BEGIN and SET LOCALs in the same round trip) too.
      const [role] = await db().appTransaction({ search_path: 'crest' }, (tx) =>
        runScript(tx, ['SELECT current_user AS who, current_setting($$search_path$$) AS path']),
      );
      t.is(role!.rows[0]!.who, db().appRole);
      t.regex(String(role!.rows[0]!.path), /crest/);
      await t.throwsAsync(
        db().ownerTransaction((tx) => runScript(tx, ['SELECT 1', 'SELECT * FROM no_such_table'])),
        { message: /no_such_table/ },
      );
    });

    test.serial(`${name}: a statement after a lock wait sees what committed meanwhile`, async (t) => {
      if (db().kind === 'pglite') return t.pass('one session: no lock waits');
      await db().ownerTransaction((tx) =>
        runScript(tx, [
          'CREATE TABLE IF NOT EXISTS public.script_lock (id int PRIMARY KEY)',
          'CREATE TABLE IF NOT EXISTS public.script_seen (v int)',
        ]),
      );
      await db().ownerTransaction((tx) =>
        tx.query('INSERT INTO public.script_lock VALUES (1) ON CONFLICT DO NOTHING'),
      );
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => {
        locked = r;
      });
      const first = db().ownerTransaction(async (tx) => {
        await tx.query('SELECT id FROM public.script_lock WHERE id = 1 FOR UPDATE');
        await tx.query('INSERT INTO public.script_seen VALUES (42)');
        locked();
        await held;
      });
      await isLocked;
      const second = db().ownerTransaction((tx) =>
        runScript(tx, [
          'SELECT id FROM public.script_lock WHERE id = 1 FOR UPDATE',
          'SELECT count(*)::int AS n FROM public.script_seen',
        ]),
      );
      await new Promise((r) => setTimeout(r, 100));
      release();
      await first;
      const [, seen] = await second;
      t.deepEqual(seen!.rows, [{ n: 1 }]);
      await db().ownerTransaction((tx) =>
        runScript(tx, ['DROP TABLE public.script_lock', 'DROP TABLE public.script_seen']),
      );
    });

    test.serial(
      `${name}: a statement sent with commit: true ends the transaction, or rolls all of it back`,
      async (t) => {
        await db().ownerTransaction((tx) =>
          tx.query('CREATE TABLE IF NOT EXISTS public.commit_final (v int CHECK (v > 0))'),
        );
        // The transaction's first and only call: BEGIN, the statement and COMMIT queued together.
        const only = await db().ownerTransaction((tx) =>
          tx.query('INSERT INTO public.commit_final VALUES (1) RETURNING v', [], { commit: true }),
        );
        t.deepEqual(only.rows, [{ v: 1 }]);
        // After other calls; a later call is refused where the COMMIT has already gone (PostgreSQL).
        await db().ownerTransaction(async (tx) => {
          await tx.query('INSERT INTO public.commit_final VALUES (2)');
          await tx.query('INSERT INTO public.commit_final VALUES (3)', [], { commit: true });
          if (db().kind === 'postgres')
            await t.throwsAsync(tx.query('SELECT 1'), { message: /already committed/ });
        });
        // A failing last statement takes the earlier writes of its transaction with it.
        await t.throwsAsync(
          db().ownerTransaction(async (tx) => {
            await tx.query('INSERT INTO public.commit_final VALUES (4)');
            await tx.query('INSERT INTO public.commit_final VALUES (-5)', [], { commit: true });
          }),
          { message: /commit_final_v_check/ },
        );
        const rows = await db().ownerTransaction((tx) =>
          tx.query<{ v: number }>('SELECT v FROM public.commit_final ORDER BY v'),
        );
        t.deepEqual(
          rows.rows.map((r) => r.v),
          [1, 2, 3],
        );
        // The connection is clean afterwards: the pool hands it out again and it works.
        for (let i = 0; i < 25; i++)
          await db().ownerTransaction((tx) => tx.query('SELECT 1', [], { commit: true }));
        await db().ownerTransaction((tx) => tx.query('DROP TABLE public.commit_final'));
        t.pass();
      },
    );
  },
  { migrate: migrateControl },
);
