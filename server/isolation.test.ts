import test from 'ava';
import { migrateControl } from '../db/migrate.ts';
import { startTestApp, type TenantWithKey, type TestApp, tenantWithKey } from '../test/app-harness.ts';
import { forEachDatabase } from '../test/databases.ts';

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
  ] as const;
  for (const x of attempts) {
    const res = await h.app.inject({ ...x, headers: { authorization: a.authorization } });
    t.is(res.statusCode, 401, `${x.method} ${x.url}`);
  }
};

const CASES: Record<string, Case> = {
  'GET /healthz': PUBLIC_NO_TENANT_DATA,
  'GET /readyz': PUBLIC_NO_TENANT_DATA,
  'GET /metrics': PUBLIC_NO_TENANT_DATA,
  'GET /admin/v1/tenants': ADMIN_REFUSES_TENANT_KEYS,
  'POST /admin/v1/tenants': ADMIN_REFUSES_TENANT_KEYS,
  'DELETE /admin/v1/tenants/:name': ADMIN_REFUSES_TENANT_KEYS,
  'GET /admin/v1/tenants/:name/keys': ADMIN_REFUSES_TENANT_KEYS,
  'POST /admin/v1/tenants/:name/keys': ADMIN_REFUSES_TENANT_KEYS,
  'DELETE /admin/v1/tenants/:name/keys/:keyId': ADMIN_REFUSES_TENANT_KEYS,

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
