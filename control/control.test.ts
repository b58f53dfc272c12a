import test from 'ava';
import { isAppError } from '../core/errors.ts';
import type { Database } from '../db/database.ts';
import { migrateControl } from '../db/migrate.ts';
import { forEachDatabase } from '../test/databases.ts';
import { createAuthenticator } from './authenticator.ts';
import { createKey, listKeys, revokeKey } from './keys.ts';
import { createTenant, deleteTenant, listTenants } from './tenants.ts';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return isAppError(err) ? err.code : `not an AppError: ${(err as Error).message}`;
  }
  return undefined;
}

/** The database, counting the app-role transactions (credential lookups) made through it. */
function countingLookups(base: Database): { counting: Database; lookups: () => number } {
  let n = 0;
  const counting: Database = {
    ...base,
    appTransaction: (settings, fn) => {
      n++;
      return base.appTransaction(settings, fn);
    },
  };
  return { counting, lookups: () => n };
}

forEachDatabase(
  test,
  ({ name, db }) => {
    test.serial(`${name}: tenants are created with their schema, listed and deleted`, async (t) => {
      const created = await createTenant(db(), 'acme');
      t.is(created.name, 'acme');
      t.true((await listTenants(db())).some((x) => x.name === 'acme'));
      const schema = await db().ownerTransaction((tx) =>
        tx.query(
          `SELECT 1 FROM information_schema.tables WHERE table_schema = 't_acme' AND table_name = 'documents'`,
        ),
      );
      t.is(schema.rows.length, 1);
      await db().ownerTransaction((tx) => createKey(tx, 'acme', {}));
      await deleteTenant(db(), 'acme');
      t.false((await listTenants(db())).some((x) => x.name === 'acme'));
      const left = await db().ownerTransaction((tx) =>
        tx.query(
          `SELECT (SELECT count(*) FROM information_schema.schemata WHERE schema_name = 't_acme')::int AS schemas,
                  (SELECT count(*) FROM crest.credentials WHERE tenant_id = 'acme')::int AS keys`,
        ),
      );
      t.deepEqual(left.rows[0], { schemas: 0, keys: 0 });
    });

    test.serial(
      `${name}: a duplicate, an unsafe name and an unknown tenant are refused with their codes`,
      async (t) => {
        await createTenant(db(), 'dupe');
        t.is(await codeOf(createTenant(db(), 'dupe')), 'TENANT_EXISTS');
        t.is(await codeOf(createTenant(db(), 'Bad-Name')), 'TENANT_NAME_INVALID');
        t.is(await codeOf(createTenant(db(), 'x; DROP SCHEMA crest')), 'TENANT_NAME_INVALID');
        t.is(await codeOf(deleteTenant(db(), 'ghost')), 'TENANT_NOT_FOUND');
        t.deepEqual(
          (await listTenants(db())).map((x) => x.name).filter((n) => n !== 'dupe'),
          [],
        );
      },
    );

    test.serial(`${name}: a tenant whose schema migration fails leaves nothing behind`, async (t) => {
      // A stray table in the way makes the tenant migration fail half-way.
      await db().ownerTransaction(async (tx) => {
        await tx.query('CREATE SCHEMA t_broken');
        await tx.query('CREATE TABLE t_broken.documents (x int)');
      });
      const err = await t.throwsAsync(createTenant(db(), 'broken'));
      t.regex(err!.message, /documents|already exists/);
      t.false((await listTenants(db())).some((x) => x.name === 'broken'));
      const schemas = await db().ownerTransaction((tx) =>
        tx.query(`SELECT 1 FROM information_schema.schemata WHERE schema_name = 't_broken'`),
      );
      t.is(schemas.rows.length, 0);
    });

    test.serial(
      `${name}: keys are created with hashed secrets, listed without them, and revoked`,
      async (t) => {
        await createTenant(db(), 'keyco');
        const k = await db().ownerTransaction((tx) =>
          createKey(tx, 'keyco', { scopes: ['statements/write', 'state'], label: 'lms' }),
        );
        t.deepEqual(k.scopes, ['statements/write', 'state']);
        const stored = await db().ownerTransaction((tx) =>
          tx.query<{ secret_hash: string }>('SELECT secret_hash FROM crest.credentials WHERE key_id = $1', [
            k.keyId,
          ]),
        );
        t.regex(stored.rows[0]!.secret_hash, /^scrypt\$/);
        t.false(stored.rows[0]!.secret_hash.includes(k.secret));
        const listed = await db().ownerTransaction((tx) => listKeys(tx, 'keyco'));
        t.is(listed.length, 1);
        t.false('secret' in listed[0]!);
        const revoked = await db().ownerTransaction((tx) => revokeKey(tx, 'keyco', k.keyId));
        t.truthy(revoked.revokedAt);
        t.is(await codeOf(db().ownerTransaction((tx) => revokeKey(tx, 'other', k.keyId))), 'KEY_NOT_FOUND');
        t.is(
          await codeOf(db().ownerTransaction((tx) => createKey(tx, 'keyco', { scopes: ['root'] }))),
          'SCOPE_INVALID',
        );
      },
    );

    test.serial(
      `${name}: authentication accepts the right secret only, and not after revocation`,
      async (t) => {
        await createTenant(db(), 'authco');
        const k = await db().ownerTransaction((tx) => createKey(tx, 'authco', { scopes: ['all/read'] }));
        const auth = createAuthenticator(db(), { ttlMs: 60_000 });
        t.deepEqual(await auth.authenticate(k.keyId, k.secret), {
          tenant: 'authco',
          keyId: k.keyId,
          scopes: ['all/read'],
        });
        t.is(await auth.authenticate(k.keyId, `${k.secret}x`), undefined);
        t.is(await auth.authenticate('ck_doesnotexist00000000', k.secret), undefined);
        t.is(await auth.authenticate('', ''), undefined);

        await db().ownerTransaction((tx) => revokeKey(tx, 'authco', k.keyId));
        // Within the cache TTL this process still trusts the verified pair until told to forget it…
        t.truthy(await auth.authenticate(k.keyId, k.secret));
        auth.forget(k.keyId);
        // …and a revoked key never authenticates once the cache is cold.
        t.is(await auth.authenticate(k.keyId, k.secret), undefined);
        const cold = createAuthenticator(db(), { ttlMs: 0 });
        t.is(await cold.authenticate(k.keyId, k.secret), undefined);
      },
    );

    test.serial(`${name}: concurrent logins with one key share a single verification`, async (t) => {
      await createTenant(db(), 'flightco');
      const k = await db().ownerTransaction((tx) => createKey(tx, 'flightco', {}));
      const { counting, lookups } = countingLookups(db());
      const auth = createAuthenticator(counting, { ttlMs: 60_000 });
      const results = await Promise.all(
        Array.from({ length: 50 }, () => auth.authenticate(k.keyId, k.secret)),
      );
      t.true(results.every((p) => p?.tenant === 'flightco'));
      t.is(lookups(), 1);
      const wrong = await Promise.all(Array.from({ length: 5 }, () => auth.authenticate(k.keyId, 'nope')));
      t.true(wrong.every((p) => p === undefined));
    });

    test.serial(
      `${name}: a key in use is re-checked in the background before its entry expires`,
      async (t) => {
        await createTenant(db(), 'refreshco');
        const k = await db().ownerTransaction((tx) => createKey(tx, 'refreshco', {}));
        const { counting, lookups } = countingLookups(db());
        const ttlMs = 1000;
        const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
        const auth = createAuthenticator(counting, { ttlMs });
        t.truthy(await auth.authenticate(k.keyId, k.secret));
        t.is(lookups(), 1);
        // Past 3/4 of the TTL a hit still answers at once and starts one background lookup.
        await sleep(800);
        t.truthy(await auth.authenticate(k.keyId, k.secret));
        t.truthy(await auth.authenticate(k.keyId, k.secret));
        await sleep(150);
        t.is(lookups(), 2, 'one refresh for two hits');
        // The refresh renewed the entry: past the original TTL, still no fresh verification.
        await sleep(400);
        t.truthy(await auth.authenticate(k.keyId, k.secret));
        t.is(lookups(), 2);
        // A refresh that finds the key revoked drops the entry, without anyone calling forget().
        await db().ownerTransaction((tx) => revokeKey(tx, 'refreshco', k.keyId));
        await sleep(300);
        t.truthy(await auth.authenticate(k.keyId, k.secret), 'served from cache while the refresh runs');
        await sleep(150);
        t.is(await auth.authenticate(k.keyId, k.secret), undefined);
      },
    );
  },
  { migrate: migrateControl },
);
