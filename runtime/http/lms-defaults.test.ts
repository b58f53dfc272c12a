import test from 'ava';
import { migrateControl } from '../../db/migrate.ts';
import type { Json } from '../../lrs/model/statement-index.ts';
import type { TenantWithKey, TestApp } from '../../test/app-harness.ts';
import { forEachDatabase } from '../../test/databases.ts';
import { manifestXml, scoResource } from '../../test/packages.ts';
import { buildZip } from '../../test/zip-builder.ts';
import {
  commit,
  launch,
  launchToken,
  register,
  runtimeAppHooks,
  uploadZip,
} from '../test/runtime-fixture.ts';

/*
 * SCORM 2004 LMS defaults through the real commit path: the End Attempt Process (SN UP.4) with the items'
 * Delivery Controls (SN §3.13). Each course is a package built here, so the Delivery Controls are the test's.
 */

/** One SCORM 2004 SCO per entry; the string is the item's imsss:sequencing ('' for none). */
async function upload(h: TestApp, t: TenantWithKey, sequencing: string[]): Promise<string> {
  const items = sequencing
    .map((s, i) => `<item identifier="item_${i}" identifierref="res_${i}"><title>SCO ${i}</title>${s}</item>`)
    .join('\n');
  const resources = sequencing
    .map((_, i) => scoResource(`res_${i}`, `sco${i}/index.html`, '2004'))
    .join('\n');
  const manifest = manifestXml({
    identifier: 'com.example.lms-defaults',
    version: '2004',
    title: 'LMS defaults',
    items,
    resources,
  });
  const zip = await buildZip([
    { path: 'imsmanifest.xml', data: manifest },
    ...sequencing.map((_, i) => ({
      path: `sco${i}/index.html`,
      data: `<!doctype html><title>SCO ${i}</title>`,
    })),
  ]);
  return uploadZip(h, t, zip);
}

async function start(h: TestApp, t: TenantWithKey, sequencing: string[]) {
  const courseId = await upload(h, t, sequencing);
  const reg = await register(h, t, courseId);
  const token = await launchToken(h, t, reg.id);
  return { courseId, token, data: await launch(h, token) };
}

const delivery = (attrs: string) => `<imsss:sequencing><imsss:deliveryControls ${attrs}/></imsss:sequencing>`;

async function statementsOf(h: TestApp, t: TenantWithKey, registration: string) {
  const res = await h.app.inject({
    url: `/xapi/statements?registration=${registration}&limit=500&ascending=true`,
    headers: { 'x-experience-api-version': '2.0.0', authorization: t.authorization },
  });
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
  return res.json().statements as { verb: { id: string }; object: { id: string }; result?: Json }[];
}

const verbs = (ss: { verb: { id: string } }[]) => ss.map((s) => s.verb.id.split('/').pop());

