import test from 'ava';
import { migrateControl } from '../db/migrate.ts';
import { runImport } from '../packager/import/run-import.ts';
import { RUNTIME_CASES } from '../runtime/test/isolation-cases.ts';
import { startTestApp, type TenantWithKey, type TestApp, tenantWithKey } from '../test/app-harness.ts';
import { forEachDatabase } from '../test/databases.ts';
import { scorm12Package } from '../test/packages.ts';

/*
 * Tenant isolation over HTTP: tenant A's key tries to read, write and delete tenant B's data through
 * every route the app serves. The route list comes from the app itself, so a new route without a case
 * here fails the "every route is covered" test.
 */

interface Ctx {
  h: TestApp;
  a: TenantWithKey;
  b: TenantWithKey;
  t: import('ava').ExecutionContext;
}

type Case = (c: Ctx) => Promise<void>;

const PUBLIC_NO_TENANT_DATA: Case = async ({ h, b, t }) => {
  for (const url of ['/healthz', '/readyz', '/metrics']) {
    const res = await h.app.inject({ url });
    t.false(res.body.includes(b.keyId), `${url} leaks a key id`);
    t.false(res.body.includes(b.secret), `${url} leaks a secret`);
  }
};

const ADMIN_REFUSES_TENANT_KEYS: Case = async ({ h, a, b, t }) => {
  const attempts = [
    { method: 'GET', url: '/admin/v1/tenants' },
    { method: 'POST', url: '/admin/v1/tenants', payload: { name: 'sneaky' } },
    { method: 'DELETE', url: `/admin/v1/tenants/${b.tenant}` },
    { method: 'GET', url: `/admin/v1/tenants/${b.tenant}/keys` },
    { method: 'POST', url: `/admin/v1/tenants/${b.tenant}/keys`, payload: {} },
    { method: 'DELETE', url: `/admin/v1/tenants/${b.tenant}/keys/${b.keyId}` },
    { method: 'POST', url: `/admin/v1/tenants/${b.tenant}/courses`, payload: 'PK' },
    { method: 'GET', url: `/admin/v1/tenants/${b.tenant}/imports/3f1a1a1a-1a1a-4a1a-8a1a-1a1a1a1a1a1a` },
  ] as const;
  for (const x of attempts) {
    const res = await h.app.inject({ ...x, headers: { authorization: a.authorization } });
    t.is(res.statusCode, 401, `${x.method} ${x.url}`);
  }
};

const V = { 'x-experience-api-version': '2.0.0' };
const ACTIVITY = 'http://example.com/isolation/activity';
const AGENT = JSON.stringify({ objectType: 'Agent', mbox: 'mailto:shared@example.com' });
const STATE = `/xapi/activities/state?activityId=${encodeURIComponent(ACTIVITY)}&agent=${encodeURIComponent(AGENT)}&stateId=bookmark`;
const ACT_PROFILE = `/xapi/activities/profile?activityId=${encodeURIComponent(ACTIVITY)}&profileId=p1`;
const AGENT_PROFILE = `/xapi/agents/profile?agent=${encodeURIComponent(AGENT)}&profileId=p1`;

function statement(id: string, verb = 'http://adlnet.gov/expapi/verbs/experienced') {
  return {
    id,
    actor: { objectType: 'Agent', mbox: 'mailto:shared@example.com', name: 'Shared' },
    verb: { id: verb },
    object: { id: ACTIVITY, definition: { name: { en: 'B only' } } },
  };
}

/** Tenant B's data, written through the API, that every xAPI probe tries to reach as tenant A. */
async function seedB(h: TestApp, b: TenantWithKey): Promise<{ statementId: string }> {
  const statementId = '6b7c2c4e-3f0a-4c55-9d7e-000000000b0b';
  const hb = { ...V, authorization: b.authorization };
  const put = await h.app.inject({
    method: 'PUT',
    url: `/xapi/statements?statementId=${statementId}`,
    headers: hb,
    payload: statement(statementId),
  });
  if (put.statusCode !== 204 && put.statusCode !== 409)
    throw new Error(`seeding B failed: ${put.statusCode} ${put.body}`);
  for (const url of [STATE, ACT_PROFILE, AGENT_PROFILE]) {
    await h.app.inject({
      method: 'PUT',
      url,
      headers: { ...hb, 'content-type': 'application/json', 'if-none-match': '*' },
      payload: { owner: 'B' },
    });
  }
  return { statementId };
}

