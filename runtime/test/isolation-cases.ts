import type { ExecutionContext } from 'ava';
import type { TenantWithKey, TestApp } from '../../test/app-harness.ts';
import { commit, launch, launchToken, register, uploadCourse } from './runtime-fixture.ts';

/*
 * Isolation cases for the runtime's routes, spread into server/isolation.test.ts's CASES: tenant A's key, or a
 * launch token of A's, tries to read or change tenant B's registrations, reports, launch data and commits.
 */

interface Ctx {
  h: TestApp;
  a: TenantWithKey;
  b: TenantWithKey;
  t: ExecutionContext;
}

type Case = (c: Ctx) => Promise<void>;

interface Seeded {
  regA: string;
  tokenA: string;
  attemptA: string;
  regB: string;
  tokenB: string;
  attemptB: string;
  courseB: string;
}

const seeded = new WeakMap<TestApp, Seeded>();

/** One registration per tenant, B's with a committed SCO; made once per app. */
async function seed({ h, a, b }: Ctx): Promise<Seeded> {
  const hit = seeded.get(h);
  if (hit) return hit;
  const courseA = await uploadCourse(h, a, 'scorm12', ['A only']);
  const courseB = await uploadCourse(h, b, 'scorm12', ['B only']);
  const regA = (await register(h, a, courseA)).id;
  const regB = (await register(h, b, courseB)).id;
  const tokenA = await launchToken(h, a, regA);
  const tokenB = await launchToken(h, b, regB);
  const attemptA = (await launch(h, tokenA)).attemptId;
  const attemptB = (await launch(h, tokenB)).attemptId;
  const res = await commit(h, tokenB, {
    attemptId: attemptB,
    sco: 'item_0',
    seq: 1,
    cmi: { core: { lesson_location: 'B-secret', lesson_status: 'incomplete' } },
  });
  if (res.statusCode !== 200) throw new Error(`seeding B: ${res.body}`);
  const s = { regA, tokenA, attemptA, regB, tokenB, attemptB, courseB };
  seeded.set(h, s);
  return s;
}

/** B's registration still has its attempt and its SCO data, unchanged. */
async function assertBIntact(c: Ctx, s: Seeded): Promise<void> {
  const res = await c.h.app.inject({
    url: `/api/v1/registrations/${s.regB}/scos`,
    headers: { authorization: c.b.authorization },
  });
  c.t.is(res.statusCode, 200);
  c.t.is(res.json().attempt, 1, "B's attempt is untouched");
  c.t.is(res.json().scos[0].cmi.core.lesson_location, 'B-secret', "B's CMI is unchanged");
  c.t.is(res.json().scos[0].seq, 1);
}

