import test from 'ava';
import { createTenant } from '../control/tenants.ts';
import { forEachDatabase } from '../test/databases.ts';
import { migrateControl } from './migrate.ts';
import { withTenant } from './with-tenant.ts';

/*
 * Tenant isolation at the SQL level: even SQL that names the other tenant's schema, run as the app
 * role, must neither read nor write that tenant's rows. This is the guarantee the HTTP layer rests on.
 */

async function seed(db: ReturnType<Parameters<Parameters<typeof forEachDatabase>[1]>[0]['db']>) {
  await createTenant(db, 'alpha');
  await createTenant(db, 'beta');
  for (const tenant of ['alpha', 'beta']) {
    await withTenant(db, tenant, (tx) =>
      tx.query(
        `INSERT INTO documents (kind, activity_iri, doc_id, content_type, body, etag)
         VALUES ('state', 'http://example.com/a', $1, 'text/plain', $2, 'e1'), ('state', 'http://example.com/a', $3, 'text/plain', $2, 'e2')`,
        [`${tenant}-1`, Buffer.from(tenant), `${tenant}-2`],
      ),
    );
  }
}

forEachDatabase(
  test,
  ({ name, db }) => {
    test.serial(`${name}: withTenant sees only its own rows`, async (t) => {
      const rows = await withTenant(db(), 'alpha', (tx) =>
        tx.query<{ doc_id: string; tenant_id: string }>(
          'SELECT doc_id, tenant_id FROM documents ORDER BY doc_id',
        ),
      );
      t.deepEqual(
        rows.rows.map((r) => r.doc_id),
        ['alpha-1', 'alpha-2'],
      );
      t.true(rows.rows.every((r) => r.tenant_id === 'alpha'));
    });

    test.serial(
      `${name}: app role with app.tenant_id=alpha and search_path=t_beta reads 0 of beta's rows`,
      async (t) => {
        const counts = await db().appTransaction(
          { search_path: 't_beta', 'app.tenant_id': 'alpha' },
          async (tx) => {
            const viaPath = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM documents');
            const qualified = await tx.query<{ n: number }>(
              'SELECT count(*)::int AS n FROM t_beta.documents',
            );
            const who = await tx.query<{ u: string }>('SELECT current_user AS u');
            return { viaPath: viaPath.rows[0]!.n, qualified: qualified.rows[0]!.n, user: who.rows[0]!.u };
          },
        );
        t.is(counts.user, db().appRole);
        t.is(counts.viaPath, 0);
        t.is(counts.qualified, 0);
        // The rows are there: the owner sees them, so the zero above is RLS at work, not an empty table.
        const owner = await db().ownerTransaction((tx) =>
          tx.query<{ n: number }>('SELECT count(*)::int AS n FROM t_beta.documents'),
        );
        t.is(owner.rows[0]!.n, 2);
      },
    );

    test.serial(`${name}: app role cannot insert a beta row while acting as alpha`, async (t) => {
      const attempt = (tenantId: string) =>
        db().appTransaction({ search_path: 't_beta', 'app.tenant_id': 'alpha' }, (tx) =>
          tx.query(
            `INSERT INTO t_beta.documents (tenant_id, kind, doc_id, content_type, body, etag) VALUES ($1, 'state', 'intruder', 'text/plain', '\\x00', 'x')`,
            [tenantId],
          ),
        );
      // A row labelled beta fails the RLS WITH CHECK; a row labelled alpha fails beta's pinned CHECK.
      const asBeta = await t.throwsAsync(attempt('beta'));
      t.regex(asBeta!.message, /row-level security/);
      const asAlpha = await t.throwsAsync(attempt('alpha'));
      t.regex(asAlpha!.message, /documents_tenant_pinned|check constraint/);
      const owner = await db().ownerTransaction((tx) =>
        tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM t_beta.documents WHERE doc_id = 'intruder'`),
      );
      t.is(owner.rows[0]!.n, 0);
    });

    test.serial(`${name}: app role cannot update or delete beta's rows while acting as alpha`, async (t) => {
      const result = await db().appTransaction(
        { search_path: 't_beta', 'app.tenant_id': 'alpha' },
        async (tx) => {
          const upd = await tx.query(`UPDATE t_beta.documents SET etag = 'hacked'`);
          const del = await tx.query('DELETE FROM t_beta.documents');
          return { updated: upd.rowCount, deleted: del.rowCount };
        },
      );
      t.deepEqual(result, { updated: 0, deleted: 0 });
      const owner = await db().ownerTransaction((tx) =>
        tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM t_beta.documents WHERE etag <> 'hacked'`),
      );
      t.is(owner.rows[0]!.n, 2);
    });

    test.serial(`${name}: without app.tenant_id the app role sees no tenant rows`, async (t) => {
      const n = await db().appTransaction({ search_path: 't_alpha' }, (tx) =>
        tx.query<{ n: number }>('SELECT count(*)::int AS n FROM documents'),
      );
      t.is(n.rows[0]!.n, 0);
    });

    test.serial(`${name}: the app role cannot switch row security off`, async (t) => {
      const err = await t.throwsAsync(
        db().appTransaction({ search_path: 't_beta', 'app.tenant_id': 'alpha', row_security: 'off' }, (tx) =>
          tx.query('SELECT count(*) FROM t_beta.documents'),
        ),
      );
      t.regex(err!.message, /row-level security|row security/i);
    });

    test.serial(`${name}: the app role reads only its own tenant's credentials`, async (t) => {
      await db().ownerTransaction((tx) =>
        tx.query(
          `INSERT INTO crest.credentials (key_id, tenant_id, secret_hash, scopes) VALUES ('ck_a', 'alpha', 'x', '{all}'), ('ck_b', 'beta', 'x', '{all}')`,
        ),
      );
      const seen = await withTenant(db(), 'alpha', (tx) =>
        tx.query<{ key_id: string }>('SELECT key_id FROM crest.credentials'),
      );
      t.deepEqual(
        seen.rows.map((r) => r.key_id),
        ['ck_a'],
      );
      const stolen = await withTenant(db(), 'alpha', (tx) =>
        tx.query(`UPDATE crest.credentials SET scopes = '{all}', revoked_at = now() WHERE key_id = 'ck_b'`),
      );
      t.is(stolen.rowCount, 0);
    });

    test.serial(`${name}: SET LOCAL settings end with the transaction`, async (t) => {
      await withTenant(db(), 'alpha', async () => undefined);
      const after = await db().ownerTransaction((tx) =>
        tx.query<{ t: string | null; u: string }>(
          `SELECT current_setting('app.tenant_id', true) AS t, current_user AS u`,
        ),
      );
      t.not(after.rows[0]!.u, db().appRole);
      t.true(after.rows[0]!.t === null || after.rows[0]!.t === '');
    });
  },
  {
    migrate: async (db) => {
      await migrateControl(db);
      await seed(db);
    },
  },
);
