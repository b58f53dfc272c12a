import test from 'ava';
import { migrateControl } from '../../db/migrate.ts';
import { validateStatements } from '../../lrs/input/validate-statement.ts';
import type { Json } from '../../lrs/model/statement-index.ts';
import type { TenantWithKey, TestApp } from '../../test/app-harness.ts';
import { forEachDatabase } from '../../test/databases.ts';
import { forgetAllSnapshots } from '../ops/attempt-snapshots.ts';
import { CONTENT_BASE, commit, launch, launched, runtimeAppHooks } from '../test/runtime-fixture.ts';
import { ACTIVITY_STATE_ID, SUSPEND_DATA_STATE_ID } from '../xapi/activity-iris.ts';
import { uuidV5 } from '../xapi/uuid-v5.ts';

const V = { 'x-experience-api-version': '2.0.0' };

async function statementsOf(h: TestApp, t: TenantWithKey, registration: string) {
  const res = await h.app.inject({
    url: `/xapi/statements?registration=${registration}&limit=500&ascending=true`,
    headers: { ...V, authorization: t.authorization },
  });
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
  return res.json().statements as {
    id: string;
    actor: unknown;
    verb: { id: string };
    object: { id: string };
    result?: Json;
    context: Json;
  }[];
}

const verbs = (ss: { verb: { id: string } }[]) => ss.map((s) => s.verb.id.split('/').pop());

async function outboxEvents(h: TestApp, attempt: string): Promise<unknown[]> {
  const res = await h.db.ownerTransaction((tx) =>
    tx.query<{ payload: unknown }>(
      // No dispatcher runs in the test app, so the events are still in the outbox.
      `SELECT payload FROM crest.outbox WHERE queue = 'course-completed' AND payload->>'attempt' = $1`,
      [attempt],
    ),
  );
  return res.rows.map((r) => r.payload);
}