/** A's key on B's registration id: not found, and nothing of B's changes. */
function keyCase(method: 'GET' | 'POST', suffix: string, payload?: unknown): Case {
  return async (c) => {
    const s = await seed(c);
    const res = await c.h.app.inject({
      method,
      url: `/api/v1/registrations/${s.regB}${suffix}`,
      headers: { authorization: c.a.authorization },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    c.t.is(res.statusCode, 404, `${method} …${suffix}`);
    c.t.false(res.body.includes('B-secret'));
    for (const format of ['', '?format=csv']) {
      if (method !== 'GET') break;
      const csv = await c.h.app.inject({
        url: `/api/v1/registrations/${s.regB}${suffix}${format}`,
        headers: { authorization: c.a.authorization },
      });
      c.t.is(csv.statusCode, 404);
    }
    await assertBIntact(c, s);
  };
}

/** Swaps the tenant of a token (which then no longer matches its signature). */
function retarget(token: string, tenant: string): string {
  return `${tenant}${token.slice(token.indexOf('.'))}`;
}

export const RUNTIME_CASES: Record<string, Case> = {
  'POST /api/v1/registrations': async (c) => {
    const s = await seed(c);
    const res = await c.h.app.inject({
      method: 'POST',
      url: '/api/v1/registrations',
      headers: { authorization: c.a.authorization },
      payload: { courseId: s.courseB, learner: { name: 'Mallory', mbox: 'mailto:m@example.com' } },
    });
    c.t.is(res.statusCode, 404, "A cannot register on B's course");
    await assertBIntact(c, s);
  },
  'GET /api/v1/courses/:id/runtime-settings': async (c) => {
    const s = await seed(c);
    const res = await c.h.app.inject({
      url: `/api/v1/courses/${s.courseB}/runtime-settings`,
      headers: { authorization: c.a.authorization },
    });
    c.t.is(res.statusCode, 404);
  },
  'PUT /api/v1/courses/:id/runtime-settings': async (c) => {
    const s = await seed(c);
    const res = await c.h.app.inject({
      method: 'PUT',
      url: `/api/v1/courses/${s.courseB}/runtime-settings`,
      headers: { authorization: c.a.authorization },
      payload: { maxAttempts: 1 },
    });
    c.t.is(res.statusCode, 404, "A cannot change B's course settings");
    const mine = await c.h.app.inject({
      url: `/api/v1/courses/${s.courseB}/runtime-settings`,
      headers: { authorization: c.b.authorization },
    });
    c.t.is(mine.json().maxAttempts, null, "B's course keeps its settings");
  },
  'GET /api/v1/registrations/:id': keyCase('GET', ''),
  'POST /api/v1/registrations/:id/launch-links': keyCase('POST', '/launch-links', {}),
  'POST /api/v1/registrations/:id/attempts': keyCase('POST', '/attempts', {}),
  'POST /api/v1/registrations/:id/reset': keyCase('POST', '/reset', {}),
  'GET /api/v1/registrations/:id/report': keyCase('GET', '/report'),
  'GET /api/v1/registrations/:id/scos': keyCase('GET', '/scos'),
  'GET /api/v1/registrations/:id/interactions': keyCase('GET', '/interactions'),
  'GET /api/v1/registrations/:id/objectives': keyCase('GET', '/objectives'),
  'GET /runtime/v1/launch/:token': async (c) => {
    const s = await seed(c);
    const mine = await launch(c.h, s.tokenA);
    c.t.is(mine.registration, s.regA, "A's token opens A's registration only");
    c.t.false(JSON.stringify(mine).includes('B-secret'));
    const forged = await c.h.app.inject({ url: `/runtime/v1/launch/${retarget(s.tokenA, c.b.tenant)}` });
    c.t.is(forged.statusCode, 401);
    c.t.is(forged.json().error, 'LAUNCH_TOKEN_INVALID');
    await assertBIntact(c, s);
  },
  'POST /runtime/v1/sessions/:token/commits': async (c) => {
    const s = await seed(c);
    const body = {
      attemptId: s.attemptB,
      sco: 'item_0',
      seq: 99,
      cmi: { core: { lesson_location: 'A-was-here' } },
    };
    const withA = await commit(c.h, s.tokenA, body);
    c.t.is(withA.statusCode, 409, "A's token cannot commit to B's attempt");
    c.t.is(withA.json().error, 'ATTEMPT_CLOSED');
    const forged = await commit(c.h, retarget(s.tokenA, c.b.tenant), body);
    c.t.is(forged.statusCode, 401);
    await assertBIntact(c, s);
  },
  'GET /launch/:token': async (c) => {
    const s = await seed(c);
    const forged = await c.h.app.inject({ url: `/launch/${retarget(s.tokenA, c.b.tenant)}` });
    c.t.is(forged.statusCode, 401);
    const mine = await c.h.app.inject({ url: `/launch/${s.tokenA}` });
    c.t.is(mine.statusCode, 302);
    c.t.true(String(mine.headers.location).endsWith(`#${s.tokenA}`));
  },
  // Preflight answers with headers only; it runs no handler that reads data.
  'OPTIONS /runtime/v1/launch/:token': async (c) => {
    const s = await seed(c);
    const res = await c.h.app.inject({ method: 'OPTIONS', url: `/runtime/v1/launch/${s.tokenB}` });
    c.t.is(res.statusCode, 204);
    c.t.is(res.body, '');
  },
  'OPTIONS /runtime/v1/sessions/:token/commits': async (c) => {
    const s = await seed(c);
    const res = await c.h.app.inject({ method: 'OPTIONS', url: `/runtime/v1/sessions/${s.tokenB}/commits` });
    c.t.is(res.statusCode, 204);
    c.t.is(res.body, '');
    await assertBIntact(c, s);
  },
};
