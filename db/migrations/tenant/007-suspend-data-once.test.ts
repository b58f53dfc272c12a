import test from 'ava';
import { tenantSchema } from '../../../core/tenant-name.ts';
import { forgetAllSnapshots } from '../../../runtime/ops/attempt-snapshots.ts';
import { commit, launch, launched, runtimeAppHooks } from '../../../runtime/test/runtime-fixture.ts';
import { SUSPEND_DATA_STATE_ID } from '../../../runtime/xapi/activity-iris.ts';
import type { TenantWithKey, TestApp } from '../../../test/app-harness.ts';
import { forEachDatabase } from '../../../test/databases.ts';
import { ident } from '../../database.ts';
import { migrateControl } from '../../migrate.ts';

const V = { 'x-experience-api-version': '2.0.0' };

/*
 * Migration 007 keeps suspend_data once, in its State document (xAPI SCORM Profile §6 "Suspend Data"): the
 * SCO state row names the document, and the State API and a learner's resume read the same bytes.
 */
forEachDatabase(
  test,
  ({ name, db, ready }) => {
    let h: TestApp;
    let t: TenantWithKey;
    runtimeAppHooks(test, ready, db, 'migration_007', (app, tenant) => {
      h = app;
      t = tenant;
    });

    const schema = () => ident(tenantSchema(t.tenant));
    /** The SCO state's suspend_data column and document, and the document row's version. */
    const stored = (attemptId: string) =>
      db().ownerTransaction(async (tx) => {
        const r = await tx.query<{
          column: string | null;
          doc: string | null;
          body: string | null;
          version: string | null;
          activity: string | null;
        }>(
          `SELECT s.suspend_data AS column, s.suspend_doc::text AS doc, convert_from(d.body, 'UTF8') AS body,
                  d.xmin::text AS version, d.activity_iri AS activity
           FROM ${schema()}.sco_states s LEFT JOIN ${schema()}.documents d ON d.id = s.suspend_doc
           WHERE s.attempt_id = $1`,
          [attemptId],
        );
        return r.rows[0]!;
      });
    const stateUrl = (activity: string, learner: unknown, registration: string) =>
      `/xapi/activities/state?activityId=${encodeURIComponent(activity)}` +
      `&agent=${encodeURIComponent(JSON.stringify(learner))}` +
      `&stateId=${encodeURIComponent(SUSPEND_DATA_STATE_ID)}&registration=${registration}`;

    test.serial(
      `${name}: suspend_data is stored once, in its State document, and written only when it changes`,
      async (t2) => {
        const { token, data, reg } = await launched(h, t, 'scorm2004');
        const base = { attemptId: data.attemptId, sco: 'item_0' };
        const one = await commit(h, token, {
          ...base,
          seq: 1,
          cmi: { location: 'p1', suspend_data: 'a="1"' },
        });
        t2.is(one.statusCode, 200, one.body);
        const first = await stored(data.attemptId);
        t2.is(first.column, null, 'no second copy beside the tree');
        t2.is(first.body, 'a="1"');
        const viaLrs = await h.app.inject({
          url: stateUrl(first.activity!, reg.learner, data.registration),
          headers: { ...V, authorization: t.authorization },
        });
        t2.is(viaLrs.statusCode, 200, viaLrs.body);
        t2.is(viaLrs.body, 'a="1"');

        const two = await commit(h, token, {
          ...base,
          seq: 2,
          cmi: { location: 'p2', suspend_data: 'a="1"' },
        });
        t2.is(two.statusCode, 200, two.body);
        const unchanged = await stored(data.attemptId);
        t2.is(unchanged.doc, first.doc);
        t2.is(unchanged.version, first.version, 'suspend_data as it was: the document is not rewritten');

        // Judged from the database rather than this process's snapshot, which holds only suspend_data's SHA-1.
        forgetAllSnapshots();
        const again = await commit(h, token, {
          ...base,
          seq: 3,
          cmi: { location: 'p2', suspend_data: 'a="1"' },
        });
        t2.is(again.statusCode, 200, again.body);
        t2.is((await stored(data.attemptId)).version, first.version, 'the same, judged from the database');

        const three = await commit(h, token, { ...base, seq: 4, cmi: { location: 'p2', suspend_data: 'b' } });
        t2.is(three.statusCode, 200, three.body);
        const changed = await stored(data.attemptId);
        t2.is(changed.doc, first.doc, 'the same document, updated');
        t2.is(changed.body, 'b');
        const resumed = await launch(h, token);
        t2.is(resumed.scos.item_0!.cmi.suspend_data, 'b');
        t2.is(resumed.scos.item_0!.cmi.location, 'p2');
      },
    );

    test.serial(
      `${name}: what an xAPI client writes to the document is resumed; a body that cannot be suspend_data is not`,
      async (t2) => {
        const { token, data, reg } = await launched(h, t, 'scorm2004');
        const base = { attemptId: data.attemptId, sco: 'item_0' };
        t2.is((await commit(h, token, { ...base, seq: 1, cmi: { suspend_data: 'mine' } })).statusCode, 200);
        const url = stateUrl((await stored(data.attemptId)).activity!, reg.learner, data.registration);
        const put = (payload: Buffer | string, contentType: string) =>
          h.app.inject({
            method: 'PUT',
            url,
            // Any version of the document (xAPI 2.0 Part Three §1.3 concurrency).
            headers: { ...V, authorization: t.authorization, 'content-type': contentType, 'if-match': '*' },
            payload,
          });

        t2.is((await put('from another tool', 'text/plain')).statusCode, 204);
        t2.is((await launch(h, token)).scos.item_0!.cmi.suspend_data, 'from another tool');

        t2.is((await put(Buffer.from([0xff, 0xfe, 0x00, 0x41]), 'application/octet-stream')).statusCode, 204);
        const notText = await launch(h, token);
        t2.is(
          notText.scos.item_0!.cmi.suspend_data,
          undefined,
          'not UTF-8: no suspend_data, and no failed launch',
        );

        t2.is((await put('x'.repeat(64_001), 'text/plain')).statusCode, 204);
        t2.is((await launch(h, token)).scos.item_0!.cmi.suspend_data, undefined, 'over SCORM 2004 SPM 64000');

        const del = await h.app.inject({
          method: 'DELETE',
          url,
          headers: { ...V, authorization: t.authorization },
        });
        t2.is(del.statusCode, 204);
        t2.is((await launch(h, token)).scos.item_0!.cmi.suspend_data, undefined, 'deleted: none');

        // The next change writes the document again, and that is what resumes.
        const again = await commit(h, token, { ...base, seq: 2, cmi: { suspend_data: 'fresh' } });
        t2.is(again.statusCode, 200, again.body);
        t2.is((await launch(h, token)).scos.item_0!.cmi.suspend_data, 'fresh');
        t2.is((await stored(data.attemptId)).body, 'fresh');
      },
    );
  },
  { migrate: migrateControl },
);
