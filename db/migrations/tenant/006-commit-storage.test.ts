import test from 'ava';
import { tenantSchema } from '../../../core/tenant-name.ts';
import { commit, launch, launched, runtimeAppHooks } from '../../../runtime/test/runtime-fixture.ts';
import type { TenantWithKey, TestApp } from '../../../test/app-harness.ts';
import { forEachDatabase } from '../../../test/databases.ts';
import { ident } from '../../database.ts';
import { migrateControl, migrateTenant, undoTenantMigration } from '../../migrate.ts';

/*
 * Migration 006 moves suspend_data out of the stored CMI tree into a column of its own, in both directions,
 * and a learner's resume reads the same tree before and after. Migration 007, on top of it, keeps suspend_data
 * in its State document instead (007-suspend-data-once.test.ts); undone, it puts it back in the column.
 */
forEachDatabase(
  test,
  ({ name, db, ready }) => {
    let h: TestApp;
    let t: TenantWithKey;
    runtimeAppHooks(test, ready, db, 'migration_006', (app, tenant) => {
      h = app;
      t = tenant;
    });

    /** The stored tree, and suspend_data where the schema of the moment keeps it. */
    const stored = async (attemptId: string) => {
      const s = ident(tenantSchema(t.tenant));
      return db().ownerTransaction(async (tx) => {
        const cols = await tx.query<{ column_name: string; data_type: string }>(
          `SELECT column_name, data_type FROM information_schema.columns
           WHERE table_schema = $1 AND table_name = 'sco_states'`,
          [tenantSchema(t.tenant)],
        );
        const has = (c: string) => cols.rows.some((r) => r.column_name === c);
        const hasColumn = has('suspend_data');
        const cmiType = cols.rows.find((c) => c.column_name === 'cmi')?.data_type;
        const suspendData = has('suspend_doc')
          ? `coalesce((SELECT convert_from(d.body, 'UTF8') FROM ${s}.documents d WHERE d.id = suspend_doc),
               suspend_data) AS suspend_data`
          : 'suspend_data';
        const row = await tx.query<{ cmi: Record<string, unknown>; suspend_data?: string | null }>(
          `SELECT cmi${hasColumn ? `, ${suspendData}` : ''} FROM ${s}.sco_states WHERE attempt_id = $1`,
          [attemptId],
        );
        return { hasColumn, cmiType, ...row.rows[0]! };
      });
    };

    test.serial(
      `${name}: suspend_data moves beside the tree and back, and resume reads it either way`,
      async (t2) => {
        const { token, data } = await launched(h, t, 'scorm2004');
        const res = await commit(h, token, {
          attemptId: data.attemptId,
          sco: 'item_0',
          seq: 1,
          cmi: { location: 'p1', suspend_data: 'state="a\\b"', exit: 'suspend' },
        });
        t2.is(res.statusCode, 200, res.body);
        // Back to where 006 left it: suspend_data in its column (008 only changed storage parameters).
        t2.deepEqual(await undoTenantMigration(db(), t.tenant), ['008-room-to-grow']);
        t2.deepEqual(await undoTenantMigration(db(), t.tenant), ['007-suspend-data-once']);
        const after = await stored(data.attemptId);
        t2.true(after.hasColumn);
        t2.is(after.cmiType, 'json', 'the tree is validated JSON text, not rebuilt as jsonb');
        t2.is(after.suspend_data, 'state="a\\b"');
        t2.false('suspend_data' in after.cmi, 'the tree is stored without it');

        t2.deepEqual(await undoTenantMigration(db(), t.tenant), ['006-commit-storage']);
        const before = await stored(data.attemptId);
        t2.false(before.hasColumn);
        t2.is(before.cmiType, 'jsonb');
        t2.is(before.cmi.suspend_data, 'state="a\\b"');
        t2.is(before.cmi.location, 'p1');

        t2.deepEqual(await migrateTenant(db(), t.tenant), [
          '006-commit-storage',
          '007-suspend-data-once',
          '008-room-to-grow',
        ]);
        const again = await stored(data.attemptId);
        t2.is(again.suspend_data, 'state="a\\b"');
        t2.false('suspend_data' in again.cmi);
        const resumed = await launch(h, token);
        t2.is(resumed.scos.item_0!.cmi.suspend_data, 'state="a\\b"');
        t2.is(resumed.scos.item_0!.cmi.location, 'p1');
      },
    );

    test.serial(
      `${name}: suspend_data of several learners in one group is stored byte for byte`,
      async (t2) => {
        const texts = ['ä"\\é 😀'.repeat(300), 'plain', '', '"quoted" \\ and 日本語\n'];
        const learners = await Promise.all(texts.map(() => launched(h, t, 'scorm2004')));
        // Sent at once, so the group commit writes several in one statement, their bytes side by side in one $16.
        const answers = await Promise.all(
          learners.map(({ token, data }, i) =>
            commit(h, token, {
              attemptId: data.attemptId,
              sco: 'item_0',
              seq: 1,
              cmi: { suspend_data: texts[i], exit: 'suspend' },
            }),
          ),
        );
        for (const a of answers) t2.is(a.statusCode, 200, a.body);
        for (const [i, { token, data }] of learners.entries()) {
          // An empty value is not stored (validate-cmi), so there is none to resume.
          t2.is((await stored(data.attemptId)).suspend_data, texts[i] || null);
          t2.is((await launch(h, token)).scos.item_0!.cmi.suspend_data, texts[i] || undefined);
        }
      },
    );
  },
  { migrate: migrateControl },
);
