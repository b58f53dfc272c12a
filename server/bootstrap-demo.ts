import { createKey } from '../control/keys.ts';
import { createTenant } from '../control/tenants.ts';
import type { Database } from '../db/database.ts';
import { CONTROL_SCHEMA } from '../db/migrations/index.ts';

/**
 * On the very first start, creates tenant `demo` with one key and returns its secret so it can be
 * printed once. A marker row in crest.meta makes this a one-time event: deleting `demo` later does
 * not bring it back.
 */
export async function bootstrapDemo(db: Database): Promise<{ keyId: string; secret: string } | undefined> {
  const claimed = await db.ownerTransaction(async (tx) => {
    const res = await tx.query(
      `INSERT INTO ${CONTROL_SCHEMA}.meta (key, value) VALUES ('demo_bootstrapped', to_jsonb(now())) ON CONFLICT (key) DO NOTHING RETURNING key`,
    );
    return res.rows.length === 1;
  });
  if (!claimed) return undefined;
  try {
    await createTenant(db, 'demo');
    const key = await db.ownerTransaction((tx) =>
      createKey(tx, 'demo', { scopes: ['all'], label: 'created on first start' }),
    );
    return { keyId: key.keyId, secret: key.secret };
  } catch (err) {
    // Let the next start try again rather than leave a marker with no demo tenant.
    await db.ownerTransaction((tx) =>
      tx.query(`DELETE FROM ${CONTROL_SCHEMA}.meta WHERE key = 'demo_bootstrapped'`),
    );
    throw err;
  }
}