forEachDatabase(
  test,
  ({ name, db, ready }) => {
    let h: TestApp;
    let t: TenantWithKey;
    runtimeAppHooks(test, ready, db, 'runtime_lms_defaults', (app, tenant) => {
      h = app;
      t = tenant;
    });

    test.serial(
      `${name}: SN UP.4: a SCO that sets no status is completed and passed when its attempt ends, not before`,
      async (t2) => {
        const { token, data } = await start(h, t, ['', '']);
        const base = { attemptId: data.attemptId, sco: 'item_0' };
        const mid = await commit(h, token, { ...base, seq: 1, cmi: { location: 'p2' } });
        t2.is(mid.statusCode, 200, mid.body);
        t2.deepEqual(mid.json().sco, { completion: 'unknown', success: 'unknown', score: null });

        const end = await commit(h, token, {
          ...base,
          seq: 2,
          cmi: { location: 'p3', exit: 'normal', session_time: 'PT2M' },
          terminated: true,
        });
        t2.is(end.statusCode, 200, end.body);
        t2.deepEqual(end.json().sco, { completion: 'completed', success: 'passed', score: null });
        t2.like(end.json().course, { completion: 'incomplete', complete: false }, 'one of two SCOs');
        t2.deepEqual(verbs(await statementsOf(h, t, data.registration)), [
          'initialized',
          'completed',
          'passed',
          'terminated',
        ]);

        // RTE §4.2.4 / §4.2.22: the LMS's value is not written into the SCO's own data.
        const again = await launch(h, token);
        t2.is(again.attemptId, data.attemptId);
        const cmi = again.scos.item_0!.cmi as Json;
        t2.is(cmi.location, 'p3');
        t2.is(cmi.completion_status, undefined);
        t2.is(cmi.success_status, undefined);

        const last = await commit(h, token, {
          attemptId: data.attemptId,
          sco: 'item_1',
          seq: 1,
          cmi: { exit: '' },
          terminated: true,
        });
        t2.deepEqual(last.json().course, {
          completion: 'completed',
          success: 'passed',
          score: null,
          complete: true,
        });
      },
    );

    test.serial(`${name}: SN UP.4 1.1.1: a suspended SCO is left as it reported itself`, async (t2) => {
      const { token, data } = await start(h, t, ['']);
      const res = await commit(h, token, {
        attemptId: data.attemptId,
        sco: 'item_0',
        seq: 1,
        cmi: { exit: 'suspend', suspend_data: 'x' },
        terminated: true,
      });
      t2.is(res.statusCode, 200, res.body);
      t2.deepEqual(res.json().sco, { completion: 'unknown', success: 'unknown', score: null });
      t2.false(res.json().course.complete);
      t2.is((await launch(h, token)).scos.item_0!.entry, 'resume');
    });

    test.serial(
      `${name}: SN §3.13: completionSetByContent / objectiveSetByContent true leave each status to the SCO`,
      async (t2) => {
        const { token, data } = await start(h, t, [
          delivery('completionSetByContent="true" objectiveSetByContent="true"'),
          delivery('completionSetByContent="true"'),
        ]);
        const end = (sco: string, cmi: Json) =>
          commit(h, token, { attemptId: data.attemptId, sco, seq: 1, cmi, terminated: true });
        const both = await end('item_0', { exit: 'normal' });
        t2.is(both.statusCode, 200, both.body);
        t2.deepEqual(both.json().sco, { completion: 'unknown', success: 'unknown', score: null });
        const one = await end('item_1', { success_status: 'failed' });
        t2.deepEqual(one.json().sco, { completion: 'unknown', success: 'failed', score: null });
      },
    );

    test.serial(
      `${name}: RTE §4.2.4.1 / §4.2.22.1: threshold and passing score decide before any default`,
      async (t2) => {
        const { token, data } = await start(h, t, [
          `<adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.8"/>
          <imsss:sequencing><imsss:objectives>
            <imsss:primaryObjective objectiveID="pass" satisfiedByMeasure="true">
              <imsss:minNormalizedMeasure>0.7</imsss:minNormalizedMeasure>
            </imsss:primaryObjective>
          </imsss:objectives></imsss:sequencing>`,
        ]);
        t2.is((data.scos.item_0!.cmi as Json).completion_threshold, '0.8');
        t2.is((data.scos.item_0!.cmi as Json).scaled_passing_score, '0.7');
        const res = await commit(h, token, {
          attemptId: data.attemptId,
          sco: 'item_0',
          seq: 1,
          cmi: { progress_measure: '0.5', score: { scaled: '0.69' } },
          terminated: true,
        });
        t2.is(res.statusCode, 200, res.body);
        t2.deepEqual(res.json().sco, { completion: 'incomplete', success: 'failed', score: 0.69 });
      },
    );

    test.serial(
      `${name}: SN §3.13 Tracked false: the untracked SCO gets no default and does not hold the course back`,
      async (t2) => {
        const { token, data } = await start(h, t, ['', delivery('tracked="false"')]);
        const untracked = await commit(h, token, {
          attemptId: data.attemptId,
          sco: 'item_1',
          seq: 1,
          cmi: { exit: 'normal' },
          terminated: true,
        });
        t2.is(untracked.statusCode, 200, untracked.body);
        t2.deepEqual(untracked.json().sco, { completion: 'unknown', success: 'unknown', score: null });
        const tracked = await commit(h, token, {
          attemptId: data.attemptId,
          sco: 'item_0',
          seq: 1,
          cmi: { exit: 'normal' },
          terminated: true,
        });
        t2.deepEqual(tracked.json().sco, { completion: 'completed', success: 'passed', score: null });
        t2.true(tracked.json().course.complete);
      },
    );
  },
  { migrate: migrateControl },
);
