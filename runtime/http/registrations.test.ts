import test from 'ava';
import { deleteTenant } from '../../control/tenants.ts';
import { migrateControl } from '../../db/migrate.ts';
import type { Json } from '../../lrs/model/statement-index.ts';
import { runImport } from '../../packager/import/run-import.ts';
import {
  ADMIN_TOKEN,
  startTestApp,
  type TenantWithKey,
  type TestApp,
  tenantWithKey,
} from '../../test/app-harness.ts';
import { forEachDatabase } from '../../test/databases.ts';
import { cmi5Package } from '../../test/packages.ts';
import { launchSigningKey, signLaunchToken } from '../launch-token.ts';
import { DEFAULT_MAX_ATTEMPTS } from '../model.ts';
import {
  CONTENT_BASE,
  commit,
  launch,
  launched,
  launchToken,
  newLearner,
  register,
  uploadCourse,
} from '../test/runtime-fixture.ts';

/** `token` with the character at `i` replaced by a different base64url character. */
function alterAt(token: string, i: number): string {
  return `${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`;
}

forEachDatabase(
  test,
  ({ name, db, ready }) => {
    let h: TestApp;
    let t: TenantWithKey;
    let reader: TenantWithKey;
    let course12: string;
    test.before(async () => {
      h = await startTestApp(await ready(), {
        courses: { uploadLimit: 50 * 1024 * 1024, contentBaseUrl: () => CONTENT_BASE },
      });
      t = await tenantWithKey(db(), 'runtime_regs');
      reader = await tenantWithKey(db(), 'runtime_regs', ['all/read']);
      course12 = await uploadCourse(h, t, 'scorm12');
    });
    test.after.always(async () => {
      await h?.close();
    });

    const post = (url: string, payload: unknown, who = t) =>
      h.app.inject({
        method: 'POST',
        url,
        headers: { authorization: who.authorization },
        payload: payload as object,
      });
    const get = (url: string, headers: Record<string, string> = {}, who = t) =>
      h.app.inject({ url, headers: { authorization: who.authorization, ...headers } });

    test.serial(
      `${name}: a registration is one learner on one course version; repeats return it`,
      async (t2) => {
        const learner = newLearner('Grace Hopper');
        const first = await post('/api/v1/registrations', { courseId: course12, learner });
        t2.is(first.statusCode, 201, first.body);
        t2.like(first.json(), { courseId: course12, version: 1, maxAttempts: DEFAULT_MAX_ATTEMPTS });
        t2.deepEqual(first.json().learner, { objectType: 'Agent', ...learner });
        const again = await post('/api/v1/registrations', { courseId: course12, learner });
        t2.is(again.statusCode, 200);
        t2.is(again.json().id, first.json().id);
        const forced = await post('/api/v1/registrations', { courseId: course12, learner, forceNew: true });
        t2.is(forced.statusCode, 201);
        t2.not(forced.json().id, first.json().id);
        const byMail = await post('/api/v1/registrations', {
          courseId: course12,
          learner: { name: 'Mail Learner', mbox: 'mailto:learner@example.com' },
        });
        t2.is(byMail.statusCode, 201);
      },
    );

    test.serial(
      `${name}: registration input is validated; unknown course 404; reads need all/read`,
      async (t2) => {
        const cases: [unknown, number, string][] = [
          [{ courseId: course12, learner: { name: 'No IFI' } }, 400, 'learner'],
          [
            {
              courseId: course12,
              learner: { name: 'Two', mbox: 'mailto:a@b.c', account: { homePage: 'https://x', name: 'y' } },
            },
            400,
            'learner',
          ],
          [{ courseId: course12, learner: { name: '', mbox: 'mailto:a@b.c' } }, 400, 'learner.name'],
          [{ courseId: course12, learner: { name: 'X', mbox: 'a@b.c' } }, 400, 'learner.mbox'],
          [{ courseId: course12, learner: newLearner(), colour: 'red' }, 400, 'colour'],
          [{ courseId: 'nope', learner: newLearner() }, 400, 'courseId'],
          [{ courseId: course12, learner: newLearner(), maxAttempts: 0 }, 400, 'maxAttempts'],
        ];
        for (const [payload, status, field] of cases) {
          const res = await post('/api/v1/registrations', payload);
          t2.is(res.statusCode, status, JSON.stringify(payload));
          t2.is(res.json().error.details.field, field);
        }
        const unknown = await post('/api/v1/registrations', {
          courseId: '00000000-0000-4000-8000-000000000000',
          learner: newLearner(),
        });
        t2.is(unknown.statusCode, 404);
        const noVersion = await post('/api/v1/registrations', {
          courseId: course12,
          learner: newLearner(),
          version: 9,
        });
        t2.is(noVersion.statusCode, 404);
        const cmi5 = await h.app.inject({
          method: 'POST',
          url: '/api/v1/courses',
          headers: { authorization: t.authorization, 'content-type': 'application/zip' },
          payload: await cmi5Package(),
        });
        await runImport({ db: h.db, blobs: h.blobs }, { tenant: t.tenant, jobId: cmi5.json().job.id });
        const notScorm = await post('/api/v1/registrations', {
          courseId: cmi5.json().job.courseId,
          learner: newLearner(),
        });
        t2.is(notScorm.statusCode, 400, 'the SCORM runtime does not launch cmi5 courses');
        t2.regex(notScorm.json().error.message, /cmi5 course/);
        const readOnly = await post(
          '/api/v1/registrations',
          { courseId: course12, learner: newLearner() },
          reader,
        );
        t2.is(readOnly.statusCode, 403, 'writing needs the all scope');
        const reg = await register(h, t, course12);
        t2.is(
          (await get(`/api/v1/registrations/${reg.id}`, {}, reader)).statusCode,
          200,
          'all/read may read',
        );
        t2.is((await h.app.inject({ url: `/api/v1/registrations/${reg.id}` })).statusCode, 401);
      },
    );

    test.serial(
      `${name}: registrations stay on their version when the course is uploaded again`,
      async (t2) => {
        const courseId = await uploadCourse(h, t, 'scorm12', ['Old only']);
        const old = await register(h, t, courseId);
        await uploadCourse(h, t, 'scorm12', ['New one', 'New two'], courseId);
        const fresh = await register(h, t, courseId);
        t2.is(old.version, 1);
        t2.is(fresh.version, 2);
        const oldLaunch = await launch(h, await launchToken(h, t, old.id));
        t2.deepEqual(
          oldLaunch.toc.map((i) => i.title),
          ['Old only'],
        );
        t2.true(oldLaunch.contentBase.endsWith('/v1/'));
        const pinned = await post('/api/v1/registrations', { courseId, learner: newLearner(), version: 1 });
        t2.is(pinned.json().version, 1);
        const same = await post('/api/v1/registrations', { courseId, learner: old.learner });
        t2.is(same.statusCode, 200, 'the learner who started on version 1 gets that registration back');
        t2.is(same.json().id, old.id);
        const onV2 = await post('/api/v1/registrations', { courseId, learner: old.learner, version: 2 });
        t2.is(onV2.statusCode, 201, 'naming the new version registers them on it');
        t2.is(onV2.json().version, 2);
      },
    );

    test.serial(`${name}: launch links are signed, expiring and name one registration`, async (t2) => {
      const reg = await register(h, t, course12);
      const link = await post(`/api/v1/registrations/${reg.id}/launch-links`, {
        ttlSeconds: 600,
        exitUrl: 'https://lms.example.com/done',
      });
      t2.is(link.statusCode, 201);
      const { url, token, expiresAt } = link.json();
      t2.true(token.length <= 100, 'fits a path segment');
      t2.is(
        url,
        `${CONTENT_BASE}/player/launch.html?api=${encodeURIComponent('http://localhost:80')}&sv=scorm12#${token}`,
      );
      const ttl = Date.parse(expiresAt) - Date.now();
      t2.true(ttl > 590_000 && ttl <= 600_000);
      const data = await launch(h, token);
      t2.is(data.registration, reg.id);
      t2.is(data.exitUrl, 'https://lms.example.com/done');
      t2.deepEqual(data.learner, { id: (reg.learner as Json).account.name, name: 'Ada Lovelace' });

      const key = launchSigningKey(undefined, ADMIN_TOKEN);
      const expired = signLaunchToken(key, {
        tenant: t.tenant,
        registration: reg.id,
        expiresAt: Math.floor(Date.now() / 1000) - 1,
      });
      const wrongKey = signLaunchToken(launchSigningKey(undefined, 'another-admin-token-0123456789'), {
        tenant: t.tenant,
        registration: reg.id,
        expiresAt: Math.floor(Date.now() / 1000) + 600,
      });
      const other = await register(h, t, course12);
      const swapped = `${token.slice(0, token.indexOf('.'))}.${signLaunchToken(key, { tenant: t.tenant, registration: other.id, expiresAt: 1 }).split('.')[1]}.${token.split('.')[2]}`;
      for (const [bad, why] of [
        [expired, 'expired'],
        [wrongKey, 'signed with another key'],
        [swapped, 'registration swapped'],
        // A character inside the MAC, not the last one, whose spare bits may decode to the same bytes.
        [alterAt(token, token.length - 5), 'signature altered'],
        ['not-a-token', 'garbage'],
      ] as const) {
        const res = await h.app.inject({ url: `/runtime/v1/launch/${bad}` });
        t2.is(res.statusCode, 401, why);
        t2.is(res.json().error, 'LAUNCH_TOKEN_INVALID', why);
        t2.is(res.headers['access-control-allow-origin'], '*', 'the player can read the error');
        const c = await commit(h, bad, { attemptId: data.attemptId, sco: 'item_0', seq: 1, cmi: {} });
        t2.is(c.statusCode, 401, `commit with a token ${why}`);
      }
      const short = await h.app.inject({ url: `/launch/${token}` });
      t2.is(short.statusCode, 302);
      t2.is(short.headers.location, url);
    });

    test.serial(`${name}: a launch token of a tenant that no longer exists is invalid (401)`, async (t2) => {
      const gone = await tenantWithKey(db(), 'runtime_gone');
      const { token, data } = await launched(h, gone, 'scorm12');
      await deleteTenant(db(), gone.tenant);
      const never = signLaunchToken(launchSigningKey(undefined, ADMIN_TOKEN), {
        tenant: 'never_was',
        registration: data.registration,
        expiresAt: Math.floor(Date.now() / 1000) + 600,
      });
      for (const [bad, why] of [
        [token, 'tenant deleted'],
        [never, 'tenant never created'],
      ] as const) {
        const res = await h.app.inject({ url: `/runtime/v1/launch/${bad}` });
        t2.is(res.statusCode, 401, why);
        t2.is(res.json().error, 'LAUNCH_TOKEN_INVALID', why);
        const c = await commit(h, bad, {
          attemptId: data.attemptId,
          sco: 'item_0',
          seq: 1,
          cmi: { cmi: { core: { lesson_location: 'p1' } } },
        });
        t2.is(c.statusCode, 401, `commit: ${why}`);
        t2.is(c.json().error, 'LAUNCH_TOKEN_INVALID', `commit: ${why}`);
      }
    });

    test.serial(`${name}: attempts: new on request, new after completion, limited, and reset`, async (t2) => {
      const reg = await register(h, t, course12, { maxAttempts: 2 });
      const token = await launchToken(h, t, reg.id);
      const first = await launch(h, token);
      t2.is(first.attempt, 1);
      t2.is((await launch(h, token)).attemptId, first.attemptId, 'relaunching an open attempt keeps it');

      const second = await post(`/api/v1/registrations/${reg.id}/attempts`, {});
      t2.is(second.statusCode, 201);
      t2.is(second.json().attempt, 2);
      const stale = await commit(h, token, { attemptId: first.attemptId, sco: 'item_0', seq: 1, cmi: {} });
      t2.is(stale.statusCode, 409);
      t2.is(stale.json().error, 'ATTEMPT_CLOSED');
      const third = await post(`/api/v1/registrations/${reg.id}/attempts`, {});
      t2.is(third.statusCode, 409);
      t2.is(third.json().error.code, 'MAX_ATTEMPTS_REACHED');

      // Completing attempt 2 at the limit: the next launch reopens it rather than failing.
      const launched2 = await launch(h, token);
      t2.is(launched2.attempt, 2);
      for (const sco of ['item_0', 'item_1']) {
        const res = await commit(h, token, {
          attemptId: launched2.attemptId,
          sco,
          seq: 1,
          cmi: { core: { lesson_status: 'completed' } },
          terminated: true,
        });
        t2.true(res.statusCode === 200, res.body);
      }
      t2.is((await launch(h, token)).attempt, 2);

      const reset = await post(`/api/v1/registrations/${reg.id}/reset`, {});
      t2.is(reset.statusCode, 200);
      t2.is(reset.json().attempts, 0);
      const fresh = await launch(h, token);
      t2.is(fresh.attempt, 1, 'the same link starts over after a reset');
      t2.is(fresh.scos.item_0!.seq, 0);
      t2.is((fresh.scos.item_0!.cmi as Json).core.lesson_status, 'not attempted');
    });

    test.serial(
      `${name}: reports: summary, attempts, SCOs, interactions and objectives, as JSON and CSV`,
      async (t2) => {
        const reg = await register(h, t, course12);
        const token = await launchToken(h, t, reg.id);
        const data = await launch(h, token);
        await commit(h, token, {
          attemptId: data.attemptId,
          sco: 'item_0',
          seq: 1,
          cmi: {
            core: {
              lesson_status: 'passed',
              score: { raw: '90', min: '0', max: '100' },
              session_time: '00:02:00',
            },
            objectives: { '0': { id: 'obj-fire', status: 'passed', score: { raw: '90' } } },
            interactions: {
              '0': {
                id: 'q1',
                type: 'choice',
                student_response: 'b',
                result: 'correct',
                correct_responses: { '0': { pattern: 'b' } },
              },
              '1': { id: 'q2', type: 'fill-in', student_response: '=SUM(A1)', result: 'wrong' },
            },
          },
          terminated: true,
        });
        const summary = await get(`/api/v1/registrations/${reg.id}/report`);
        t2.is(summary.statusCode, 200);
        t2.like(summary.json(), {
          id: reg.id,
          attempts: 1,
          status: { completion: 'incomplete', totalSeconds: 120 },
        });
        t2.is(summary.json().attemptHistory.length, 1);

        const scos = await get(`/api/v1/registrations/${reg.id}/scos`);
        t2.deepEqual(
          scos.json().scos.map((s: Json) => [s.sco, s.completion, s.success, s.score]),
          [
            ['item_0', 'completed', 'passed', 0.9],
            ['item_1', 'not attempted', 'unknown', null],
          ],
        );
        t2.is(scos.json().scos[0].cmi.core.score.raw, '90');

        const interactions = await get(`/api/v1/registrations/${reg.id}/interactions`);
        t2.deepEqual(
          interactions
            .json()
            .interactions.map((i: Json) => [i.id, i.type, i.response, i.result, i.correctResponses]),
          [
            ['q1', 'choice', 'b', 'correct', 'b'],
            ['q2', 'fill-in', '=SUM(A1)', 'wrong', ''],
          ],
        );
        const objectives = await get(`/api/v1/registrations/${reg.id}/objectives`);
        t2.like(objectives.json().objectives[0], {
          sco: 'item_0',
          id: 'obj-fire',
          success: 'passed',
          scoreRaw: '90',
        });

        const csv = await get(`/api/v1/registrations/${reg.id}/interactions?format=csv`);
        t2.is(csv.statusCode, 200);
        t2.regex(String(csv.headers['content-type']), /^text\/csv/);
        const lines = csv.body.trimEnd().split('\r\n');
        t2.is(
          lines[0],
          'sco,index,id,type,description,response,correctResponses,result,weighting,latency,timestamp',
        );
        t2.is(lines[1], 'item_0,0,q1,choice,,b,b,correct,,,');
        t2.is(lines[2], "item_0,1,q2,fill-in,,'=SUM(A1),,wrong,,,", 'a formula is defused');
        const byAccept = await get(`/api/v1/registrations/${reg.id}/report`, { accept: 'text/csv' });
        t2.true(
          byAccept.body.startsWith(
            'attempt,attemptId,completion,success,score,totalSeconds,startedAt,completedAt\r\n1,',
          ),
        );
        const scoCsv = await get(`/api/v1/registrations/${reg.id}/scos?format=csv`);
        t2.regex(
          scoCsv.body.split('\r\n')[1]!,
          /^item_0,Introduction,completed,passed,0\.9,120,1,true,false,/,
        );
        t2.true(
          (await get(`/api/v1/registrations/${reg.id}/objectives?format=csv`)).body.includes('obj-fire'),
        );
        t2.is((await get(`/api/v1/registrations/${reg.id}/scos?attempt=7`)).statusCode, 404);
      },
    );
  },
  { migrate: migrateControl },
);
