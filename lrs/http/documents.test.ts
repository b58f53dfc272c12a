import { createHash, randomUUID } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { migrateControl } from '../../db/migrate.ts';
import { withTenant } from '../../db/with-tenant.ts';
import { startTestApp, type TenantWithKey, type TestApp, tenantWithKey } from '../../test/app-harness.ts';
import { forEachDatabase } from '../../test/databases.ts';
import { parseEntityTags, parseTimestamp } from '../input/document-params.ts';
import type { XapiVersion } from '../input/version.ts';

/*
 * The Document Resources, /activities and /agents through the real fastify app: real headers
 * (X-Experience-API-Version, Basic auth from a real key), real databases, both xAPI versions.
 */

const VERSIONS: XapiVersion[] = ['1.0.3', '2.0.0'];
const ACTIVITY = 'http://www.example.com/activityId/hashset';
const AGENT = {
  objectType: 'Agent',
  account: { homePage: 'http://www.example.com/agentId/1', name: 'Rick James' },
};

type Params = Record<string, string | object | undefined>;
interface CallOptions {
  body?: string | Buffer | object;
  contentType?: string;
  headers?: Record<string, string>;
  version?: XapiVersion;
  auth?: TenantWithKey;
}

const sha1 = (b: string | Buffer) => createHash('sha1').update(b).digest('hex');

function url(resource: string, params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined) q.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  const qs = q.toString();
  return `/xapi/${resource}${qs ? `?${qs}` : ''}`;
}

const stateParams = (extra: Params = {}): Params => ({
  activityId: ACTIVITY,
  agent: AGENT,
  stateId: randomUUID(),
  ...extra,
});
const activityProfileParams = (extra: Params = {}): Params => ({
  activityId: ACTIVITY,
  profileId: randomUUID(),
  ...extra,
});
const agentProfileParams = (extra: Params = {}): Params => ({
  agent: AGENT,
  profileId: randomUUID(),
  ...extra,
});

const RESOURCES = [
  { resource: 'activities/state', params: stateParams, id: 'stateId' },
  { resource: 'activities/profile', params: activityProfileParams, id: 'profileId' },
  { resource: 'agents/profile', params: agentProfileParams, id: 'profileId' },
] as const;

function expectError(
  t: ExecutionContext,
  res: { statusCode: number; body: string },
  status: number,
  param?: string,
) {
  t.is(res.statusCode, status, res.body);
  const body = JSON.parse(res.body) as { error: { message: string; details?: { param?: string } } };
  t.true(body.error.message.length > 0);
  if (param !== undefined) t.is(body.error.details?.param, param, body.error.message);
}

test('input: timestamps are validated and kept at full precision', (t) => {
  t.is(parseTimestamp('2026-01-31T12:00:00.123456Z'), '2026-01-31T12:00:00.123456+00:00');
  t.is(parseTimestamp('2026-01-31T12:00:00+0530'), '2026-01-31T12:00:00+05:30');
  t.is(parseTimestamp('2026-01-31T12:00'), '2026-01-31T12:00:00+00:00');
  t.is(parseTimestamp('2026-01-31 12:00'), '2026-01-31T12:00:00+00:00');
  t.is(
    parseTimestamp('2026-01-31T12:00:00.5 01:00'),
    '2026-01-31T12:00:00.5+01:00',
    'an unencoded + read as a space',
  );
  for (const bad of [
    'true',
    'not a timestamp',
    '2026-02-30T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01',
  ]) {
    t.throws(() => parseTimestamp(bad), undefined, bad);
  }
});

test('input: entity tag lists parse quoted, weak and unquoted tags', (t) => {
  t.is(parseEntityTags('*', 'If-Match'), '*');
  t.is(parseEntityTags('  ', 'If-Match'), undefined);
  t.deepEqual(parseEntityTags('"ABC", W/"def" ,0123', 'If-Match'), [
    { tag: 'abc', weak: false },
    { tag: 'def', weak: true },
    { tag: '0123', weak: false },
  ]);
  t.throws(() => parseEntityTags('"a" "b"', 'If-Match'));
});

