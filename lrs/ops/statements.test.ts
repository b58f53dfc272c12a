import { randomUUID } from 'node:crypto';
import test from 'ava';
import { createTenant } from '../../control/tenants.ts';
import { isAppError } from '../../core/errors.ts';
import type { Database } from '../../db/database.ts';
import { migrateControl } from '../../db/migrate.ts';
import { withTenant } from '../../db/with-tenant.ts';
import { forEachDatabase } from '../../test/databases.ts';
import type { StatementFilter } from '../input/statement-query.ts';
import { prepareStatement, VOIDED_VERB } from '../model/prepare-statement.ts';
import type { Json } from '../model/statement-index.ts';
import { getStatement } from './get-statement.ts';
import { queryStatements } from './query-statements.ts';
import { storeStatements } from './store-statements.ts';

const AUTHORITY = { objectType: 'Agent', account: { homePage: 'http://lrs.test/xapi', name: 'ck_test' } };
const ALICE = { objectType: 'Agent', mbox: 'mailto:alice@example.com', name: 'Alice' };
const BOB = { objectType: 'Agent', mbox: 'mailto:bob@example.com' };
const DID = { id: 'http://adlnet.gov/expapi/verbs/experienced', display: { 'en-US': 'experienced' } };
const PASSED = { id: 'http://adlnet.gov/expapi/verbs/passed' };

let clock = Date.parse('2026-01-01T00:00:00.000Z');
function stmt(partial: Json): Json {
  clock += 1000;
  const stored = new Date(clock).toISOString();
  return prepareStatement(
    { actor: ALICE, verb: DID, object: { id: 'http://example.com/course' }, ...partial },
    { stored, authority: AUTHORITY, version: '2.0.0' },
  );
}

const filter = (f: Partial<StatementFilter> = {}): StatementFilter => ({
  relatedAgents: false,
  relatedActivities: false,
  ascending: false,
  ...f,
});

async function store(db: Database, tenant: string, statements: Json[], credential = 'ck_test') {
  return withTenant(db, tenant, (tx) => storeStatements(tx, { statements, credential }));
}
async function query(db: Database, tenant: string, f: Partial<StatementFilter>, limit = 100, extra = {}) {
  return withTenant(db, tenant, (tx) => queryStatements(tx, { filter: filter(f), limit, ...extra }));
}
const ids = (r: { statements: Json[] }) => r.statements.map((s) => s.id);

