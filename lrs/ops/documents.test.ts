import { createHash } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { createTenant } from '../../control/tenants.ts';
import { type ErrorCode, isAppError } from '../../core/errors.ts';
import type { Database, Tx } from '../../db/database.ts';
import { migrateControl } from '../../db/migrate.ts';
import { withTenant } from '../../db/with-tenant.ts';
import { forEachDatabase } from '../../test/databases.ts';
import {
  type ConcurrencyRule,
  type DocumentContext,
  type Preconditions,
  parseDocumentContent,
} from '../input/document-params.ts';
import { deleteDocuments } from './delete-documents.ts';
import { getActivity } from './get-activity.ts';
import { getDocument } from './get-document.ts';
import { getPerson } from './get-person.ts';
import { listDocumentIds } from './list-document-ids.ts';
import { putDocument } from './put-document.ts';

const ACTIVITY = 'http://example.com/activities/course';
const ALICE = 'mbox:mailto:alice@example.com';
const REG = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';

const state = (registration: string | null = null, activityIri = ACTIVITY): DocumentContext => ({
  kind: 'state',
  activityIri,
  agentKey: ALICE,
  registration,
});
const activityProfile: DocumentContext = {
  kind: 'activity_profile',
  activityIri: ACTIVITY,
  agentKey: '',
  registration: null,
};
const agentProfile: DocumentContext = {
  kind: 'agent_profile',
  activityIri: '',
  agentKey: ALICE,
  registration: null,
};

const sha1 = (s: string | Buffer) => createHash('sha1').update(s).digest('hex');
const json = (v: unknown) => parseDocumentContent(Buffer.from(JSON.stringify(v)), 'application/json');
const bytes = (s: string, type = 'application/octet-stream') => parseDocumentContent(Buffer.from(s), type);

function put(
  db: Database,
  tenant: string,
  context: DocumentContext,
  docId: string,
  content: ReturnType<typeof json>,
  opts: { merge?: boolean; preconditions?: Preconditions; rule?: ConcurrencyRule } = {},
) {
  return withTenant(db, tenant, (tx) =>
    putDocument(tx, {
      context,
      docId,
      content,
      merge: opts.merge ?? false,
      preconditions: opts.preconditions ?? {},
      rule: opts.rule ?? 'none',
    }),
  );
}
const get = (db: Database, tenant: string, context: DocumentContext, docId: string) =>
  withTenant(db, tenant, (tx) => getDocument(tx, { context, docId }));
const list = (db: Database, tenant: string, context: DocumentContext, since?: string) =>
  withTenant(db, tenant, (tx) => listDocumentIds(tx, { context, ...(since !== undefined ? { since } : {}) }));

async function rejects(t: ExecutionContext, p: Promise<unknown>, code: ErrorCode): Promise<void> {
  const err = await t.throwsAsync(p);
  if (!isAppError(err)) return void t.fail(`expected AppError ${code}, got ${String(err)}`);
  t.is(err.code, code);
}

/** The stored updated_at at full (microsecond) precision, as a literal listDocumentIds accepts. */
async function updatedAtText(db: Database, tenant: string, docId: string): Promise<string> {
  const res = await withTenant(db, tenant, (tx: Tx) =>
    tx.query<{ t: string }>(
      `SELECT to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') AS t FROM documents WHERE doc_id = $1`,
      [docId],
    ),
  );
  return res.rows[0]!.t;
}