forEachDatabase(
  test,
  ({ name, db, ready }) => {
    let h: TestApp;
    let a: TenantWithKey;
    let b: TenantWithKey;
    test.before(async () => {
      h = await startTestApp(await ready());
      a = await tenantWithKey(db(), 'doc_http_a');
      b = await tenantWithKey(db(), 'doc_http_b');
    });
    test.after.always(async () => {
      await h?.close();
    });

    const call = (method: string, resource: string, params: Params, o: CallOptions = {}) => {
      const headers: Record<string, string> = {
        authorization: (o.auth ?? a).authorization,
        'x-experience-api-version': o.version ?? '2.0.0',
        ...o.headers,
      };
      let payload: string | Buffer | undefined;
      if (o.body !== undefined) {
        payload = typeof o.body === 'string' || Buffer.isBuffer(o.body) ? o.body : JSON.stringify(o.body);
        headers['content-type'] = o.contentType ?? 'application/json';
      }
      return h.app.inject({
        method: method as 'GET',
        url: url(resource, params),
        headers,
        ...(payload !== undefined ? { payload } : {}),
      });
    };

    for (const v of VERSIONS) {
      test.serial(`${name} ${v}: State PUT, GET and HEAD round-trip the exact document`, async (t) => {
        const p = stateParams();
        const doc = { name: randomUUID(), location: { name: 'here' } };
        const put = await call('PUT', 'activities/state', p, { body: doc, version: v });
        t.is(put.statusCode, 204, put.body);
        t.is(put.body, '');
        t.is(put.headers['x-experience-api-version'], v);

        const get = await call('GET', 'activities/state', p, { version: v });
        t.is(get.statusCode, 200);
        t.deepEqual(get.json(), doc);
        t.is(get.headers['content-type'], 'application/json');
        // xAPI 1.0.3 §3.1: SHA-1 hex of the contents, in quotes.
        t.is(get.headers.etag, `"${sha1(JSON.stringify(doc))}"`);
        const modified = Date.parse(String(get.headers['last-modified']));
        t.false(Number.isNaN(modified));
        t.true(Math.abs(modified - Date.now()) < 60_000);

        const head = await call('HEAD', 'activities/state', p, { version: v });
        t.is(head.statusCode, 200);
        t.is(head.body, '');
        t.is(head.headers.etag, get.headers.etag);
        t.is(head.headers['content-length'], String(Buffer.byteLength(JSON.stringify(doc))));

        const bin = Buffer.from([0, 1, 2, 255, 254]);
        const p2 = stateParams();
        t.is(
          (
            await call('PUT', 'activities/state', p2, {
              body: bin,
              contentType: 'Application/Octet-Stream',
              version: v,
            })
          ).statusCode,
          204,
        );
        const got = await call('GET', 'activities/state', p2, { version: v });
        t.true(got.rawPayload.equals(bin));
        t.is(got.headers['content-type'], 'application/octet-stream');
        t.is(got.headers.etag, `"${sha1(bin)}"`);
      });

      test.serial(`${name} ${v}: POST merges JSON objects and refuses every other combination`, async (t) => {
        for (const { resource, params } of RESOURCES) {
          const p = params();
          t.is(
            (await call('POST', resource, p, { body: { car: 'Honda', keep: 1 }, version: v })).statusCode,
            204,
          );
          t.is(
            (await call('POST', resource, p, { body: { type: 'Civic', keep: 2 }, version: v })).statusCode,
            204,
          );
          t.deepEqual((await call('GET', resource, p, { version: v })).json(), {
            car: 'Honda',
            keep: 2,
            type: 'Civic',
          });
          const etag = (await call('GET', resource, p, { version: v })).headers.etag;

          expectError(
            t,
            await call('POST', resource, p, { body: 'abcdefg', contentType: 'not/json', version: v }),
            400,
          );
          expectError(
            t,
            await call('POST', resource, p, {
              body: '{"a":1}{',
              contentType: 'application/json',
              version: v,
            }),
            400,
          );
          expectError(t, await call('POST', resource, p, { body: [1, 2], version: v }), 400);
          const after = await call('GET', resource, p, { version: v });
          t.deepEqual(after.json(), { car: 'Honda', keep: 2, type: 'Civic' }, resource);
          t.is(after.headers.etag, etag);

          const opaque = params();
          const raw = '/ asdf / undefined';
          const created = await call('PUT', resource, opaque, {
            body: raw,
            contentType: 'application/octet-stream',
            headers: { 'if-none-match': '*' },
            version: v,
          });
          t.is(created.statusCode, 204);
          expectError(t, await call('POST', resource, opaque, { body: { a: 1 }, version: v }), 400);
          const still = await call('GET', resource, opaque, { version: v });
          t.is(still.body, raw);
          t.is(still.headers['content-type'], 'application/octet-stream');
        }
      });

      test.serial(
        `${name} ${v}: multiple GET lists ids with since, registration and Last-Modified`,
        async (t) => {
          const activityId = `${ACTIVITY}/${randomUUID()}`;
          const registration = randomUUID();
          const s1 = stateParams({ activityId });
          const s2 = stateParams({ activityId, registration });
          t.is((await call('POST', 'activities/state', s1, { body: { n: 1 }, version: v })).statusCode, 204);
          t.is((await call('POST', 'activities/state', s2, { body: { n: 2 }, version: v })).statusCode, 204);
          const ctx = { activityId, agent: AGENT };

          const all = await call('GET', 'activities/state', ctx, { version: v });
          t.is(all.statusCode, 200);
          t.deepEqual((all.json() as string[]).sort(), [s1.stateId, s2.stateId].sort());
          t.regex(String(all.headers.etag), /^"[0-9a-f]{40}"$/);
          t.false(Number.isNaN(Date.parse(String(all.headers['last-modified']))));

          const reg = await call(
            'GET',
            'activities/state',
            { ...ctx, registration: registration.toUpperCase() },
            { version: v },
          );
          t.deepEqual(reg.json(), [s2.stateId]);
          const since = new Date(Date.now() - 60_000).toISOString();
          t.deepEqual(
            (await call('GET', 'activities/state', { ...ctx, since }, { version: v })).json().length,
            2,
          );
          const later = new Date(Date.now() + 60_000).toISOString();
          const none = await call('GET', 'activities/state', { ...ctx, since: later }, { version: v });
          t.deepEqual(none.json(), []);
          t.is(none.headers['last-modified'], undefined);
          expectError(
            t,
            await call('GET', 'activities/state', { ...ctx, since: 'not a timestamp' }, { version: v }),
            400,
            'since',
          );

          for (const { resource, params, id } of RESOURCES.slice(1)) {
            const p = params(resource === 'activities/profile' ? { activityId } : {});
            t.is((await call('POST', resource, p, { body: { x: 1 }, version: v })).statusCode, 204);
            const { [id]: docId, ...rest } = p;
            const ids = (await call('GET', resource, { ...rest, since }, { version: v })).json() as string[];
            t.true(ids.includes(docId as string), resource);
            expectError(
              t,
              await call('GET', resource, { ...rest, since: 'true' }, { version: v }),
              400,
              'since',
            );
          }

          const del = await call('DELETE', 'activities/state', ctx, { version: v });
          t.is(del.statusCode, 204);
          t.deepEqual((await call('GET', 'activities/state', ctx, { version: v })).json(), []);
        },
      );

      test.serial(`${name} ${v}: missing single documents are 404; deleting them is 204`, async (t) => {
        for (const { resource, params } of RESOURCES) {
          const p = params();
          expectError(t, await call('GET', resource, p, { version: v }), 404);
          t.is((await call('DELETE', resource, p, { version: v })).statusCode, 204);
          t.is((await call('POST', resource, p, { body: { a: 1 }, version: v })).statusCode, 204);
          t.is((await call('DELETE', resource, p, { version: v })).statusCode, 204);
          expectError(t, await call('GET', resource, p, { version: v }), 404);
        }
      });

      test.serial(`${name} ${v}: parameters are validated and named in the error`, async (t) => {
        const doc = { a: 1 };
        const pre = { 'if-none-match': '*' };
        for (const { resource, params, id } of RESOURCES) {
          for (const param of Object.keys(params())) {
            for (const method of ['PUT', 'POST', 'GET', 'DELETE']) {
              if (
                param === id &&
                (method === 'GET' || (method === 'DELETE' && resource === 'activities/state'))
              )
                continue;
              const p = params();
              delete p[param];
              const body = method === 'PUT' || method === 'POST' ? doc : undefined;
              expectError(
                t,
                await call(method, resource, p, { ...(body ? { body } : {}), headers: pre, version: v }),
                400,
                param,
              );
            }
          }
          const withUnknown = await call('PUT', resource, params({ bogus: '1' }), {
            body: doc,
            headers: pre,
            version: v,
          });
          expectError(t, withUnknown, 400, 'bogus');
          const wrongCase = params();
          const idValue = wrongCase[id];
          delete wrongCase[id];
          wrongCase[id.toLowerCase()] = idValue;
          expectError(
            t,
            await call('PUT', resource, wrongCase, { body: doc, headers: pre, version: v }),
            400,
            id.toLowerCase(),
          );
          expectError(
            t,
            await call('PUT', resource, params({ [id]: '' }), { body: doc, headers: pre, version: v }),
            400,
            id,
          );
          expectError(
            t,
            await call('PUT', resource, params(), { body: '{nope', headers: pre, version: v }),
            400,
          );
        }

        const badAgents: unknown[] = [
          'not JSON',
          'true',
          JSON.stringify({ objectType: 'Agent', name: 'no ifi' }),
          JSON.stringify({ mbox: 'mailto:a@example.com', openid: 'http://example.com/a' }),
          JSON.stringify({ mbox: 'a@example.com' }),
          JSON.stringify({ mbox_sha1sum: 'xyz' }),
          JSON.stringify({ account: { homePage: 'http://example.com' } }),
          JSON.stringify({ objectType: 'Person', mbox: 'mailto:a@example.com' }),
          JSON.stringify({ mbox: 'mailto:a@example.com', extra: true }),
        ];
        for (const agent of badAgents) {
          for (const resource of ['activities/state', 'agents/profile']) {
            const p =
              resource === 'activities/state'
                ? stateParams({ agent: agent as string })
                : agentProfileParams({ agent: agent as string });
            expectError(t, await call('GET', resource, p, { version: v }), 400, 'agent');
            expectError(t, await call('POST', resource, p, { body: doc, version: v }), 400, 'agent');
          }
        }
        // The ADL suite's XAPI-00235: an agent whose percent-encoding was broken on purpose.
        const broken = encodeURIComponent(JSON.stringify(AGENT)).replace('%3A', '%22');
        const res = await h.app.inject({
          method: 'POST',
          url: `/xapi/activities/state?activityId=${encodeURIComponent(ACTIVITY)}&stateId=x&agent=${broken}`,
          headers: {
            authorization: a.authorization,
            'x-experience-api-version': v,
            'content-type': 'application/json',
          },
          payload: '{}',
        });
        expectError(t, res, 400, 'agent');

        expectError(
          t,
          await call('PUT', 'activities/state', stateParams({ registration: 'true' }), {
            body: doc,
            version: v,
          }),
          400,
          'registration',
        );
        expectError(
          t,
          await call('GET', 'activities/state', stateParams({ registration: '1234' }), { version: v }),
          400,
          'registration',
        );
        expectError(
          t,
          await call('PUT', 'activities/state', stateParams({ activityId: 'not an iri' }), {
            body: doc,
            version: v,
          }),
          400,
          'activityId',
        );
        expectError(
          t,
          await call('GET', 'activities/profile', activityProfileParams({ activityId: 'hashset' }), {
            version: v,
          }),
          400,
          'activityId',
        );
        // `since` is a GET parameter only (XAPI-00205), and registration belongs to State only.
        const { stateId: _s, ...ctx } = stateParams();
        expectError(
          t,
          await call(
            'DELETE',
            'activities/state',
            { ...ctx, since: new Date().toISOString() },
            { version: v },
          ),
          400,
          'since',
        );
        expectError(
          t,
          await call('GET', 'activities/profile', activityProfileParams({ registration: randomUUID() }), {
            version: v,
          }),
          400,
          'registration',
        );
        expectError(
          t,
          await call('DELETE', 'agents/profile', { agent: AGENT }, { version: v }),
          400,
          'profileId',
        );
      });

      test.serial(`${name} ${v}: If-Match / If-None-Match on PUT, POST and DELETE; 304 on GET`, async (t) => {
        for (const { resource, params } of RESOURCES) {
          const p = params();
          const original = { name: 'original' };
          t.is((await call('POST', resource, p, { body: original, version: v })).statusCode, 204);
          const etag = String((await call('GET', resource, p, { version: v })).headers.etag);
          t.regex(etag, /^"[0-9a-f]{40}"$/);

          for (const method of ['PUT', 'POST']) {
            expectError(
              t,
              await call(method, resource, p, {
                body: { name: 'x' },
                headers: { 'if-match': '"1234"' },
                version: v,
              }),
              412,
            );
            expectError(
              t,
              await call(method, resource, p, {
                body: { name: 'x' },
                headers: { 'if-none-match': '*' },
                version: v,
              }),
              412,
            );
            expectError(
              t,
              await call(method, resource, p, {
                body: { name: 'x' },
                headers: { 'if-none-match': etag },
                version: v,
              }),
              412,
            );
          }
          expectError(
            t,
            await call('DELETE', resource, p, { headers: { 'if-match': '"1234"' }, version: v }),
            412,
          );
          t.deepEqual(
            (await call('GET', resource, p, { version: v })).json(),
            original,
            `${resource} untouched`,
          );

          const notModified = await call('GET', resource, p, {
            headers: { 'if-none-match': etag },
            version: v,
          });
          t.is(notModified.statusCode, 304);
          t.is(notModified.headers.etag, etag);
          t.is(notModified.body, '');

          // Accepted with and without quotes, in any case.
          const bare = etag.slice(1, -1);
          t.is(
            (
              await call('PUT', resource, p, {
                body: { name: 'second' },
                headers: { 'if-match': bare.toUpperCase() },
                version: v,
              })
            ).statusCode,
            204,
          );
          const etag2 = String((await call('GET', resource, p, { version: v })).headers.etag);
          t.not(etag2, etag);
          expectError(
            t,
            await call('PUT', resource, p, {
              body: { name: 'x' },
              headers: { 'if-match': etag },
              version: v,
            }),
            412,
          );
          t.is(
            (
              await call('POST', resource, p, {
                body: { more: true },
                headers: { 'if-match': etag2 },
                version: v,
              })
            ).statusCode,
            204,
          );
          t.deepEqual((await call('GET', resource, p, { version: v })).json(), {
            name: 'second',
            more: true,
          });
          const etag3 = String((await call('GET', resource, p, { version: v })).headers.etag);
          expectError(
            t,
            await call('DELETE', resource, p, { headers: { 'if-match': etag2 }, version: v }),
            412,
          );
          t.is(
            (await call('DELETE', resource, p, { headers: { 'if-match': etag3 }, version: v })).statusCode,
            204,
          );
          expectError(t, await call('GET', resource, p, { version: v }), 404);
          expectError(
            t,
            await call('DELETE', resource, p, { headers: { 'if-match': '*' }, version: v }),
            412,
          );
          expectError(
            t,
            await call('PUT', resource, p, { body: {}, headers: { 'if-match': '*' }, version: v }),
            412,
          );
          t.is(
            (
              await call('PUT', resource, p, {
                body: { again: 1 },
                headers: { 'if-none-match': '*' },
                version: v,
              })
            ).statusCode,
            204,
          );
        }
        const { stateId: _s, ...ctx } = stateParams();
        expectError(
          t,
          await call('DELETE', 'activities/state', ctx, { headers: { 'if-match': '*' }, version: v }),
          400,
        );
      });
    }

    test.serial(
      `${name} 2.0.0: a PUT without precondition headers is 409 on an existing document of any resource`,
      async (t) => {
        for (const { resource, params } of RESOURCES) {
          const p = params();
          t.is(
            (await call('PUT', resource, p, { body: { v: 1 } })).statusCode,
            204,
            `${resource}: a new document needs no header`,
          );
          const conflict = await call('PUT', resource, p, { body: { v: 2 } });
          expectError(t, conflict, 409);
          t.regex(conflict.json().error.message, /If-Match/);
          t.deepEqual((await call('GET', resource, p)).json(), { v: 1 });
          t.is((await call('POST', resource, p, { body: { w: 2 } })).statusCode, 204, 'POST needs no header');
          t.is((await call('DELETE', resource, p)).statusCode, 204, 'DELETE needs no header');
        }
      },
    );

    test.serial(`${name} 1.0.3: profile PUTs need a precondition header, State PUTs don't`, async (t) => {
      const v = '1.0.3';
      for (const { resource, params } of RESOURCES.slice(1)) {
        const p = params();
        expectError(t, await call('PUT', resource, p, { body: { v: 1 }, version: v }), 400);
        expectError(t, await call('GET', resource, p, { version: v }), 404);
        t.is(
          (await call('PUT', resource, p, { body: { v: 1 }, headers: { 'if-none-match': '*' }, version: v }))
            .statusCode,
          204,
        );
        expectError(t, await call('PUT', resource, p, { body: { v: 2 }, version: v }), 409);
        t.deepEqual((await call('GET', resource, p, { version: v })).json(), { v: 1 });
      }
      const s = stateParams();
      t.is((await call('PUT', 'activities/state', s, { body: { v: 1 }, version: v })).statusCode, 204);
      t.is((await call('PUT', 'activities/state', s, { body: { v: 2 }, version: v })).statusCode, 204);
      t.deepEqual((await call('GET', 'activities/state', s, { version: v })).json(), { v: 2 });
    });

    test.serial(
      `${name}: an identified Group is an agent in 2.0 State and Agent Profile, not in 1.0.3`,
      async (t) => {
        const group = { objectType: 'Group', name: 'Team', mbox: 'mailto:team@example.com' };
        const p = agentProfileParams({ agent: group });
        t.is((await call('POST', 'agents/profile', p, { body: { g: 1 } })).statusCode, 204);
        t.deepEqual((await call('GET', 'agents/profile', p)).json(), { g: 1 });
        expectError(t, await call('GET', 'agents/profile', p, { version: '1.0.3' }), 400, 'agent');
        expectError(
          t,
          await call('GET', 'activities/state', stateParams({ agent: group }), { version: '1.0.3' }),
          400,
          'agent',
        );
        t.is(
          (await call('PUT', 'activities/state', stateParams({ agent: group }), { body: { g: 1 } }))
            .statusCode,
          204,
        );
      },
    );

    test.serial(`${name}: the 1.0.3 alternate request syntax reaches the State resource`, async (t) => {
      const stateId = randomUUID();
      const form = new URLSearchParams({
        activityId: ACTIVITY,
        agent: JSON.stringify(AGENT),
        stateId,
        'Content-Type': 'application/json',
        Authorization: a.authorization,
        'X-Experience-API-Version': '1.0.3',
        content: JSON.stringify({ via: 'form' }),
      });
      const res = await h.app.inject({
        method: 'POST',
        url: '/xapi/activities/state?method=PUT',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: form.toString(),
      });
      t.is(res.statusCode, 204, res.body);
      const get = await call(
        'GET',
        'activities/state',
        { activityId: ACTIVITY, agent: AGENT, stateId },
        { version: '1.0.3' },
      );
      t.deepEqual(get.json(), { via: 'form' });
    });

    for (const v of VERSIONS) {
      test.serial(`${name} ${v}: /activities returns the canonical Activity or a bare one`, async (t) => {
        const known = `http://www.example.com/verify/complete/${randomUUID()}`;
        const definition = {
          type: 'http://adlnet.gov/expapi/activities/meeting',
          name: { 'en-US': 'example meeting', 'fr-FR': 'réunion' },
        };
        await withTenant(db(), a.tenant, (tx) =>
          tx.query('INSERT INTO activities (iri, definition) VALUES ($1, $2)', [
            known,
            JSON.stringify(definition),
          ]),
        );
        const res = await call('GET', 'activities', { activityId: known }, { version: v });
        t.is(res.statusCode, 200);
        t.deepEqual(res.json(), { objectType: 'Activity', id: known, definition });
        t.regex(String(res.headers.etag), /^"[0-9a-f]{40}"$/);

        const unknown = `http://www.example.com/never-before-seen-activityId/${randomUUID()}`;
        t.deepEqual((await call('GET', 'activities', { activityId: unknown }, { version: v })).json(), {
          objectType: 'Activity',
          id: unknown,
        });
        // Another tenant's definition is not this tenant's.
        t.deepEqual(
          (await call('GET', 'activities', { activityId: known }, { version: v, auth: b })).json(),
          {
            objectType: 'Activity',
            id: known,
          },
        );
        const head = await call('HEAD', 'activities', { activityId: known }, { version: v });
        t.is(head.statusCode, 200);
        t.is(head.body, '');
        expectError(t, await call('GET', 'activities', {}, { version: v }), 400, 'activityId');
        expectError(
          t,
          await call('GET', 'activities', { activityId: 'true' }, { version: v }),
          400,
          'activityId',
        );
        expectError(
          t,
          await call('GET', 'activities', { activityId: known, agent: AGENT }, { version: v }),
          400,
          'agent',
        );
        expectError(t, await call('PUT', 'activities', { activityId: known }, { body: {}, version: v }), 405);
      });

      test.serial(`${name} ${v}: /agents returns a Person for known and unknown Agents`, async (t) => {
        const mbox = `mailto:${randomUUID()}@example.com`;
        await withTenant(db(), a.tenant, (tx) =>
          tx.query('INSERT INTO agents (agent_key, names, ifi) VALUES ($1, $2, $3)', [
            `mbox:${mbox}`,
            ['xAPI mbox', 'Other name'],
            JSON.stringify({ mbox }),
          ]),
        );
        const known = await call(
          'GET',
          'agents',
          { agent: { objectType: 'Agent', name: 'xAPI mbox', mbox } },
          { version: v },
        );
        t.is(known.statusCode, 200);
        t.deepEqual(known.json(), { objectType: 'Person', name: ['xAPI mbox', 'Other name'], mbox: [mbox] });

        const unknown = await call('GET', 'agents', { agent: AGENT }, { version: v });
        t.deepEqual(unknown.json(), { objectType: 'Person', account: [AGENT.account] });
        const other = await call('GET', 'agents', { agent: { mbox } }, { version: v, auth: b });
        t.deepEqual(other.json(), { objectType: 'Person', mbox: [mbox] }, "B doesn't see A's names");

        expectError(t, await call('GET', 'agents', {}, { version: v }), 400, 'agent');
        expectError(
          t,
          await call('GET', 'agents', { agent: { objectType: 'Agent', name: 'Rick James' } }, { version: v }),
          400,
          'agent',
        );
        expectError(
          t,
          await call('GET', 'agents', { agent: { objectType: 'Group', mbox } }, { version: v }),
          400,
          'agent',
        );
        expectError(
          t,
          await call('GET', 'agents', { agent: AGENT, profileId: 'x' }, { version: v }),
          400,
          'profileId',
        );
        const head = await call('HEAD', 'agents', { agent: AGENT }, { version: v });
        t.is(head.statusCode, 200);
        t.is(head.body, '');
      });
    }

    test.serial(
      `${name}: scopes: state, profile, all/read and define each reach only their resources`,
      async (t) => {
        const stateKey = await tenantWithKey(db(), a.tenant, ['state']);
        const profileKey = await tenantWithKey(db(), a.tenant, ['profile']);
        const readKey = await tenantWithKey(db(), a.tenant, ['all/read']);
        const defineKey = await tenantWithKey(db(), a.tenant, ['define']);
        const writeKey = await tenantWithKey(db(), a.tenant, ['statements/write']);
        const s = stateParams();
        const p = activityProfileParams();
        t.is((await call('PUT', 'activities/state', s, { body: { a: 1 }, auth: stateKey })).statusCode, 204);
        expectError(t, await call('PUT', 'activities/profile', p, { body: { a: 1 }, auth: stateKey }), 403);
        t.is(
          (await call('PUT', 'activities/profile', p, { body: { a: 1 }, auth: profileKey })).statusCode,
          204,
        );
        expectError(t, await call('GET', 'activities/state', s, { auth: profileKey }), 403);
        t.is((await call('GET', 'activities/state', s, { auth: readKey })).statusCode, 200);
        t.is((await call('GET', 'activities/profile', p, { auth: readKey })).statusCode, 200);
        expectError(t, await call('DELETE', 'activities/state', s, { auth: readKey }), 403);
        expectError(t, await call('POST', 'activities/profile', p, { body: {}, auth: readKey }), 403);
        t.is(
          (await call('GET', 'activities', { activityId: ACTIVITY }, { auth: defineKey })).statusCode,
          200,
        );
        t.is((await call('GET', 'agents', { agent: AGENT }, { auth: stateKey })).statusCode, 200);
        expectError(t, await call('GET', 'agents', { agent: AGENT }, { auth: writeKey }), 403);
        expectError(t, await call('GET', 'activities/state', s, { auth: defineKey }), 403);
        t.deepEqual((await call('GET', 'activities/state', s)).json(), { a: 1 });
      },
    );

    test.serial(`${name}: tenant A's key can't read, change or delete tenant B's documents`, async (t) => {
      // Fresh context, so A's store holds nothing of it from earlier tests; B and A use identical params.
      const registration = randomUUID();
      const activityId = `${ACTIVITY}/${randomUUID()}`;
      const agent = {
        objectType: 'Agent',
        account: { homePage: 'http://www.example.com', name: randomUUID() },
      };
      const docs = [
        { resource: 'activities/state', params: stateParams({ activityId, agent, registration }) },
        { resource: 'activities/state', params: stateParams({ activityId, agent }) },
        { resource: 'activities/profile', params: activityProfileParams({ activityId }) },
        { resource: 'agents/profile', params: agentProfileParams({ agent }) },
      ];
      const snapshot = async () =>
        Promise.all(
          docs.map(async ({ resource, params }) => {
            const res = await call('GET', resource, params, { auth: b });
            return {
              status: res.statusCode,
              body: res.body,
              etag: res.headers.etag,
              modified: res.headers['last-modified'],
            };
          }),
        );
      for (const { resource, params } of docs) {
        t.is(
          (
            await call('PUT', resource, params, {
              body: { owner: 'B' },
              auth: b,
              headers: { 'if-none-match': '*' },
            })
          ).statusCode,
          204,
        );
      }
      const before = await snapshot();
      t.true(before.every((s) => s.status === 200 && JSON.parse(s.body).owner === 'B'));

      for (const { resource, params } of docs) {
        // Reads: B's document doesn't exist for A.
        expectError(t, await call('GET', resource, params), 404);
        const { stateId: _s, profileId: _p, ...ctx } = params as Record<string, unknown>;
        t.deepEqual((await call('GET', resource, ctx as Params)).json(), [], `${resource} ids`);
        // Preconditions are evaluated against A's (absent) document, never B's.
        expectError(
          t,
          await call('PUT', resource, params, {
            body: { owner: 'A' },
            headers: { 'if-match': String(before[0]!.etag) },
          }),
          412,
        );
        // Writes and merges land in A's own store.
        t.is(
          (await call('PUT', resource, params, { body: { owner: 'A' }, headers: { 'if-none-match': '*' } }))
            .statusCode,
          204,
        );
        t.is((await call('POST', resource, params, { body: { merged: 'A' } })).statusCode, 204);
        t.deepEqual((await call('GET', resource, params)).json(), { owner: 'A', merged: 'A' });
        // Deletes, single and context-wide, only empty A's store.
        t.is((await call('DELETE', resource, params)).statusCode, 204);
        if (resource === 'activities/state')
          t.is((await call('DELETE', resource, ctx as Params)).statusCode, 204);
      }
      t.deepEqual(await snapshot(), before, "B's documents, ETags and Last-Modified are untouched");
      const { stateId: _s, ...bState } = docs[0]!.params as Record<string, unknown>;
      t.deepEqual((await call('GET', 'activities/state', bState as Params, { auth: b })).json(), [
        docs[0]!.params.stateId,
      ]);
    });
  },
  { migrate: migrateControl },
);
