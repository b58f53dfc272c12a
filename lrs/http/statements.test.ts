import { createHash, randomUUID } from 'node:crypto';
import test from 'ava';
import { migrateControl } from '../../db/migrate.ts';
import { startTestApp, type TestApp, tenantWithKey } from '../../test/app-harness.ts';
import { forEachDatabase } from '../../test/databases.ts';

/* The Statement resource over HTTP, as a client sees it (xAPI 2.0 Part Three §2.1). */

const V2 = { 'x-experience-api-version': '2.0.0' };
const V1 = { 'x-experience-api-version': '1.0.3' };

function statement(extra: Record<string, unknown> = {}): Record<string, unknown> & { id?: string } {
  return {
    actor: { objectType: 'Agent', mbox: 'mailto:learner@example.com', name: 'Learner' },
    verb: {
      id: 'http://adlnet.gov/expapi/verbs/completed',
      display: { 'en-US': 'completed', 'fr-FR': 'a terminé' },
    },
    object: { objectType: 'Activity', id: 'http://example.com/courses/safety' },
    ...extra,
  };
}

function multipart(boundary: string, json: unknown, parts: { type: string; body: Buffer }[]): Buffer {
  const chunks: Buffer[] = [
    Buffer.from(`--${boundary}\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(json)}\r\n`),
  ];
  for (const p of parts) {
    const sha2 = createHash('sha256').update(p.body).digest('hex');
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Type: ${p.type}\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: ${sha2}\r\n\r\n`,
      ),
      p.body,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

forEachDatabase(
  test,
  ({ name, db, ready }) => {
    let h: TestApp;
    let auth: string;
    test.before(async () => {
      h = await startTestApp(await ready(), { bodyLimit: 2 * 1024 * 1024 });
      auth = (await tenantWithKey(db(), 'lrs_http')).authorization;
    });
    test.after.always(async () => {
      await h?.close();
    });
    const headers = (extra: Record<string, string> = {}) => ({ ...V2, authorization: auth, ...extra });

    test(`${name}: POST stores and GET returns the statement with LRS-set properties`, async (t) => {
      const post = await h.app.inject({
        method: 'POST',
        url: '/xapi/statements',
        headers: headers(),
        payload: statement(),
      });
      t.is(post.statusCode, 200);
      const [id] = post.json() as string[];
      t.regex(id!, /^[0-9a-f-]{36}$/);
      t.is(post.headers['x-experience-api-version'], '2.0.0');
      const get = await h.app.inject({ url: `/xapi/statements?statementId=${id}`, headers: headers() });
      t.is(get.statusCode, 200);
      const s = get.json();
      t.is(s.id, id);
      t.regex(s.stored, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      t.is(s.timestamp, s.stored);
      t.is(s.version, '2.0.0');
      t.deepEqual(s.authority.account.homePage.endsWith('/xapi'), true);
      t.is(get.headers['last-modified'], new Date(s.stored).toUTCString());
      t.truthy(get.headers['x-experience-api-consistent-through']);
    });

    test(`${name}: PUT with statementId answers 204; the same id with other content answers 409`, async (t) => {
      const id = randomUUID();
      const put = await h.app.inject({
        method: 'PUT',
        url: `/xapi/statements?statementId=${id}`,
        headers: headers(),
        payload: statement(),
      });
      t.is(put.statusCode, 204);
      const same = await h.app.inject({
        method: 'PUT',
        url: `/xapi/statements?statementId=${id}`,
        headers: headers(),
        payload: statement(),
      });
      t.is(same.statusCode, 204);
      const other = await h.app.inject({
        method: 'PUT',
        url: `/xapi/statements?statementId=${id}`,
        headers: headers(),
        payload: statement({ verb: { id: 'http://adlnet.gov/expapi/verbs/failed' } }),
      });
      t.is(other.statusCode, 409);
      const get = await h.app.inject({ url: `/xapi/statements?statementId=${id}`, headers: headers() });
      t.is(get.json().verb.id, 'http://adlnet.gov/expapi/verbs/completed');
    });

    test(`${name}: one invalid statement rejects the whole batch with a reason naming the field`, async (t) => {
      const good = { ...statement(), id: randomUUID() };
      const bad = statement({ verb: { id: 'not an iri' } });
      const res = await h.app.inject({
        method: 'POST',
        url: '/xapi/statements',
        headers: headers(),
        payload: [good, bad],
      });
      t.is(res.statusCode, 400);
      t.is(res.json().error.code, 'VALIDATION_FAILED');
      t.regex(res.json().error.message, /statement\[1\]\.verb\.id/);
      const get = await h.app.inject({ url: `/xapi/statements?statementId=${good.id}`, headers: headers() });
      t.is(get.statusCode, 404, 'nothing of a rejected batch is stored');
    });

    test(`${name}: missing or unsupported version headers are refused; /about needs neither auth nor version`, async (t) => {
      const none = await h.app.inject({ url: '/xapi/statements', headers: { authorization: auth } });
      t.is(none.statusCode, 400);
      t.regex(none.json().error.message, /X-Experience-API-Version/);
      t.truthy(none.headers['x-experience-api-version']);
      const old = await h.app.inject({
        url: '/xapi/statements',
        headers: { authorization: auth, 'x-experience-api-version': '0.95' },
      });
      t.is(old.statusCode, 400);
      const about = await h.app.inject({ url: '/xapi/about' });
      t.is(about.statusCode, 200);
      t.deepEqual(about.json().version.slice(0, 2), ['2.0.0', '1.0.3']);
      const storyline = await h.app.inject({
        url: '/xapi/statements?limit=1',
        headers: { authorization: auth, 'x-experience-api-version': '1.0.2' },
      });
      t.is(storyline.statusCode, 200, 'Storyline sends 1.0.2');
      t.is(storyline.headers['x-experience-api-version'], '1.0.3');
    });

    test(`${name}: wrong credentials get 401 on xAPI too`, async (t) => {
      const res = await h.app.inject({
        url: '/xapi/statements',
        headers: { ...V2, authorization: `Basic ${Buffer.from('ck_x:y').toString('base64')}` },
      });
      t.is(res.statusCode, 401);
      t.regex(String(res.headers['www-authenticate']), /^Basic/);
    });

    test(`${name}: paging follows more links to the end; errors still carry Consistent-Through`, async (t) => {
      const tenant = await tenantWithKey(db(), 'paging_http');
      const hp = { ...V2, authorization: tenant.authorization };
      const batch = Array.from({ length: 5 }, () => statement());
      t.is(
        (await h.app.inject({ method: 'POST', url: '/xapi/statements', headers: hp, payload: batch }))
          .statusCode,
        200,
      );
      let url = '/xapi/statements?limit=2';
      let seen = 0;
      for (let i = 0; i < 10 && url; i++) {
        const page = await h.app.inject({ url, headers: hp });
        t.is(page.statusCode, 200);
        seen += page.json().statements.length;
        url = page.json().more;
      }
      t.is(seen, 5);
      const bad = await h.app.inject({ url: '/xapi/statements?LIMIT=1', headers: hp });
      t.is(bad.statusCode, 400);
      t.truthy(bad.headers['x-experience-api-consistent-through']);
    });

    test(`${name}: attachments round-trip through multipart/mixed, large ones via the BlobStore`, async (t) => {
      const small = Buffer.from('here is a simple attachment');
      const large = Buffer.alloc(600 * 1024, 7);
      const att = (body: Buffer, type: string) => ({
        usageType: 'http://example.com/attachment-usage/test',
        display: { 'en-US': 'A test attachment' },
        contentType: type,
        length: body.length,
        sha2: createHash('sha256').update(body).digest('hex'),
      });
      const s = statement({
        id: randomUUID(),
        attachments: [att(small, 'text/plain'), att(large, 'application/octet-stream')],
      });
      const body = multipart('crest-test-boundary', s, [
        { type: 'text/plain', body: small },
        { type: 'application/octet-stream', body: large },
      ]);
      const post = await h.app.inject({
        method: 'POST',
        url: '/xapi/statements',
        headers: headers({ 'content-type': 'multipart/mixed; boundary=crest-test-boundary' }),
        payload: body,
      });
      t.is(post.statusCode, 200, post.body);
      const get = await h.app.inject({
        url: `/xapi/statements?statementId=${s.id}&attachments=true`,
        headers: headers(),
      });
      t.is(get.statusCode, 200);
      t.regex(String(get.headers['content-type']), /^multipart\/mixed; boundary=[A-Za-z0-9-]+/);
      t.true(get.rawPayload.includes(small), 'the small attachment comes back');
      t.true(get.rawPayload.includes(large), 'the large attachment comes back from the BlobStore');
      const plain = await h.app.inject({ url: `/xapi/statements?statementId=${s.id}`, headers: headers() });
      t.regex(String(plain.headers['content-type']), /^application\/json/);
      const missing = await h.app.inject({
        method: 'POST',
        url: '/xapi/statements',
        headers: headers({ 'content-type': 'multipart/mixed; boundary=b1' }),
        payload: multipart('b1', statement({ attachments: [att(small, 'text/plain')] }), []),
      });
      t.is(missing.statusCode, 400, 'an attachment without fileUrl needs its part');
    });

    test(`${name}: the alternate request syntax works in 1.0.3 and is refused in 2.0`, async (t) => {
      const id = randomUUID();
      const form = new URLSearchParams({
        statementId: id,
        content: JSON.stringify(statement()),
        Authorization: auth,
        'X-Experience-API-Version': '1.0.3',
        'Content-Type': 'application/json',
      }).toString();
      const v1 = await h.app.inject({
        method: 'POST',
        url: '/xapi/statements?method=PUT',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: form,
      });
      t.is(v1.statusCode, 204, v1.body);
      const got = await h.app.inject({
        url: `/xapi/statements?statementId=${id}`,
        headers: { ...V1, authorization: auth },
      });
      t.is(got.statusCode, 200);
      const v2 = await h.app.inject({
        method: 'POST',
        url: '/xapi/statements?method=GET',
        headers: { ...headers(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'limit=1',
      });
      t.is(v2.statusCode, 400);
    });

    test(`${name}: statements/read/mine sees only what its own key stored`, async (t) => {
      const writer = await tenantWithKey(db(), 'mine_http', ['statements/write', 'statements/read/mine']);
      const other = await tenantWithKey(db(), 'mine_http', ['all']);
      const w = { ...V2, authorization: writer.authorization };
      const o = { ...V2, authorization: other.authorization };
      const [mine] = (
        await h.app.inject({ method: 'POST', url: '/xapi/statements', headers: w, payload: statement() })
      ).json();
      const [theirs] = (
        await h.app.inject({ method: 'POST', url: '/xapi/statements', headers: o, payload: statement() })
      ).json();
      const list = await h.app.inject({ url: '/xapi/statements', headers: w });
      const ids = list.json().statements.map((s: { id: string }) => s.id);
      t.true(ids.includes(mine));
      t.false(ids.includes(theirs));
      t.is(
        (await h.app.inject({ url: `/xapi/statements?statementId=${theirs}`, headers: w })).statusCode,
        404,
      );
    });

    test(`${name}: hostile bodies get 4xx and the server stays up`, async (t) => {
      const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      const nested = await h.app.inject({
        method: 'POST',
        url: '/xapi/statements',
        headers: headers({ 'content-type': 'application/json' }),
        payload: deep,
      });
      t.true(
        nested.statusCode >= 400 && nested.statusCode < 500,
        `deep nesting answered ${nested.statusCode}`,
      );
      const huge = await h.app.inject({
        method: 'POST',
        url: '/xapi/statements',
        headers: headers({ 'content-type': 'application/json' }),
        payload: Buffer.alloc(3 * 1024 * 1024, 32),
      });
      t.is(huge.statusCode, 413);
      const form = await h.app.inject({
        method: 'POST',
        url: '/xapi/statements',
        headers: headers({ 'content-type': 'multipart/form-data; boundary=x' }),
        payload: '--x--',
      });
      t.is(form.statusCode, 400);
      const alive = await h.app.inject({ url: '/xapi/about' });
      t.is(alive.statusCode, 200);
    });

    test(`${name}: format=ids and canonical shape the output`, async (t) => {
      const s = statement({
        id: randomUUID(),
        object: {
          objectType: 'Activity',
          id: 'http://example.com/a',
          definition: { name: { 'en-US': 'A', 'fr-FR': 'Un' } },
        },
      });
      await h.app.inject({ method: 'POST', url: '/xapi/statements', headers: headers(), payload: s });
      const ids = await h.app.inject({
        url: `/xapi/statements?statementId=${s.id}&format=ids`,
        headers: headers(),
      });
      t.deepEqual(ids.json().object, { id: 'http://example.com/a' });
      t.deepEqual(ids.json().verb, { id: 'http://adlnet.gov/expapi/verbs/completed' });
      t.deepEqual(ids.json().actor, { objectType: 'Agent', mbox: 'mailto:learner@example.com' });
      const canon = await h.app.inject({
        url: `/xapi/statements?statementId=${s.id}&format=canonical`,
        headers: headers({ 'accept-language': 'fr-FR' }),
      });
      t.deepEqual(canon.json().verb.display, { 'fr-FR': 'a terminé' });
      t.deepEqual(canon.json().object.definition.name, { 'fr-FR': 'Un' });
    });
  },
  { migrate: migrateControl },
);