forEachDatabase(
  test,
  ({ name, db, ready }) => {
    let h: TestApp;
    let t: TenantWithKey;
    runtimeAppHooks(test, ready, db, 'runtime_commits', (app, tenant) => {
      h = app;
      t = tenant;
    });

    test.serial(`${name}: a SCORM 1.2 session commits, is stored, and resumes with its data`, async (t2) => {
      const { token, data, reg } = await launched(h, t, 'scorm12');
      t2.is(data.course.standard, 'scorm12');
      t2.is(data.attempt, 1);
      t2.is(data.current, 'item_0');
      t2.deepEqual(Object.keys(data.scos), ['item_0', 'item_1']);
      t2.is(data.scos.item_0!.entry, 'ab-initio');
      t2.is((data.scos.item_0!.cmi as Json).core.lesson_status, 'not attempted');
      t2.is((data.scos.item_0!.cmi as Json).student_data.mastery_score, '80');
      t2.is(data.contentBase, `${CONTENT_BASE}/content/${t.tenant}/${data.course.id}/v1/`);
      t2.true(data.commitUrl.endsWith(`/runtime/v1/sessions/${token}/commits`));

      const res = await commit(h, token, {
        attemptId: data.attemptId,
        sco: 'item_0',
        seq: 1,
        cmi: {
          cmi: {
            core: {
              student_id: 'someone-else',
              lesson_status: 'incomplete',
              lesson_location: 'page-3',
              exit: 'suspend',
              session_time: '00:01:30',
            },
            suspend_data: 'bookmark=3',
          },
        },
        terminated: true,
      });
      t2.is(res.statusCode, 200, res.body);
      t2.deepEqual(res.json().course, {
        completion: 'incomplete',
        success: 'unknown',
        score: null,
        complete: false,
      });

      const again = await launch(h, token);
      t2.is(again.attemptId, data.attemptId, 'a suspended attempt is resumed, not replaced');
      t2.is(again.current, 'item_0');
      const cmi = again.scos.item_0!.cmi as Json;
      t2.is(again.scos.item_0!.entry, 'resume');
      t2.is(again.scos.item_0!.seq, 1);
      t2.is(cmi.core.lesson_location, 'page-3');
      t2.is(cmi.suspend_data, 'bookmark=3');
      t2.is(cmi.core.entry, 'resume');
      t2.is(cmi.core.total_time, '0000:01:30');
      t2.is(cmi.core.student_id, (reg.learner as Json).account.name, 'read-only elements are the runtime’s');
      t2.is(cmi.core.exit, undefined, 'write-only exit is not handed back');
      t2.is(cmi.core.session_time, undefined);
    });

    test.serial(`${name}: seq is per (attempt, SCO): stale 409, same content idempotent 200`, async (t2) => {
      const { token, data } = await launched(h, t, 'scorm12');
      const body = (seq: number, loc: string) => ({
        attemptId: data.attemptId,
        sco: 'item_0',
        seq,
        cmi: { core: { lesson_location: loc, lesson_status: 'incomplete' } },
      });
      t2.is((await commit(h, token, body(5, 'a'))).statusCode, 200);
      const retry = await commit(h, token, body(5, 'a'));
      t2.is(retry.statusCode, 200, 'a retry of the stored commit is answered again');
      t2.is(retry.json().seq, 5);
      const changed = await commit(h, token, body(5, 'b'));
      t2.is(changed.statusCode, 409);
      t2.like(changed.json(), { error: 'STALE_COMMIT', seq: 5 });
      const older = await commit(h, token, body(4, 'c'));
      t2.is(older.statusCode, 409);
      t2.is(older.json().seq, 5);
      t2.is(
        (await commit(h, token, { ...body(1, 'other sco'), sco: 'item_1' })).statusCode,
        200,
        'seq is per SCO',
      );
      const after = await launch(h, token);
      t2.is((after.scos.item_0!.cmi as Json).core.lesson_location, 'a');
      const statements = await statementsOf(h, t, data.registration);
      t2.is(
        verbs(statements).filter((v) => v === 'initialized').length,
        2,
        'a retry made no second statement',
      );
    });

    test.serial(`${name}: a text/plain beacon commit is accepted like JSON`, async (t2) => {
      const { token, data } = await launched(h, t, 'scorm2004');
      const res = await commit(
        h,
        token,
        {
          attemptId: data.attemptId,
          sco: 'item_0',
          seq: 1,
          cmi: { cmi: { completion_status: 'completed', exit: 'normal', session_time: 'PT2M' } },
          terminated: true,
        },
        'text/plain;charset=UTF-8',
      );
      t2.is(res.statusCode, 200, res.body);
      t2.is(res.headers['access-control-allow-origin'], '*');
      t2.is(res.json().sco.completion, 'completed');
    });

    test.serial(`${name}: invalid CMI is 400 naming element and rule, and nothing is stored`, async (t2) => {
      const { token, data } = await launched(h, t, 'scorm12');
      const res = await commit(h, token, {
        attemptId: data.attemptId,
        sco: 'item_0',
        seq: 1,
        cmi: { core: { lesson_status: 'done', lesson_location: 'x' } },
      });
      t2.is(res.statusCode, 400);
      t2.is(res.json().error, 'CMI_INVALID');
      t2.is(res.json().element, 'cmi.core.lesson_status');
      t2.regex(res.json().rule, /SCORM 1\.2 RTE §3\.4/);
      const after = await launch(h, token);
      t2.is(after.scos.item_0!.seq, 0);
      t2.is((after.scos.item_0!.cmi as Json).core.lesson_location, undefined);
      t2.deepEqual(await statementsOf(h, t, data.registration), []);
    });

    test.serial(
      `${name}: SCORM 2004 suspend_data of 64,000 characters round-trips; 64,001 is refused`,
      async (t2) => {
        const { token, data } = await launched(h, t, 'scorm2004');
        // SCORM strings are ECMAScript strings: the limit counts UTF-16 code units, as scorm-again does.
        const big = `${'x'.repeat(63_993)}é€😀end`;
        t2.is(big.length, 64_000);
        const ok = await commit(h, token, {
          attemptId: data.attemptId,
          sco: 'item_0',
          seq: 1,
          cmi: { suspend_data: big, exit: 'suspend' },
          terminated: true,
        });
        t2.is(ok.statusCode, 200, ok.body);
        const again = await launch(h, token);
        t2.is((again.scos.item_0!.cmi as Json).suspend_data, big);
        const tooBig = await commit(h, token, {
          attemptId: data.attemptId,
          sco: 'item_0',
          seq: 2,
          cmi: { suspend_data: `${big}y` },
        });
        t2.is(tooBig.statusCode, 400);
        t2.is(tooBig.json().element, 'cmi.suspend_data');
      },
    );

    for (const [forget, how] of [
      [false, ''],
      [true, ' (stored CMI read back, as by another process)'],
    ] as const)
      test.serial(
        `${name}: statements follow the xAPI SCORM Profile; suspend_data is the State document${how}`,
        async (t2) => {
          const { token, data } = await launched(h, t, 'scorm2004');
          const base = { attemptId: data.attemptId, sco: 'item_0' };
          await commit(h, token, {
            ...base,
            seq: 1,
            cmi: {
              completion_status: 'incomplete',
              suspend_data: 'chapter=2',
              interactions: {
                '0': {
                  id: 'q1',
                  type: 'true-false',
                  learner_response: 'true',
                  result: 'correct',
                  correct_responses: { '0': { pattern: 'true' } },
                },
              },
            },
          });
          if (forget) forgetAllSnapshots();
          await commit(h, token, {
            ...base,
            seq: 2,
            cmi: {
              completion_status: 'completed',
              success_status: 'passed',
              score: { scaled: '0.9', raw: '90', min: '0', max: '100' },
              suspend_data: 'chapter=3',
              exit: 'suspend',
              session_time: 'PT5M',
              interactions: {
                '0': { id: 'q1', type: 'true-false', learner_response: 'true', result: 'correct' },
              },
            },
            terminated: true,
          });
          const statements = await statementsOf(h, t, data.registration);
          t2.deepEqual(verbs(statements), [
            'initialized',
            'responded',
            'scored',
            'completed',
            'passed',
            'suspended',
          ]);
          t2.notThrows(() => validateStatements(statements, '2.0.0'), 'every statement is valid xAPI 2.0');
          for (const s of statements) {
            t2.deepEqual(s.context.contextActivities.category, [
              {
                id: 'https://w3id.org/xapi/scorm',
                definition: { type: 'http://adlnet.gov/expapi/activities/profile' },
              },
            ]);
            const grouping = s.context.contextActivities.grouping.map((g: Json) => g.definition.type);
            t2.deepEqual(grouping, [
              'http://adlnet.gov/expapi/activities/course',
              'http://adlnet.gov/expapi/activities/attempt',
            ]);
            t2.is(s.context.registration, data.registration);
          }
          const responded = statements[1]!;
          t2.is(responded.result.response, 'true');
          t2.true(responded.result.success);
          t2.true(responded.object.id.endsWith('/interactions/q1'));
          const suspended = statements.at(-1)!;
          t2.deepEqual(suspended.result, {
            success: true,
            completion: true,
            score: { scaled: 0.9, raw: 90, min: 0, max: 100 },
            duration: 'PT0H5M0S',
          });

          const attemptActivity = statements[0]!.context.contextActivities.grouping[1].id;
          const agent = JSON.stringify(statements[0]!.actor);
          const doc = await h.app.inject({
            url: `/xapi/activities/state?activityId=${encodeURIComponent(attemptActivity)}&agent=${encodeURIComponent(agent)}&stateId=${encodeURIComponent(SUSPEND_DATA_STATE_ID)}&registration=${data.registration}`,
            headers: { ...V, authorization: t.authorization },
          });
          t2.is(doc.statusCode, 200);
          t2.is(doc.body, 'chapter=3');

          // Resuming: the next session of the SCO begins with "resumed".
          if (forget) forgetAllSnapshots();
          await commit(h, token, {
            ...base,
            seq: 3,
            cmi: { completion_status: 'completed', success_status: 'passed' },
          });
          t2.is(verbs(await statementsOf(h, t, data.registration)).at(-1), 'resumed');
        },
      );

    test.serial(`${name}: rollup completes the course once, with exactly one outbox event`, async (t2) => {
      const { token, data, courseId } = await launched(h, t, 'scorm12');
      const one = await commit(h, token, {
        attemptId: data.attemptId,
        sco: 'item_0',
        seq: 1,
        cmi: { core: { lesson_status: 'completed', session_time: '00:10:00' } },
        terminated: true,
      });
      t2.false(one.json().course.complete, 'one of two SCOs is not the course');
      t2.is(one.json().course.completion, 'incomplete');
      const two = await commit(h, token, {
        attemptId: data.attemptId,
        sco: 'item_1',
        seq: 1,
        cmi: { core: { lesson_status: 'incomplete', score: { raw: '85' }, session_time: '00:05:00' } },
        terminated: true,
      });
      t2.is(two.statusCode, 200, two.body);
      t2.deepEqual(
        two.json().sco,
        { completion: 'completed', success: 'passed', score: 0.85 },
        'mastery score 80 decides',
      );
      t2.deepEqual(two.json().course, {
        completion: 'completed',
        success: 'passed',
        score: 0.85,
        complete: true,
      });
      // Later commits of the same attempt do not fire again.
      await commit(h, token, {
        attemptId: data.attemptId,
        sco: 'item_1',
        seq: 2,
        cmi: { core: { lesson_status: 'passed', score: { raw: '95' } } },
      });
      const events = await outboxEvents(h, data.attemptId);
      t2.is(events.length, 1);
      t2.like(events[0] as object, {
        kind: 'course.completed',
        tenant: t.tenant,
        registration: data.registration,
        course: courseId,
        version: 1,
        success: 'passed',
        completion: 'completed',
      });
      const statements = await statementsOf(h, t, data.registration);
      const course = statements.filter((s) => s.object.id === `urn:crest:course:${courseId}`);
      t2.is(course.length, 1, 'one course status statement (Profile §7)');
      t2.like(course[0]!.result, { completion: true, success: true, duration: 'PT0H15M0S' });
      const summary = await h.app.inject({
        url: `/api/v1/registrations/${data.registration}`,
        headers: { authorization: t.authorization },
      });
      t2.like(summary.json().status, {
        completion: 'completed',
        success: 'passed',
        totalSeconds: 900,
        complete: true,
      });

      // The next launch after a completed attempt opens attempt 2.
      const next = await launch(h, token);
      t2.is(next.attempt, 2);
      const closed = await commit(h, token, {
        attemptId: data.attemptId,
        sco: 'item_0',
        seq: 9,
        cmi: { core: { lesson_status: 'completed' } },
      });
      t2.is(closed.statusCode, 409);
      t2.is(closed.json().error, 'ATTEMPT_CLOSED');
    });

    test.serial(
      `${name}: SCORM 2004 launch carries sequencing; the root activity of the state rolls up`,
      async (t2) => {
        const { token, data } = await launched(h, t, 'scorm2004');
        t2.is((data.sequencing as Json).activityTree.id, 'org');
        t2.deepEqual(
          (data.sequencing as Json).activityTree.children.map((c: Json) => c.id),
          ['item_0', 'item_1'],
        );
        t2.is(data.sequencingState, null);
        const sequencingState = {
          activityStates: { org: { completionStatus: 'completed', successStatus: 'passed' }, item_0: {} },
        };
        const res = await commit(h, token, {
          attemptId: data.attemptId,
          sco: 'item_0',
          seq: 1,
          cmi: { completion_status: 'completed', exit: 'suspend' },
          terminated: true,
          sequencingState,
        });
        t2.is(res.statusCode, 200, res.body);
        t2.like(res.json().course, { completion: 'completed', success: 'passed', complete: true });
        // Suspended, so the next launch resumes this attempt and hands the state back.
        const resumed = await launch(h, token);
        t2.is(resumed.attemptId, data.attemptId);
        t2.deepEqual(resumed.sequencingState, sequencingState);
      },
    );

    test.serial(`${name}: a statement id clash never acknowledges CMI without its statements`, async (t2) => {
      const { token, data } = await launched(h, t, 'scorm12');
      // Someone already stored a different statement under the id this commit's "initialized" will take.
      const id = uuidV5(`${data.attemptId}|item_0|1|initialized|`);
      const squat = await h.app.inject({
        method: 'PUT',
        url: `/xapi/statements?statementId=${id}`,
        headers: { ...V, authorization: t.authorization },
        payload: {
          actor: { mbox: 'mailto:squatter@example.com' },
          verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
          object: { id: 'http://example.com/elsewhere' },
        },
      });
      t2.is(squat.statusCode, 204);
      const res = await commit(h, token, {
        attemptId: data.attemptId,
        sco: 'item_0',
        seq: 1,
        cmi: { core: { lesson_location: 'p1' } },
      });
      t2.is(res.statusCode, 409, 'fast path conflict, then the careful path refuses the changed id');
      t2.is((await launch(h, token)).scos.item_0!.seq, 0, 'no CMI was stored');
    });

    test.serial(
      `${name}: a failed SCORM 1.2 SCO: failed and terminated statements, no course event`,
      async (t2) => {
        const { token, data, courseId } = await launched(h, t, 'scorm12', ['Quiz']);
        const res = await commit(h, token, {
          attemptId: data.attemptId,
          sco: 'item_0',
          seq: 1,
          cmi: { core: { lesson_status: 'completed', score: { raw: '50' }, session_time: '00:00:42' } },
          terminated: true,
        });
        t2.deepEqual(
          res.json().sco,
          { completion: 'incomplete', success: 'failed', score: 0.5 },
          'mastery score 80',
        );
        t2.deepEqual(res.json().course, {
          completion: 'incomplete',
          success: 'failed',
          score: 0.5,
          complete: false,
        });
        const statements = await statementsOf(h, t, data.registration);
        t2.deepEqual(verbs(statements), ['initialized', 'scored', 'failed', 'terminated']);
        t2.deepEqual(statements.at(-1)!.result, {
          success: false,
          completion: false,
          score: { scaled: 0.5, raw: 50 },
          duration: 'PT0H0M42S',
        });
        t2.false(
          statements.some((s) => s.object.id === `urn:crest:course:${courseId}`),
          'no course status yet',
        );
        t2.deepEqual(await outboxEvents(h, data.attemptId), []);
      },
    );

    test.serial(
      `${name}: each SCO attempt is appended to the SCO's SCORM Activity State document`,
      async (t2) => {
        const { token, data } = await launched(h, t, 'scorm12', ['Only']);
        const first = await commit(h, token, { attemptId: data.attemptId, sco: 'item_0', seq: 1, cmi: {} });
        t2.is(first.statusCode, 200);
        const statements = await statementsOf(h, t, data.registration);
        const scoActivity = statements[0]!.object.id;
        const attempt1 = statements[0]!.context.contextActivities.grouping[1].id;
        const agent = encodeURIComponent(JSON.stringify(statements[0]!.actor));
        const stateUrl = `/xapi/activities/state?activityId=${encodeURIComponent(scoActivity)}&agent=${agent}&stateId=${encodeURIComponent(ACTIVITY_STATE_ID)}`;
        const read = async () => {
          const res = await h.app.inject({
            url: stateUrl,
            headers: { ...V, authorization: t.authorization },
          });
          t2.is(res.statusCode, 200, res.body);
          t2.regex(String(res.headers['content-type']), /application\/json/);
          return res.json();
        };
        t2.deepEqual(await read(), { attempts: [attempt1] });
        await commit(h, token, { attemptId: data.attemptId, sco: 'item_0', seq: 2, cmi: {} });
        t2.deepEqual(await read(), { attempts: [attempt1] }, 'later commits of the attempt add nothing');
        const next = await h.app.inject({
          method: 'POST',
          url: `/api/v1/registrations/${data.registration}/attempts`,
          headers: { authorization: t.authorization },
          payload: {},
        });
        const attempt2Id = next.json().attemptId;
        await commit(h, token, { attemptId: attempt2Id, sco: 'item_0', seq: 1, cmi: {} });
        const state = await read();
        t2.is(state.attempts.length, 2);
        t2.is(state.attempts[0], attempt1, 'first to latest');
        t2.true(state.attempts[1].endsWith(`/attempt/${attempt2Id}`));
      },
    );

    test.serial(`${name}: OPTIONS preflight for a JSON commit from the content origin`, async (t2) => {
      const res = await h.app.inject({
        method: 'OPTIONS',
        url: '/runtime/v1/sessions/anything/commits',
        headers: {
          origin: CONTENT_BASE,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      t2.is(res.statusCode, 204);
      t2.is(res.headers['access-control-allow-origin'], '*');
      t2.regex(String(res.headers['access-control-allow-methods']), /POST/);
      t2.regex(String(res.headers['access-control-allow-headers']), /Content-Type/i);
    });

    test.serial(`${name}: concurrent commits of many learners are all stored (group commit)`, async (t2) => {
      const sessions = await Promise.all([1, 2, 3, 4, 5, 6].map(() => launched(h, t, 'scorm12', ['Only'])));
      const answers = await Promise.all(
        sessions.flatMap((s) =>
          [1, 2, 3].map((seq) =>
            commit(h, s.token, {
              attemptId: s.data.attemptId,
              sco: 'item_0',
              seq,
              cmi: { core: { lesson_location: `p${seq}`, lesson_status: 'incomplete' } },
            }),
          ),
        ),
      );
      t2.true(
        answers.every(
          (a) => a.statusCode === 200 || (a.statusCode === 409 && a.json().error === 'STALE_COMMIT'),
        ),
      );
      for (const s of sessions) {
        const after = await launch(h, s.token);
        t2.is(after.scos.item_0!.seq, 3);
        t2.is((after.scos.item_0!.cmi as Json).core.lesson_location, 'p3');
      }
    });
  },
  { migrate: migrateControl },
);
