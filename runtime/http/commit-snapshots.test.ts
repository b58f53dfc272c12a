import { createHash } from 'node:crypto';
import test from 'ava';
import { tenantSchema } from '../../core/tenant-name.ts';
import { ident } from '../../db/database.ts';
import { migrateControl } from '../../db/migrate.ts';
import type { TenantWithKey, TestApp } from '../../test/app-harness.ts';
import { forEachDatabase } from '../../test/databases.ts';
import { forgetAllSnapshots, snapshotOf } from '../ops/attempt-snapshots.ts';
import { commit, launch, launched, runtimeAppHooks } from '../test/runtime-fixture.ts';
import { ATTEMPT_STATE_ID } from '../xapi/activity-iris.ts';

/*
 * A learner's next commit is judged from this process's snapshot of the attempt (runtime/ops/attempt-snapshots.ts)
 * and written in one guarded statement. These tests change the attempt behind the snapshot's back, as another
 * Crest process or an integrator would, and check that the guard catches it and the commit is judged again from
 * the database.
 */

forEachDatabase(
  test,
  ({ name, db, ready }) => {
    let h: TestApp;
    let t: TenantWithKey;
    runtimeAppHooks(test, ready, db, 'runtime_snapshots', (app, tenant) => {
      h = app;
      t = tenant;
    });

    const schema = () => ident(tenantSchema(t.tenant));

    test.serial(
      `${name}: a commit another process overtook is judged from the database, not the snapshot`,
      async (t2) => {
        const { token, data } = await launched(h, t, 'scorm2004');
        const base = { attemptId: data.attemptId, sco: 'item_0' };
        const one = await commit(h, token, { ...base, seq: 1, cmi: { location: 'p1', suspend_data: 'a' } });
        t2.is(one.statusCode, 200);
        t2.truthy(snapshotOf(t.tenant, data.attemptId), 'the process holds a snapshot after its write');
        // Another process stores seq 5 (its write touches the attempt row, as every commit write does).
        await db().ownerTransaction(async (tx) => {
          await tx.query(
            `UPDATE ${schema()}.sco_states SET seq = 5, commit_hash = 'elsewhere', cmi = '{"location":"p5"}'
           WHERE attempt_id = $1`,
            [data.attemptId],
          );
          await tx.query(`UPDATE ${schema()}.attempts SET updated_at = now() WHERE id = $1`, [
            data.attemptId,
          ]);
        });
        const two = await commit(h, token, { ...base, seq: 2, cmi: { location: 'p2', suspend_data: 'b' } });
        t2.is(two.statusCode, 409, two.body);
        t2.is(two.json().error, 'STALE_COMMIT');
        t2.is(two.json().seq, 5, 'judged against the stored commit, not the snapshot');
        const six = await commit(h, token, { ...base, seq: 6, cmi: { location: 'p6', suspend_data: 'c' } });
        t2.is(six.statusCode, 200, six.body);
        const stored = await db().ownerTransaction((tx) =>
          tx.query<{ seq: string; location: string }>(
            `SELECT seq::text, cmi->>'location' AS location FROM ${schema()}.sco_states WHERE attempt_id = $1`,
            [data.attemptId],
          ),
        );
        t2.deepEqual(stored.rows, [{ seq: '6', location: 'p6' }]);
      },
    );

    test.serial(
      `${name}: a launch leaves a snapshot of what it read, at the attempt's row version, for the first commit`,
      async (t2) => {
        const { token, data } = await launched(h, t, 'scorm2004');
        const base = { attemptId: data.attemptId, sco: 'item_0' };
        const xmin = async () =>
          (
            await db().ownerTransaction((tx) =>
              tx.query<{ xmin: string }>(`SELECT xmin::text FROM ${schema()}.attempts WHERE id = $1`, [
                data.attemptId,
              ]),
            )
          ).rows[0]!.xmin;
        const fresh = snapshotOf(t.tenant, data.attemptId);
        t2.truthy(fresh, 'the launch remembered the attempt');
        t2.is(fresh!.row.xmin, await xmin());
        t2.is(fresh!.states.size, 0, 'a first launch: no SCO state yet');
        t2.is(
          (await commit(h, token, { ...base, seq: 1, cmi: { location: 'p1', suspend_data: 'kept' } }))
            .statusCode,
          200,
        );

        // The next session: its launch reads the stored tree, and the commit is judged against it.
        const again = await launch(h, token);
        const primed = snapshotOf(t.tenant, data.attemptId)!;
        t2.is(again.attemptId, data.attemptId);
        t2.is(primed.row.xmin, await xmin());
        // Held without suspend_data, which only its SHA-1 stands for (attempt-snapshots.ts heldState).
        t2.like(primed.states.get('item_0'), {
          seq: 1,
          cmi: { location: 'p1' },
          suspendDataSha1: createHash('sha1').update('kept').digest('hex'),
        });
        t2.false('suspend_data' in primed.states.get('item_0')!.cmi);
        const two = await commit(h, token, {
          ...base,
          seq: 1,
          cmi: { location: 'p1', suspend_data: 'kept' },
        });
        t2.is(two.statusCode, 200, 'a retry of the stored commit is answered from the launch snapshot');

        // Touched behind the snapshot's back after the launch: the guard catches it, and the commit still lands.
        await launch(h, token);
        await db().ownerTransaction((tx) =>
          tx.query(`UPDATE ${schema()}.attempts SET updated_at = now() WHERE id = $1`, [data.attemptId]),
        );
        const three = await commit(h, token, {
          ...base,
          seq: 2,
          cmi: { location: 'p2', suspend_data: 'new' },
        });
        t2.is(three.statusCode, 200, three.body);
        const stored = await db().ownerTransaction((tx) =>
          tx.query<{ seq: string; location: string; sd: string }>(
            `SELECT s.seq::text, s.cmi->>'location' AS location, convert_from(d.body, 'UTF8') AS sd
             FROM ${schema()}.sco_states s JOIN ${schema()}.documents d ON d.id = s.suspend_doc
             WHERE s.attempt_id = $1`,
            [data.attemptId],
          ),
        );
        t2.deepEqual(stored.rows, [{ seq: '2', location: 'p2', sd: 'new' }]);
        // What the write left for the next commit: the tree, and the SHA-1 that stands for suspend_data.
        const held = snapshotOf(t.tenant, data.attemptId)!.states.get('item_0')!;
        t2.is(held.suspendDataSha1, createHash('sha1').update('new').digest('hex'));
        t2.false('suspend_data' in held.cmi);
        t2.is(held.cmi.location, 'p2');
      },
    );

    test.serial(
      `${name}: a reset behind the snapshot's back closes the attempt for the next commit`,
      async (t2) => {
        const { token, data, reg } = await launched(h, t, 'scorm12');
        const base = { attemptId: data.attemptId, sco: 'item_0' };
        t2.is(
          (await commit(h, token, { ...base, seq: 1, cmi: { core: { lesson_location: 'p1' } } })).statusCode,
          200,
        );
        const reset = await h.app.inject({
          method: 'POST',
          url: `/api/v1/registrations/${reg.id}/reset`,
          headers: { authorization: t.authorization },
          payload: {},
        });
        t2.is(reset.statusCode, 200);
        const after = await commit(h, token, { ...base, seq: 2, cmi: { core: { lesson_location: 'p2' } } });
        t2.is(after.statusCode, 409, after.body);
        t2.is(after.json().error, 'ATTEMPT_CLOSED');
        const rows = await db().ownerTransaction((tx) =>
          tx.query(`SELECT 1 FROM ${schema()}.sco_states WHERE attempt_id = $1`, [data.attemptId]),
        );
        t2.is(rows.rows.length, 0, 'nothing of the closed attempt was written');
      },
    );

    test.serial(
      `${name}: a new attempt started elsewhere closes the old one for the next commit`,
      async (t2) => {
        const { token, data, reg } = await launched(h, t, 'scorm2004');
        const base = { attemptId: data.attemptId, sco: 'item_0' };
        t2.is((await commit(h, token, { ...base, seq: 1, cmi: { location: 'p1' } })).statusCode, 200);
        await db().ownerTransaction((tx) =>
          tx.query(
            `INSERT INTO ${schema()}.attempts (id, tenant_id, registration_id, number)
           VALUES (gen_random_uuid(), $2, $1, 2)`,
            [reg.id, t.tenant],
          ),
        );
        const after = await commit(h, token, { ...base, seq: 2, cmi: { location: 'p2' } });
        t2.is(after.statusCode, 409, after.body);
        t2.is(after.json().error, 'ATTEMPT_CLOSED');
      },
    );

    test.serial(
      `${name}: commits racing on one attempt: each answered once, none lost, no server error`,
      async (t2) => {
        const { token, data } = await launched(h, t, 'scorm2004', ['Lesson 1', 'Lesson 2']);
        const answers = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            commit(h, token, {
              attemptId: data.attemptId,
              sco: i % 2 ? 'item_1' : 'item_0',
              seq: Math.floor(i / 2) + 1,
              cmi: { location: `p${i}`, suspend_data: `s${i}` },
            }),
          ),
        );
        const codes = answers.map((a) => a.statusCode);
        t2.true(
          codes.every((c) => c === 200 || c === 409),
          codes.join(','),
        );
        const acked = new Map<string, number>();
        answers.forEach((a, i) => {
          const sco = i % 2 ? 'item_1' : 'item_0';
          if (a.statusCode === 200) acked.set(sco, Math.max(acked.get(sco) ?? 0, Math.floor(i / 2) + 1));
        });
        const stored = await db().ownerTransaction((tx) =>
          tx.query<{ sco: string; seq: string }>(
            `SELECT sco, seq::text FROM ${schema()}.sco_states WHERE attempt_id = $1 ORDER BY sco`,
            [data.attemptId],
          ),
        );
        for (const r of stored.rows) t2.true(Number(r.seq) >= (acked.get(r.sco) ?? 0), `${r.sco}: ${r.seq}`);
        t2.is(stored.rows.length, acked.size);
      },
    );

    test.serial(
      `${name}: the profile's Attempt State document follows location and total time`,
      async (t2) => {
        const { token, data } = await launched(h, t, 'scorm2004');
        const base = { attemptId: data.attemptId, sco: 'item_0' };
        await commit(h, token, { ...base, seq: 1, cmi: { location: 'page-3', session_time: 'PT1M' } });
        const two = await commit(h, token, {
          ...base,
          seq: 2,
          cmi: { location: 'page-4', session_time: 'PT2M30S', exit: 'suspend' },
          terminated: true,
        });
        t2.is(two.statusCode, 200, two.body);
        const statements = await h.app.inject({
          url: `/xapi/statements?registration=${data.registration}&limit=1`,
          headers: { 'x-experience-api-version': '2.0.0', authorization: t.authorization },
        });
        const first = statements.json().statements[0];
        const attemptActivity = first.context.contextActivities.grouping[1].id;
        const doc = await h.app.inject({
          url: `/xapi/activities/state?activityId=${encodeURIComponent(attemptActivity)}&agent=${encodeURIComponent(JSON.stringify(first.actor))}&stateId=${encodeURIComponent(ATTEMPT_STATE_ID)}`,
          headers: { 'x-experience-api-version': '2.0.0', authorization: t.authorization },
        });
        t2.is(doc.statusCode, 200, doc.body);
        t2.regex(String(doc.headers['content-type']), /application\/json/);
        t2.like(doc.json(), {
          credit: 'credit',
          mode: 'normal',
          location: 'page-4',
          total_time: 'PT0H2M30S',
        });
      },
    );

    test.serial(
      `${name}: the Attempt State document is rewritten only when its text changes, judged from a snapshot or from the database`,
      async (t2) => {
        const { token, data } = await launched(h, t, 'scorm2004');
        const base = { attemptId: data.attemptId, sco: 'item_0' };
        /** The attempt's Attempt State row: its version changes with every write. */
        const row = () =>
          db().ownerTransaction(async (tx) => {
            const r = await tx.query<{ version: string; etag: string; body: string }>(
              `SELECT xmin::text AS version, etag, convert_from(body, 'UTF8') AS body FROM ${schema()}.documents
               WHERE doc_id = $1 AND activity_iri LIKE '%' || $2`,
              [ATTEMPT_STATE_ID, data.attemptId],
            );
            t2.is(r.rows.length, 1);
            return r.rows[0]!;
          });
        const send = async (seq: number, cmi: Record<string, unknown>) => {
          const res = await commit(h, token, { ...base, seq, cmi });
          t2.is(res.statusCode, 200, res.body);
        };
        await send(1, { location: 'p1', score: { scaled: '0.1' } });
        const first = await row();

        await send(2, { location: 'p1', score: { scaled: '0.5' } });
        t2.is((await row()).version, first.version, 'a score alone leaves it as it was (from the snapshot)');

        forgetAllSnapshots();
        await send(3, { location: 'p1', score: { scaled: '0.7' } });
        t2.is((await row()).version, first.version, 'and from the database');

        await send(4, { location: 'p2', score: { scaled: '0.7' } });
        const moved = await row();
        t2.not(moved.version, first.version);
        t2.is(JSON.parse(moved.body).location, 'p2');
        t2.is(moved.etag, createHash('sha1').update(moved.body).digest('hex'));

        forgetAllSnapshots();
        await send(5, { location: 'p3', score: { scaled: '0.7' } });
        const again = await row();
        t2.not(again.version, moved.version, 'a change judged from the database is written too');
        t2.is(JSON.parse(again.body).location, 'p3');
      },
    );
  },
  { migrate: migrateControl },
);