forEachDatabase(
  test,
  ({ name, db }) => {
    test.serial(`${name}: a batch is stored and read back exactly, newest first`, async (t) => {
      await createTenant(db(), 'stmts');
      const a = stmt({ result: { score: { scaled: 0.12123434, raw: 12.125 } } });
      const b = stmt({ verb: PASSED });
      const res = await store(db(), 'stmts', [a, b]);
      t.deepEqual(res.ids, [a.id, b.id]);
      const got = await withTenant(db(), 'stmts', (tx) => getStatement(tx, { id: a.id, voided: false }));
      t.deepEqual(got, a, 'numbers, timestamps and key contents round-trip');
      t.deepEqual(ids(await query(db(), 'stmts', {})), [b.id, a.id]);
      t.deepEqual(ids(await query(db(), 'stmts', { ascending: true })), [a.id, b.id]);
    });

    test.serial(
      `${name}: the same id with the same content is a no-op, with other content a 409 and nothing stored`,
      async (t) => {
        const a = stmt({});
        await store(db(), 'stmts', [a]);
        const again = await store(db(), 'stmts', [{ ...a, stored: new Date().toISOString() }]);
        t.deepEqual(again.duplicates, [a.id]);
        const fresh = stmt({});
        const err = await t.throwsAsync(store(db(), 'stmts', [fresh, { ...a, verb: PASSED }]));
        t.true(isAppError(err) && err.code === 'CONFLICT');
        const lost = await withTenant(db(), 'stmts', (tx) =>
          getStatement(tx, { id: fresh.id, voided: false }),
        );
        t.is(lost, undefined, 'the batch is all or nothing');
      },
    );

    test.serial(`${name}: filters by agent, verb, activity, registration, related and time`, async (t) => {
      await createTenant(db(), 'filters');
      const reg = randomUUID();
      const s1 = stmt({
        context: {
          registration: reg,
          instructor: BOB,
          contextActivities: { parent: { id: 'http://example.com/parent' } },
        },
      });
      const s2 = stmt({ actor: BOB, verb: PASSED, object: { id: 'http://example.com/quiz' } });
      const s3 = stmt({ object: BOB });
      await store(db(), 'filters', [s1, s2, s3]);
      const bob = 'mbox:mailto:bob@example.com';
      t.deepEqual(ids(await query(db(), 'filters', { agent: bob })), [s3.id, s2.id], 'actor or object');
      t.deepEqual(ids(await query(db(), 'filters', { agent: bob, relatedAgents: true })), [
        s3.id,
        s2.id,
        s1.id,
      ]);
      t.deepEqual(ids(await query(db(), 'filters', { verb: PASSED.id })), [s2.id]);
      t.deepEqual(ids(await query(db(), 'filters', { activity: 'http://example.com/parent' })), []);
      t.deepEqual(
        ids(await query(db(), 'filters', { activity: 'http://example.com/parent', relatedActivities: true })),
        [s1.id],
      );
      t.deepEqual(ids(await query(db(), 'filters', { registration: reg })), [s1.id]);
      t.deepEqual(
        ids(await query(db(), 'filters', { since: s1.stored, until: s3.stored })),
        [s3.id, s2.id],
        'since exclusive, until inclusive',
      );
      t.deepEqual(
        ids(await query(db(), 'filters', { agent: bob, verb: PASSED.id })),
        [s2.id],
        'filters combine with AND',
      );
    });

    test.serial(`${name}: paging with a cursor walks every statement once`, async (t) => {
      await createTenant(db(), 'paging');
      // 12 rows cross seq 9 → 10, which a text-typed ordering would get wrong.
      const all = Array.from({ length: 12 }, () => stmt({}));
      await store(db(), 'paging', all);
      const seen: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 20; page++) {
        const r = await query(db(), 'paging', {}, 3, { after });
        seen.push(...ids(r));
        after = r.next;
        if (!after) break;
      }
      t.deepEqual(seen, all.map((s) => s.id).reverse());
    });

    test.serial(
      `${name}: related_agents paging walks both index ranges in order, each statement once`,
      async (t) => {
        await createTenant(db(), 'related_paging');
        const asInstructor = { instructor: ALICE };
        // Alice is the actor, the instructor, or both, interleaved; Bob-only statements never match.
        const all = Array.from({ length: 14 }, (_, i) =>
          i % 4 === 3
            ? stmt({ actor: BOB })
            : stmt({ actor: i % 2 ? BOB : ALICE, context: i % 3 ? asInstructor : undefined, verb: PASSED }),
        );
        await store(db(), 'related_paging', all);
        const want = all.filter((s) => s.actor.mbox === ALICE.mbox || s.context?.instructor).map((s) => s.id);
        for (const ascending of [false, true]) {
          const seen: string[] = [];
          let after: string | undefined;
          for (let page = 0; page < 20; page++) {
            const f = {
              agent: 'mbox:mailto:alice@example.com',
              relatedAgents: true,
              verb: PASSED.id,
              ascending,
            };
            const r = await query(db(), 'related_paging', f, 2, { after });
            seen.push(...ids(r));
            after = r.next;
            if (!after) break;
          }
          t.deepEqual(seen, ascending ? want : [...want].reverse(), `ascending=${ascending}`);
        }
      },
    );

    test.serial(
      `${name}: voiding hides the target from queries and statementId, and StatementRefs follow filters`,
      async (t) => {
        await createTenant(db(), 'voiding');
        const V = 'http://example.com/verbs/special';
        const x = stmt({ verb: { id: V } });
        await store(db(), 'voiding', [x]);
        const voiding = stmt({ verb: { id: VOIDED_VERB }, object: { objectType: 'StatementRef', id: x.id } });
        await store(db(), 'voiding', [voiding]);
        const s = stmt({ verb: { id: V }, object: { objectType: 'StatementRef', id: x.id } });
        await store(db(), 'voiding', [s]);
        // ADL suite XAPI-00162: [S, voiding] — the voided X is excluded, the voiding statement matches via its target.
        t.deepEqual(ids(await query(db(), 'voiding', { verb: V })), [s.id, voiding.id]);
        t.deepEqual(ids(await query(db(), 'voiding', { verb: V }, 1)), [s.id]);
        const byId = await withTenant(db(), 'voiding', (tx) => getStatement(tx, { id: x.id, voided: false }));
        t.is(byId, undefined);
        const byVoidedId = await withTenant(db(), 'voiding', (tx) =>
          getStatement(tx, { id: x.id, voided: true }),
        );
        t.is(byVoidedId?.id, x.id);
        // A voiding statement aimed at a voiding statement is accepted and ignored (XAPI-00016).
        const again = stmt({
          verb: { id: VOIDED_VERB },
          object: { objectType: 'StatementRef', id: voiding.id },
        });
        await store(db(), 'voiding', [again]);
        const stillThere = await withTenant(db(), 'voiding', (tx) =>
          getStatement(tx, { id: voiding.id, voided: false }),
        );
        t.is(stillThere?.id, voiding.id);
      },
    );

    test.serial(`${name}: a voiding statement stored before its target voids it on arrival`, async (t) => {
      const target = stmt({});
      const voiding = stmt({
        verb: { id: VOIDED_VERB },
        object: { objectType: 'StatementRef', id: target.id },
      });
      await store(db(), 'voiding', [voiding]);
      await store(db(), 'voiding', [target]);
      const got = await withTenant(db(), 'voiding', (tx) =>
        getStatement(tx, { id: target.id, voided: true }),
      );
      t.is(got?.id, target.id);
    });

    test.serial(`${name}: statements/read/mine sees only its own credential's statements`, async (t) => {
      await createTenant(db(), 'mine');
      const a = stmt({});
      const b = stmt({});
      await store(db(), 'mine', [a], 'ck_one');
      await store(db(), 'mine', [b], 'ck_two');
      t.deepEqual(ids(await query(db(), 'mine', {}, 100, { credential: 'ck_one' })), [a.id]);
      const other = await withTenant(db(), 'mine', (tx) =>
        getStatement(tx, { id: b.id, voided: false, credential: 'ck_one' }),
      );
      t.is(other, undefined);
    });

    test.serial(`${name}: activity definitions merge and people are recorded`, async (t) => {
      await createTenant(db(), 'defs');
      const iri = 'http://example.com/act';
      await store(db(), 'defs', [
        stmt({ object: { id: iri, definition: { name: { 'en-US': 'Course' }, type: 'http://x/t' } } }),
      ]);
      await store(db(), 'defs', [stmt({ object: { id: iri, definition: { name: { fr: 'Cours' } } } })]);
      const def = await withTenant(db(), 'defs', (tx) =>
        tx.query<{ definition: Json }>('SELECT definition FROM activities WHERE iri = $1', [iri]),
      );
      t.deepEqual(def.rows[0]!.definition, { name: { 'en-US': 'Course', fr: 'Cours' }, type: 'http://x/t' });
      // Within one batch too (ADL suite XAPI-00254).
      const iri2 = 'http://example.com/act2';
      await store(db(), 'defs', [
        stmt({ object: { id: iri2, definition: { description: { 'en-US': 'example meeting' } } } }),
        stmt({ object: { id: iri2, definition: { description: { 'en-GB': 'example meeting GB' } } } }),
      ]);
      const def2 = await withTenant(db(), 'defs', (tx) =>
        tx.query<{ definition: Json }>('SELECT definition FROM activities WHERE iri = $1', [iri2]),
      );
      t.deepEqual(def2.rows[0]!.definition, {
        description: { 'en-US': 'example meeting', 'en-GB': 'example meeting GB' },
      });
      const people = await withTenant(db(), 'defs', (tx) =>
        tx.query<{ names: string[] }>(
          `SELECT names FROM agents WHERE agent_key = 'mbox:mailto:alice@example.com'`,
        ),
      );
      t.deepEqual(people.rows[0]!.names, ['Alice']);
    });

    test.serial(`${name}: another tenant never sees these statements`, async (t) => {
      await createTenant(db(), 'outsider');
      t.deepEqual(ids(await query(db(), 'outsider', {})), []);
    });
  },
  { migrate: migrateControl },
);