async function assertBIntact(h: TestApp, b: TenantWithKey, statementId: string, t: Ctx['t']): Promise<void> {
  const hb = { ...V, authorization: b.authorization };
  const got = await h.app.inject({ url: `/xapi/statements?statementId=${statementId}`, headers: hb });
  t.is(got.statusCode, 200, "B's statement is still there and not voided");
  t.is(got.json().verb.id, 'http://adlnet.gov/expapi/verbs/experienced', "B's statement is unchanged");
  for (const url of [STATE, ACT_PROFILE, AGENT_PROFILE]) {
    const doc = await h.app.inject({ url, headers: hb });
    t.is(doc.statusCode, 200, `${url} still exists for B`);
    t.deepEqual(doc.json(), { owner: 'B' }, `${url} is unchanged for B`);
  }
}

const XAPI_READS: Case = async ({ h, a, b, t }) => {
  const { statementId } = await seedB(h, b);
  const ha = { ...V, authorization: a.authorization };
  t.is(
    (await h.app.inject({ url: `/xapi/statements?statementId=${statementId}`, headers: ha })).statusCode,
    404,
  );
  const list = await h.app.inject({ url: '/xapi/statements', headers: ha });
  t.false(list.body.includes(statementId), "A's statement list holds none of B's");
  for (const url of [STATE, ACT_PROFILE, AGENT_PROFILE]) {
    const res = await h.app.inject({ url, headers: ha });
    t.is(res.statusCode, 404, `${url} is not visible to A`);
  }
  const activity = await h.app.inject({
    url: `/xapi/activities?activityId=${encodeURIComponent(ACTIVITY)}`,
    headers: ha,
  });
  t.false(activity.body.includes('B only'), "B's activity definition does not leak to A");
  const person = await h.app.inject({ url: `/xapi/agents?agent=${encodeURIComponent(AGENT)}`, headers: ha });
  t.false(person.body.includes('Shared'), "B's agent names do not leak to A");
  await assertBIntact(h, b, statementId, t);
};

const XAPI_WRITES: Case = async ({ h, a, b, t }) => {
  const { statementId } = await seedB(h, b);
  const ha = { ...V, authorization: a.authorization, 'content-type': 'application/json' };
  // A may use the same ids and keys in its own store: that must never touch B's.
  const put = await h.app.inject({
    method: 'PUT',
    url: `/xapi/statements?statementId=${statementId}`,
    headers: ha,
    payload: statement(statementId, 'http://adlnet.gov/expapi/verbs/failed'),
  });
  t.true([204, 409].includes(put.statusCode));
  const voiding = await h.app.inject({
    method: 'POST',
    url: '/xapi/statements',
    headers: ha,
    payload: {
      actor: statement(statementId).actor,
      verb: { id: 'http://adlnet.gov/expapi/verbs/voided' },
      object: { objectType: 'StatementRef', id: statementId },
    },
  });
  t.is(voiding.statusCode, 200);
  for (const url of [STATE, ACT_PROFILE, AGENT_PROFILE]) {
    await h.app.inject({
      method: 'PUT',
      url,
      headers: { ...ha, 'if-none-match': '*' },
      payload: { owner: 'A' },
    });
    await h.app.inject({ method: 'POST', url, headers: ha, payload: { merged: 'A' } });
  }
  await assertBIntact(h, b, statementId, t);
};