forEachDatabase(
  test,
  ({ name, db }) => {
    test.serial(
      `${name}: a document is stored and read back byte for byte, with its SHA-1 ETag`,
      async (t) => {
        await createTenant(db(), 'docs_basic');
        const body = '\u00e9t\u00e9 \u2603 binary\u0000tail';
        const before = Date.now();
        const w = await put(db(), 'docs_basic', state(), 's1', bytes(body, 'text/plain; charset=utf-8'));
        t.true(w.created);
        t.is(w.etag, sha1(Buffer.from(body)));
        const doc = await get(db(), 'docs_basic', state(), 's1');
        t.truthy(doc);
        t.true(doc!.body.equals(Buffer.from(body)));
        t.is(doc!.contentType, 'text/plain; charset=utf-8');
        t.is(doc!.etag, w.etag);
        t.true(Math.abs(doc!.updatedAt.getTime() - before) < 60_000);
        t.is(await get(db(), 'docs_basic', state(), 'missing'), undefined);
      },
    );

    test.serial(`${name}: PUT replaces the whole document and changes the ETag`, async (t) => {
      await createTenant(db(), 'docs_replace');
      const a = await put(db(), 'docs_replace', activityProfile, 'p', json({ x: 1, y: 2 }));
      const b = await put(db(), 'docs_replace', activityProfile, 'p', json({ z: 3 }));
      t.false(b.created);
      t.not(a.etag, b.etag);
      const doc = await get(db(), 'docs_replace', activityProfile, 'p');
      t.deepEqual(JSON.parse(doc!.body.toString()), { z: 3 });
    });

    test.serial(`${name}: POST merges top-level properties of two JSON objects`, async (t) => {
      await createTenant(db(), 'docs_merge');
      await put(db(), 'docs_merge', agentProfile, 'm', json({ x: 'foo', y: 'bar', deep: { a: 1, b: 2 } }), {
        merge: true,
      });
      const r = await put(
        db(),
        'docs_merge',
        agentProfile,
        'm',
        json({ x: 'bash', z: 'faz', deep: { c: 3 } }),
        {
          merge: true,
        },
      );
      t.false(r.created);
      const doc = await get(db(), 'docs_merge', agentProfile, 'm');
      // xAPI 1.0.3 Communication §2.2: only top-level properties merge; nested objects are replaced.
      t.deepEqual(JSON.parse(doc!.body.toString()), { x: 'bash', y: 'bar', z: 'faz', deep: { c: 3 } });
      t.is(doc!.etag, sha1(doc!.body));
    });

    test.serial(
      `${name}: POST to a missing document stores it as PUT would, whatever its type`,
      async (t) => {
        await createTenant(db(), 'docs_post_new');
        const r = await put(db(), 'docs_post_new', state(), 'new', bytes('opaque'), { merge: true });
        t.true(r.created);
        t.is((await get(db(), 'docs_post_new', state(), 'new'))!.body.toString(), 'opaque');
      },
    );

    test.serial(
      `${name}: a merge that is not JSON object + JSON object is 400 and changes nothing`,
      async (t) => {
        await createTenant(db(), 'docs_merge_bad');
        const T = 'docs_merge_bad';
        await put(db(), T, state(), 'json', json({ keep: true }));
        await put(db(), T, state(), 'octet', bytes('/ asdf / undefined'));
        await put(db(), T, state(), 'array', json([1, 2]));
        const snapshot = async () =>
          Promise.all(['json', 'octet', 'array'].map(async (id) => (await get(db(), T, state(), id))!));
        const before = await snapshot();

        await rejects(
          t,
          put(db(), T, state(), 'json', bytes('abcdefg', 'not/json'), { merge: true }),
          'BAD_REQUEST',
        );
        await rejects(t, put(db(), T, state(), 'octet', json({ a: 1 }), { merge: true }), 'BAD_REQUEST');
        await rejects(t, put(db(), T, state(), 'json', json([1]), { merge: true }), 'BAD_REQUEST');
        await rejects(t, put(db(), T, state(), 'json', json('string'), { merge: true }), 'BAD_REQUEST');
        await rejects(t, put(db(), T, state(), 'array', json({ a: 1 }), { merge: true }), 'BAD_REQUEST');

        const after = await snapshot();
        for (const [i, doc] of after.entries()) {
          t.true(doc.body.equals(before[i]!.body));
          t.is(doc.etag, before[i]!.etag);
          t.is(doc.updatedAt.getTime(), before[i]!.updatedAt.getTime());
        }
      },
    );

    test.serial(`${name}: registration, kind and activity are part of a document's identity`, async (t) => {
      await createTenant(db(), 'docs_identity');
      const T = 'docs_identity';
      await put(db(), T, state(), 'same', bytes('no registration'));
      await put(db(), T, state(REG), 'same', bytes('with registration'));
      await put(db(), T, state(null, `${ACTIVITY}/other`), 'same', bytes('other activity'));
      await put(db(), T, activityProfile, 'same', bytes('activity profile'));
      await put(db(), T, agentProfile, 'same', bytes('agent profile'));
      t.is((await get(db(), T, state(), 'same'))!.body.toString(), 'no registration');
      t.is((await get(db(), T, state(REG), 'same'))!.body.toString(), 'with registration');
      t.is((await get(db(), T, state(null, `${ACTIVITY}/other`), 'same'))!.body.toString(), 'other activity');
      t.is((await get(db(), T, activityProfile, 'same'))!.body.toString(), 'activity profile');
      t.is((await get(db(), T, agentProfile, 'same'))!.body.toString(), 'agent profile');
    });

    test.serial(
      `${name}: ids are listed per context, since is exclusive, Last-Modified is the newest`,
      async (t) => {
        await createTenant(db(), 'docs_list');
        const T = 'docs_list';
        t.deepEqual(await list(db(), T, state()), { ids: [], lastModified: undefined });
        await put(db(), T, state(), 'a', bytes('1'));
        await put(db(), T, state(REG), 'b', bytes('2'));
        await put(db(), T, state(REG), 'a', bytes('3'));
        await put(db(), T, state(null, `${ACTIVITY}/other`), 'c', bytes('4'));
        await put(db(), T, activityProfile, 'd', bytes('5'));

        // "Activity + Agent [+ registration if specified]": without one every registration counts, each id once.
        t.deepEqual((await list(db(), T, state())).ids.sort(), ['a', 'b']);
        t.deepEqual((await list(db(), T, state(REG))).ids.sort(), ['a', 'b']);
        t.deepEqual((await list(db(), T, activityProfile)).ids, ['d']);

        const bTime = await updatedAtText(db(), T, 'b');
        // Rewrite a strictly after b: writes within one clock tick (PGlite's clock is coarse) share a time.
        await new Promise((r) => setTimeout(r, 5));
        await put(db(), T, state(REG), 'a', bytes('3'));
        const all = await list(db(), T, state());
        const newest = (await get(db(), T, state(REG), 'a'))!.updatedAt;
        t.is(all.lastModified!.getTime(), newest.getTime());

        // Exactly b's time: b is excluded (exclusive), later writes are in.
        const since = await list(db(), T, state(REG), bTime);
        t.false(since.ids.includes('b'));
        t.true(since.ids.includes('a'));
        const future = await list(db(), T, state(), '2999-01-01T00:00:00+00:00');
        t.deepEqual(future, { ids: [], lastModified: undefined });
        const past = await list(db(), T, state(), '2000-01-01T00:00:00+00:00');
        t.deepEqual(past.ids.sort(), ['a', 'b']);
      },
    );

    test.serial(`${name}: delete one document, or a whole State context`, async (t) => {
      await createTenant(db(), 'docs_delete');
      const T = 'docs_delete';
      for (const id of ['x', 'y']) {
        await put(db(), T, state(), id, bytes(id));
        await put(db(), T, state(REG), id, bytes(id));
      }
      await put(db(), T, state(null, `${ACTIVITY}/keep`), 'x', bytes('kept'));
      await put(db(), T, agentProfile, 'x', bytes('kept'));

      t.deepEqual(await withTenant(db(), T, (tx) => deleteDocuments(tx, { context: state(), docId: 'x' })), {
        deleted: 1,
      });
      t.is(await get(db(), T, state(), 'x'), undefined);
      t.truthy(await get(db(), T, state(REG), 'x'), 'another registration is another document');
      t.deepEqual(
        await withTenant(db(), T, (tx) => deleteDocuments(tx, { context: state(), docId: 'nope' })),
        {
          deleted: 0,
        },
      );

      t.deepEqual(await withTenant(db(), T, (tx) => deleteDocuments(tx, { context: state(REG) })), {
        deleted: 2,
      });
      t.deepEqual((await list(db(), T, state())).ids, ['y'], 'only the registration was cleared');
      t.deepEqual(await withTenant(db(), T, (tx) => deleteDocuments(tx, { context: state() })), {
        deleted: 1,
      });
      t.deepEqual((await list(db(), T, state())).ids, []);
      t.truthy(await get(db(), T, state(null, `${ACTIVITY}/keep`), 'x'));
      t.truthy(await get(db(), T, agentProfile, 'x'));
    });

    test.serial(`${name}: If-Match and If-None-Match guard writes and deletes`, async (t) => {
      await createTenant(db(), 'docs_pre');
      const T = 'docs_pre';
      const first = await put(db(), T, agentProfile, 'p', json({ v: 1 }), {
        preconditions: { ifNoneMatch: '*' },
      });
      await rejects(
        t,
        put(db(), T, agentProfile, 'p', json({ v: 2 }), { preconditions: { ifNoneMatch: '*' } }),
        'PRECONDITION_FAILED',
      );
      await rejects(
        t,
        put(db(), T, agentProfile, 'p', json({ v: 2 }), {
          preconditions: { ifMatch: [{ tag: '1234', weak: false }] },
        }),
        'PRECONDITION_FAILED',
      );
      // RFC 7232 §3.1: If-Match compares strongly, so the right tag marked weak does not match.
      await rejects(
        t,
        put(db(), T, agentProfile, 'p', json({ v: 2 }), {
          preconditions: { ifMatch: [{ tag: first.etag, weak: true }] },
        }),
        'PRECONDITION_FAILED',
      );
      await rejects(
        t,
        put(db(), T, agentProfile, 'p', json({ v: 2 }), {
          merge: true,
          preconditions: { ifNoneMatch: [{ tag: first.etag, weak: true }] },
        }),
        'PRECONDITION_FAILED',
      );
      t.deepEqual(JSON.parse((await get(db(), T, agentProfile, 'p'))!.body.toString()), { v: 1 });

      const second = await put(db(), T, agentProfile, 'p', json({ v: 2 }), {
        preconditions: {
          ifMatch: [
            { tag: 'ffff', weak: false },
            { tag: first.etag, weak: false },
          ],
        },
      });
      const third = await put(db(), T, agentProfile, 'p', json({ w: 3 }), {
        merge: true,
        preconditions: { ifMatch: '*' },
      });
      t.deepEqual(JSON.parse((await get(db(), T, agentProfile, 'p'))!.body.toString()), { v: 2, w: 3 });
      t.not(second.etag, third.etag);

      await rejects(
        t,
        put(db(), T, agentProfile, 'absent', json({}), { preconditions: { ifMatch: '*' } }),
        'PRECONDITION_FAILED',
      );
      t.is(await get(db(), T, agentProfile, 'absent'), undefined);

      await rejects(
        t,
        withTenant(db(), T, (tx) =>
          deleteDocuments(tx, {
            context: agentProfile,
            docId: 'p',
            preconditions: { ifMatch: [{ tag: second.etag, weak: false }] },
          }),
        ),
        'PRECONDITION_FAILED',
      );
      t.truthy(await get(db(), T, agentProfile, 'p'));
      await rejects(
        t,
        withTenant(db(), T, (tx) =>
          deleteDocuments(tx, { context: agentProfile, docId: 'gone', preconditions: { ifMatch: '*' } }),
        ),
        'PRECONDITION_FAILED',
      );
      t.deepEqual(
        await withTenant(db(), T, (tx) =>
          deleteDocuments(tx, {
            context: agentProfile,
            docId: 'p',
            preconditions: { ifMatch: [{ tag: third.etag, weak: false }] },
          }),
        ),
        { deleted: 1 },
      );
    });

    test.serial(`${name}: a PUT without precondition headers follows the concurrency rule`, async (t) => {
      await createTenant(db(), 'docs_rule');
      const T = 'docs_rule';
      // 'if-exists' (xAPI 2.0): new documents are created, existing ones are a 409.
      await put(db(), T, state(), 's', json({ a: 1 }), { rule: 'if-exists' });
      await rejects(t, put(db(), T, state(), 's', json({ a: 2 }), { rule: 'if-exists' }), 'CONFLICT');
      // 'always' (1.0.3 profiles): also 400 for a new document.
      await rejects(t, put(db(), T, activityProfile, 'p', json({ a: 1 }), { rule: 'always' }), 'BAD_REQUEST');
      t.is(await get(db(), T, activityProfile, 'p'), undefined);
      await put(db(), T, activityProfile, 'p', json({ a: 1 }), {
        rule: 'always',
        preconditions: { ifNoneMatch: '*' },
      });
      await rejects(t, put(db(), T, activityProfile, 'p', json({ a: 2 }), { rule: 'always' }), 'CONFLICT');
      // 'none' (1.0.3 State): overwrite freely.
      await put(db(), T, state(), 's', json({ a: 3 }), { rule: 'none' });
      t.deepEqual(JSON.parse((await get(db(), T, state(), 's'))!.body.toString()), { a: 3 });
      t.deepEqual(JSON.parse((await get(db(), T, activityProfile, 'p'))!.body.toString()), { a: 1 });
    });

    test.serial(`${name}: concurrent creates with If-None-Match: * let exactly one win`, async (t) => {
      await createTenant(db(), 'docs_race');
      const T = 'docs_race';
      const attempts = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          put(db(), T, state(), 'race', json({ writer: i }), { preconditions: { ifNoneMatch: '*' } }),
        ),
      );
      const won = attempts.filter((a) => a.status === 'fulfilled');
      t.is(won.length, 1);
      for (const a of attempts) {
        if (a.status === 'rejected') t.is((a.reason as { code: string }).code, 'PRECONDITION_FAILED');
      }
      t.deepEqual((await list(db(), T, state())).ids, ['race']);
    });

    test.serial(`${name}: concurrent merges into one document lose no property`, async (t) => {
      await createTenant(db(), 'docs_merge_race');
      const T = 'docs_merge_race';
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          put(db(), T, state(), 'shared', json({ [`k${i}`]: i }), { merge: true }),
        ),
      );
      const doc = JSON.parse((await get(db(), T, state(), 'shared'))!.body.toString());
      t.deepEqual(doc, Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, i])));
    });

    test.serial(`${name}: the same document identity in two tenants is two documents`, async (t) => {
      await createTenant(db(), 'docs_ta');
      await createTenant(db(), 'docs_tb');
      await put(db(), 'docs_tb', state(), 'shared', bytes('B'));
      await put(db(), 'docs_ta', state(), 'shared', bytes('A'));
      t.is((await get(db(), 'docs_tb', state(), 'shared'))!.body.toString(), 'B');
      await withTenant(db(), 'docs_ta', (tx) => deleteDocuments(tx, { context: state() }));
      t.is(await get(db(), 'docs_ta', state(), 'shared'), undefined);
      t.is((await get(db(), 'docs_tb', state(), 'shared'))!.body.toString(), 'B');
      t.deepEqual((await list(db(), 'docs_tb', state())).ids, ['shared']);
    });

    test.serial(`${name}: getActivity returns the stored definition, or a bare Activity`, async (t) => {
      await createTenant(db(), 'docs_activity');
      const T = 'docs_activity';
      const definition = {
        name: { 'en-US': 'Course', fr: 'Cours' },
        type: 'http://adlnet.gov/expapi/activities/course',
      };
      await withTenant(db(), T, async (tx) => {
        await tx.query('INSERT INTO activities (iri, definition) VALUES ($1, $2), ($3, $4)', [
          ACTIVITY,
          JSON.stringify(definition),
          `${ACTIVITY}/bare`,
          '{}',
        ]);
      });
      t.deepEqual(await withTenant(db(), T, (tx) => getActivity(tx, { activityIri: ACTIVITY })), {
        objectType: 'Activity',
        id: ACTIVITY,
        definition,
      });
      t.deepEqual(await withTenant(db(), T, (tx) => getActivity(tx, { activityIri: `${ACTIVITY}/bare` })), {
        objectType: 'Activity',
        id: `${ACTIVITY}/bare`,
      });
      t.deepEqual(await withTenant(db(), T, (tx) => getActivity(tx, { activityIri: 'urn:unknown:1' })), {
        objectType: 'Activity',
        id: 'urn:unknown:1',
      });
      await createTenant(db(), 'docs_activity_other');
      t.deepEqual(
        await withTenant(db(), 'docs_activity_other', (tx) => getActivity(tx, { activityIri: ACTIVITY })),
        {
          objectType: 'Activity',
          id: ACTIVITY,
        },
      );
    });

    test.serial(`${name}: getPerson combines stored names with the queried Agent`, async (t) => {
      await createTenant(db(), 'docs_person');
      const T = 'docs_person';
      await withTenant(db(), T, (tx) =>
        tx.query('INSERT INTO agents (agent_key, names, ifi) VALUES ($1, $2, $3)', [
          ALICE,
          ['Alice', 'A. Liddell'],
          JSON.stringify({ mbox: 'mailto:alice@example.com' }),
        ]),
      );
      t.deepEqual(
        await withTenant(db(), T, (tx) =>
          getPerson(tx, { agent: { mbox: 'mailto:alice@example.com', name: 'Ally' }, key: ALICE }),
        ),
        { objectType: 'Person', name: ['Ally', 'Alice', 'A. Liddell'], mbox: ['mailto:alice@example.com'] },
      );
      const account = { homePage: 'http://example.com', name: 'bob' };
      t.deepEqual(
        await withTenant(db(), T, (tx) =>
          getPerson(tx, { agent: { account }, key: 'account:http://example.com|bob' }),
        ),
        {
          objectType: 'Person',
          account: [account],
        },
      );
      const sha = sha1('mailto:carol@example.com');
      t.deepEqual(
        await withTenant(db(), T, (tx) =>
          getPerson(tx, { agent: { mbox_sha1sum: sha, name: 'Carol' }, key: `sha1:${sha}` }),
        ),
        { objectType: 'Person', name: ['Carol'], mbox_sha1sum: [sha] },
      );
      t.deepEqual(
        await withTenant(db(), T, (tx) =>
          getPerson(tx, {
            agent: { openid: 'http://openid.example.com/d' },
            key: 'openid:http://openid.example.com/d',
          }),
        ),
        {
          objectType: 'Person',
          openid: ['http://openid.example.com/d'],
        },
      );
    });
  },
  { migrate: migrateControl },
);
