import test from 'ava';
import { tenantSchema } from '../../../core/tenant-name.ts';
import {
  commit,
  launch,
  launchToken,
  register,
  runtimeAppHooks,
  uploadCourse,
} from '../../../runtime/test/runtime-fixture.ts';
import type { TenantWithKey, TestApp } from '../../../test/app-harness.ts';
import { forEachDatabase } from '../../../test/databases.ts';
import { ident } from '../../database.ts';
import { migrateControl, migrateTenant, undoTenantMigration } from '../../migrate.ts';

const LEARNERS = 30;

/** A tree that grows by a few hundred bytes per answer, as a quiz's does. */
function tree(answers: number): Record<string, unknown> {
  const interactions: Record<string, unknown> = {};
  for (let j = 0; j < answers; j++) {
    interactions[j] = {
      id: `q${j + 1}`,
      type: 'choice',
      description: `Question ${j + 1}: which of these procedures applies when the alarm sounds?`,
      learner_response: 'b',
      result: 'correct',
    };
  }
  return { location: `page-${answers}`, interactions };
}

/*
 * Migration 008 leaves room on each page of sco_states and documents, so that a learner's rows can grow
 * without moving to another page: the update stays HOT (no new index entries, one page changed).
 */
forEachDatabase(
  test,
  ({ name, db, ready }) => {
    let h: TestApp;
    let t: TenantWithKey;
    runtimeAppHooks(test, ready, db, 'migration_008', (app, tenant) => {
      h = app;
      t = tenant;
    });

    /** The heap page of each learner's SCO state row, by attempt. */
    const pages = () =>
      db().ownerTransaction(async (tx) => {
        const r = await tx.query<{ attempt: string; page: string }>(
          `SELECT attempt_id::text AS attempt, (ctid::text::point)[0]::text AS page
           FROM ${ident(tenantSchema(t.tenant))}.sco_states`,
        );
        return new Map(r.rows.map((row) => [row.attempt, row.page]));
      });

    /** Thirty learners start at once (their rows fill the first pages), then each answers a question. */
    async function growRows(): Promise<{ moved: number; pagesUsed: number }> {
      const courseId = await uploadCourse(h, t, 'scorm2004');
      const learners = await Promise.all(
        Array.from({ length: LEARNERS }, async () => {
          const token = await launchToken(h, t, (await register(h, t, courseId)).id);
          return { token, attemptId: (await launch(h, token)).attemptId };
        }),
      );
      const send = async (seq: number, answers: number, at: 'once' | 'in turn') => {
        const one = async ({ token, attemptId }: (typeof learners)[number]) => {
          const res = await commit(h, token, { attemptId, sco: 'item_0', seq, cmi: tree(answers) });
          if (res.statusCode !== 200) throw new Error(`commit ${seq}: ${res.statusCode} ${res.body}`);
        };
        if (at === 'once') await Promise.all(learners.map(one));
        else for (const l of learners) await one(l);
      };
      await send(1, 0, 'once');
      const before = await pages();
      // One after the other, as learners' commits come, each in a transaction of its own.
      await send(2, 1, 'in turn');
      const after = await pages();
      const moved = learners.filter(({ attemptId }) => before.get(attemptId) !== after.get(attemptId)).length;
      return { moved, pagesUsed: new Set(before.values()).size };
    }

    test.serial(`${name}: a learner's growing SCO state stays on its page; undone, rows move`, async (t2) => {
      const grown = await growRows();
      t2.true(grown.pagesUsed >= 2, 'the first commits filled at least one page');
      t2.is(grown.moved, 0, 'every update found room on its page');

      // The same with migration 006's fillfactor: the full first page has no room, so rows move.
      t2.deepEqual(await undoTenantMigration(db(), t.tenant), ['008-room-to-grow']);
      const packed = await growRows();
      t2.true(packed.moved > 0, `rows moved without the room (${packed.moved} of ${LEARNERS})`);

      t2.deepEqual(await migrateTenant(db(), t.tenant), ['008-room-to-grow']);
      const options = await db().ownerTransaction((tx) =>
        tx.query<{ relname: string; reloptions: string[] }>(
          `SELECT relname, reloptions FROM pg_class
           WHERE relnamespace = $1::regnamespace AND relname IN ('sco_states', 'documents') ORDER BY relname`,
          [tenantSchema(t.tenant)],
        ),
      );
      t2.deepEqual(
        options.rows.map((r) => [r.relname, r.reloptions]),
        [
          ['documents', ['fillfactor=60']],
          ['sco_states', ['fillfactor=50']],
        ],
      );
    });
  },
  { migrate: migrateControl },
);