const XAPI_DELETES: Case = async ({ h, a, b, t }) => {
  const { statementId } = await seedB(h, b);
  const ha = { ...V, authorization: a.authorization };
  for (const url of [STATE, ACT_PROFILE, AGENT_PROFILE]) {
    const res = await h.app.inject({ method: 'DELETE', url, headers: ha });
    t.true([204, 404].includes(res.statusCode), `DELETE ${url} answered ${res.statusCode}`);
  }
  const all = `/xapi/activities/state?activityId=${encodeURIComponent(ACTIVITY)}&agent=${encodeURIComponent(AGENT)}`;
  await h.app.inject({ method: 'DELETE', url: all, headers: ha });
  await assertBIntact(h, b, statementId, t);
};

/** Tenant B's course, uploaded through the API and imported. */
async function seedCourse(h: TestApp, b: TenantWithKey): Promise<{ courseId: string; jobId: string }> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/v1/courses',
    headers: { authorization: b.authorization, 'content-type': 'application/zip' },
    payload: await scorm12Package(['B only']),
  });
  const { job } = res.json();
  await runImport({ db: h.db, blobs: h.blobs }, { tenant: b.tenant, jobId: job.id });
  return { courseId: job.courseId, jobId: job.id };
}

async function assertCourseIntact(h: TestApp, b: TenantWithKey, courseId: string, t: Ctx['t']) {
  const res = await h.app.inject({
    url: `/api/v1/courses/${courseId}`,
    headers: { authorization: b.authorization },
  });
  t.is(res.statusCode, 200);
  t.is(res.json().latestVersion, 1, "B's course has only B's version");
}

const COURSE_CASES: Record<string, Case> = {
  'POST /api/v1/courses': async ({ h, a, b, t }) => {
    const { courseId } = await seedCourse(h, b);
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/courses',
      headers: { authorization: a.authorization, 'content-type': 'application/zip' },
      payload: await scorm12Package(['A only']),
    });
    t.is(res.statusCode, 202);
    const mine = await h.app.inject({
      url: `/api/v1/courses/${res.json().job.courseId}/imports/${res.json().job.id}`,
      headers: { authorization: b.authorization },
    });
    t.is(mine.statusCode, 404, "A's import is not visible to B");
    await assertCourseIntact(h, b, courseId, t);
  },
  'POST /api/v1/courses/:id/versions': async ({ h, a, b, t }) => {
    const { courseId } = await seedCourse(h, b);
    const res = await h.app.inject({
      method: 'POST',
      url: `/api/v1/courses/${courseId}/versions`,
      headers: { authorization: a.authorization, 'content-type': 'application/zip' },
      payload: await scorm12Package(['Hijack']),
    });
    t.is(res.statusCode, 404);
    await assertCourseIntact(h, b, courseId, t);
  },
  'GET /api/v1/courses': async ({ h, a, b, t }) => {
    const { courseId } = await seedCourse(h, b);
    const res = await h.app.inject({ url: '/api/v1/courses', headers: { authorization: a.authorization } });
    t.false(res.body.includes(courseId));
  },
  'GET /api/v1/courses/:id': async ({ h, a, b, t }) => {
    const { courseId } = await seedCourse(h, b);
    const res = await h.app.inject({
      url: `/api/v1/courses/${courseId}`,
      headers: { authorization: a.authorization },
    });
    t.is(res.statusCode, 404);
  },
  'GET /api/v1/courses/:id/imports/:job': async ({ h, a, b, t }) => {
    const { courseId, jobId } = await seedCourse(h, b);
    const res = await h.app.inject({
      url: `/api/v1/courses/${courseId}/imports/${jobId}`,
      headers: { authorization: a.authorization },
    });
    t.is(res.statusCode, 404);
  },
};

