import test from 'ava';
import { migrateControl } from '../db/migrate.ts';
import { ADMIN_TOKEN, startTestApp, type TestApp, tenantWithKey } from '../test/app-harness.ts';
import { forEachDatabase } from '../test/databases.ts';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

forEachDatabase(
  test,
  ({ name, db, ready }) => {
    let h: TestApp;
    test.before(async () => {
      h = await startTestApp(await ready(), { bodyLimit: 4096 });
    });
    test.after.always(async () => {
      await h?.close();
    });

    // Serial, so the readiness probe is not queued behind the other tests' transactions on PGlite.
    test.serial(`${name}: healthz and readyz report each part`, async (t) => {
      const health = await h.app.inject({ url: '/healthz' });
      t.is(health.statusCode, 200);
      const ready = await h.app.inject({ url: '/readyz' });
      t.is(ready.statusCode, 200);
      t.deepEqual(ready.json(), { status: 'ok', checks: { database: 'ok', storage: 'ok', queue: 'ok' } });
    });

    test(`${name}: missing, malformed, unknown and wrong credentials get 401 with a challenge`, async (t) => {
      const k = await tenantWithKey(db(), 'authhttp');
      const cases: Record<string, string | undefined> = {
        missing: undefined,
        malformed: 'Basic !!!',
        'not basic': 'Bearer abc',
        'unknown key': `Basic ${Buffer.from('ck_nope:secret').toString('base64')}`,
        'wrong secret': `Basic ${Buffer.from(`${k.keyId}:wrong`).toString('base64')}`,
        'no colon': `Basic ${Buffer.from(k.keyId).toString('base64')}`,
      };
      for (const [label, authorization] of Object.entries(cases)) {
        const res = await h.app.inject({
          url: '/api/v1/tenant',
          headers: authorization ? { authorization } : {},
        });
        t.is(res.statusCode, 401, label);
        t.is(res.json().error.code, 'UNAUTHENTICATED', label);
        t.regex(String(res.headers['www-authenticate']), /^Basic realm="Crest"/, label);
      }
      const ok = await h.app.inject({ url: '/api/v1/tenant', headers: { authorization: k.authorization } });
      t.is(ok.statusCode, 200);
      t.deepEqual(ok.json(), { tenant: 'authhttp', keyId: k.keyId, scopes: ['all'] });
    });

    test(`${name}: a key revoked through the API stops working at once`, async (t) => {
      const k = await tenantWithKey(db(), 'revokeco');
      const other = await tenantWithKey(db(), 'revokeco');
      t.is(
        (await h.app.inject({ url: '/api/v1/tenant', headers: { authorization: other.authorization } }))
          .statusCode,
        200,
      );
      const del = await h.app.inject({
        method: 'DELETE',
        url: `/api/v1/keys/${other.keyId}`,
        headers: { authorization: k.authorization },
      });
      t.is(del.statusCode, 200);
      t.truthy(del.json().revokedAt);
      const after = await h.app.inject({
        url: '/api/v1/tenant',
        headers: { authorization: other.authorization },
      });
      t.is(after.statusCode, 401);
    });

    test(`${name}: a key without the needed scope gets 403 naming the scope`, async (t) => {
      const k = await tenantWithKey(db(), 'scopeco', ['state']);
      const res = await h.app.inject({ url: '/api/v1/keys', headers: { authorization: k.authorization } });
      t.is(res.statusCode, 403);
      t.is(res.json().error.code, 'FORBIDDEN');
      t.regex(res.json().error.message, /"all" scope/);
      const read = await tenantWithKey(db(), 'scopeco', ['all/read']);
      t.is(
        (await h.app.inject({ url: '/api/v1/tenant', headers: { authorization: read.authorization } }))
          .statusCode,
        200,
      );
    });

    test(`${name}: bad input gets a 4xx with a reason`, async (t) => {
      const k = await tenantWithKey(db(), 'badinput');
      const post = (payload: string, type = 'application/json') =>
        h.app.inject({
          method: 'POST',
          url: '/api/v1/keys',
          headers: { authorization: k.authorization, 'content-type': type },
          payload,
        });
      const tooBig = await post(JSON.stringify({ label: 'x'.repeat(5000) }));
      t.is(tooBig.statusCode, 413);
      t.is(tooBig.json().error.code, 'PAYLOAD_TOO_LARGE');
      t.regex(tooBig.json().error.message, /4096-byte limit \(CREST_BODY_LIMIT\)/);
      const broken = await post('{"label": ');
      t.is(broken.statusCode, 400);
      t.is(broken.json().error.code, 'BAD_REQUEST');
      const extra = await post(JSON.stringify({ label: 'x', admin: true }));
      t.is(extra.statusCode, 400);
      t.is(extra.json().error.code, 'VALIDATION_FAILED');
      const scope = await post(JSON.stringify({ scopes: ['root'] }));
      t.is(scope.statusCode, 400);
      t.is(scope.json().error.code, 'SCOPE_INVALID');
      t.regex(scope.json().error.message, /Unknown scope "root"/);
      const poisoned = await post('{"label":"x","__proto__":{"admin":true}}');
      t.is(poisoned.statusCode, 400);
      const media = await post('label=x', 'application/x-www-form-urlencoded');
      t.is(media.statusCode, 415);
      const keys = await h.app.inject({ url: '/api/v1/keys', headers: { authorization: k.authorization } });
      t.is(keys.json().length, 1, 'no rejected request created a key');
    });

    test(`${name}: unknown routes get a JSON 404`, async (t) => {
      const res = await h.app.inject({ url: '/nope?x=1' });
      t.is(res.statusCode, 404);
      t.deepEqual(res.json(), { error: { code: 'NOT_FOUND', message: 'No route for GET /nope.' } });
    });

    test(`${name}: every response carries a request id, reusing the caller's`, async (t) => {
      const generated = await h.app.inject({ url: '/healthz' });
      t.regex(String(generated.headers['x-request-id']), /^[0-9a-f-]{36}$/);
      const given = await h.app.inject({ url: '/healthz', headers: { 'x-request-id': 'trace-123' } });
      t.is(given.headers['x-request-id'], 'trace-123');
    });

    test(`${name}: /metrics exposes request durations in Prometheus format`, async (t) => {
      await h.app.inject({ url: '/healthz' });
      const res = await h.app.inject({ url: '/metrics' });
      t.is(res.statusCode, 200);
      t.regex(String(res.headers['content-type']), /text\/plain/);
      t.regex(
        res.body,
        /crest_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+/,
      );
      t.regex(res.body, /crest_process_cpu_user_seconds_total/);
    });

    test(`${name}: the admin API needs the admin token`, async (t) => {
      const k = await tenantWithKey(db(), 'notadmin');
      for (const authorization of [undefined, 'Bearer wrong', k.authorization, `Bearer ${ADMIN_TOKEN}x`]) {
        const res = await h.app.inject({
          url: '/admin/v1/tenants',
          headers: authorization ? { authorization } : {},
        });
        t.is(res.statusCode, 401, String(authorization));
      }
    });

    test(`${name}: the admin API manages tenants and keys`, async (t) => {
      const created = await h.app.inject({
        method: 'POST',
        url: '/admin/v1/tenants',
        headers: admin,
        payload: { name: 'viaadmin' },
      });
      t.is(created.statusCode, 201);
      t.is(created.json().name, 'viaadmin');
      const dupe = await h.app.inject({
        method: 'POST',
        url: '/admin/v1/tenants',
        headers: admin,
        payload: { name: 'viaadmin' },
      });
      t.is(dupe.statusCode, 409);
      t.is(dupe.json().error.code, 'TENANT_EXISTS');
      const bad = await h.app.inject({
        method: 'POST',
        url: '/admin/v1/tenants',
        headers: admin,
        payload: { name: 'Bad Name' },
      });
      t.is(bad.statusCode, 400);
      t.is(bad.json().error.code, 'TENANT_NAME_INVALID');
      const list = await h.app.inject({ url: '/admin/v1/tenants', headers: admin });
      t.true(list.json().some((x: { name: string }) => x.name === 'viaadmin'));

      const key = await h.app.inject({
        method: 'POST',
        url: '/admin/v1/tenants/viaadmin/keys',
        headers: admin,
        payload: { scopes: ['statements/write'], label: 'lms' },
      });
      t.is(key.statusCode, 201);
      const { keyId, secret } = key.json();
      const basic = `Basic ${Buffer.from(`${keyId}:${secret}`).toString('base64')}`;
      const who = await h.app.inject({ url: '/api/v1/tenant', headers: { authorization: basic } });
      t.is(who.statusCode, 403, 'statements/write does not include all/read');
      const keys = await h.app.inject({ url: '/admin/v1/tenants/viaadmin/keys', headers: admin });
      t.deepEqual(
        keys.json().map((x: { keyId: string }) => x.keyId),
        [keyId],
      );
      const revoke = await h.app.inject({
        method: 'DELETE',
        url: `/admin/v1/tenants/viaadmin/keys/${keyId}`,
        headers: admin,
      });
      t.is(revoke.statusCode, 200);
      t.is(
        (await h.app.inject({ url: '/api/v1/tenant', headers: { authorization: basic } })).statusCode,
        401,
      );
      const noTenantKey = await h.app.inject({
        method: 'POST',
        url: '/admin/v1/tenants/ghost/keys',
        headers: admin,
        payload: {},
      });
      t.is(noTenantKey.statusCode, 404);
      t.is(noTenantKey.json().error.code, 'TENANT_NOT_FOUND');

      const del = await h.app.inject({ method: 'DELETE', url: '/admin/v1/tenants/viaadmin', headers: admin });
      t.is(del.statusCode, 204);
      const again = await h.app.inject({
        method: 'DELETE',
        url: '/admin/v1/tenants/viaadmin',
        headers: admin,
      });
      t.is(again.statusCode, 404);
    });
  },
  { migrate: migrateControl },
);