const CASES: Record<string, Case> = {
  ...COURSE_CASES,
  // The SCORM runtime's registrations, reports, launch data and commits (runtime/test/isolation-cases.ts).
  ...RUNTIME_CASES,
  'GET /xapi/*': XAPI_READS,
  'PUT /xapi/*': XAPI_WRITES,
  'POST /xapi/*': XAPI_WRITES,
  'DELETE /xapi/*': XAPI_DELETES,
  // CORS preflight answers with headers only; it runs no handler and reads no data.
  'OPTIONS *': PUBLIC_NO_TENANT_DATA,
  'GET /healthz': PUBLIC_NO_TENANT_DATA,
  'GET /readyz': PUBLIC_NO_TENANT_DATA,
  'GET /metrics': PUBLIC_NO_TENANT_DATA,
  'GET /admin/v1/tenants': ADMIN_REFUSES_TENANT_KEYS,
  'POST /admin/v1/tenants': ADMIN_REFUSES_TENANT_KEYS,
  'DELETE /admin/v1/tenants/:name': ADMIN_REFUSES_TENANT_KEYS,
  'GET /admin/v1/tenants/:name/keys': ADMIN_REFUSES_TENANT_KEYS,
  'POST /admin/v1/tenants/:name/keys': ADMIN_REFUSES_TENANT_KEYS,
  'DELETE /admin/v1/tenants/:name/keys/:keyId': ADMIN_REFUSES_TENANT_KEYS,
  'POST /admin/v1/tenants/:name/courses': ADMIN_REFUSES_TENANT_KEYS,
  'GET /admin/v1/tenants/:name/imports/:job': ADMIN_REFUSES_TENANT_KEYS,

  'GET /api/v1/tenant': async ({ h, a, t }) => {
    const res = await h.app.inject({ url: '/api/v1/tenant', headers: { authorization: a.authorization } });
    t.is(res.json().tenant, a.tenant);
  },
  'GET /api/v1/keys': async ({ h, a, b, t }) => {
    const res = await h.app.inject({ url: '/api/v1/keys', headers: { authorization: a.authorization } });
    t.is(res.statusCode, 200);
    const keys = res.json() as { keyId: string; tenant: string }[];
    t.true(keys.length > 0);
    t.true(keys.every((k) => k.tenant === a.tenant));
    t.false(keys.some((k) => k.keyId === b.keyId));
  },
  'POST /api/v1/keys': async ({ h, a, b, t }) => {
    const before = await h.app.inject({ url: '/api/v1/keys', headers: { authorization: b.authorization } });
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/keys',
      headers: { authorization: a.authorization },
      payload: { label: `for ${b.tenant}?` },
    });
    t.is(res.statusCode, 201);
    t.is(res.json().tenant, a.tenant, 'a new key always belongs to the caller');
    const after = await h.app.inject({ url: '/api/v1/keys', headers: { authorization: b.authorization } });
    t.deepEqual(after.json(), before.json(), "B's keys are unchanged");
  },
  'DELETE /api/v1/keys/:keyId': async ({ h, a, b, t }) => {
    const res = await h.app.inject({
      method: 'DELETE',
      url: `/api/v1/keys/${b.keyId}`,
      headers: { authorization: a.authorization },
    });
    t.is(res.statusCode, 404);
    t.is(res.json().error.code, 'KEY_NOT_FOUND');
    const stillWorks = await h.app.inject({
      url: '/api/v1/tenant',
      headers: { authorization: b.authorization },
    });
    t.is(stillWorks.statusCode, 200);
    t.is(stillWorks.json().tenant, b.tenant);
  },
};

forEachDatabase(
  test,
  ({ name, db, ready }) => {
    let h: TestApp;
    let a: TenantWithKey;
    let b: TenantWithKey;
    test.before(async () => {
      h = await startTestApp(await ready());
      a = await tenantWithKey(db(), 'tenant_a');
      b = await tenantWithKey(db(), 'tenant_b');
    });
    test.after.always(async () => {
      await h?.close();
    });

    test.serial(`${name}: every route has an isolation case`, (t) => {
      const served = [...new Set(h.routes.map((r) => `${r.method} ${r.url}`))].sort();
      const missing = served.filter((r) => !(r in CASES));
      t.deepEqual(missing, [], 'add a case to CASES for each new route');
      t.true(served.length >= Object.keys(CASES).length);
    });

    for (const [route, run] of Object.entries(CASES)) {
      test.serial(`${name}: ${route} does not let tenant A reach tenant B`, async (t) => {
        await run({ h, a, b, t });
      });
    }
  },
  { migrate: migrateControl },
);
