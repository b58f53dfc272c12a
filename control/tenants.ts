import { AppError } from '../core/errors.ts';
import { assertTenantName, tenantSchema } from '../core/tenant-name.ts';
import type { Database } from '../db/database.ts';
import { ident } from '../db/database.ts';
import { migrateTenant } from '../db/migrate.ts';
import { CONTROL_SCHEMA } from '../db/migrations/index.ts';

export interface Tenant {
  name: string;
  createdAt: string;
}

/**
 * Registers the tenant and builds its schema. If the schema migration fails, the registration and any
 * partly built schema are removed again, so a failed create leaves nothing behind.
 */
export async function createTenant(db: Database, name: string): Promise<Tenant> {
  assertTenantName(name);
  const row = await db.ownerTransaction(async (tx) => {
    const res = await tx.query<{ name: string; created_at: Date }>(
      `INSERT INTO ${CONTROL_SCHEMA}.tenants (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING name, created_at`,
      [name],
    );
    if (res.rows.length === 0) {
      throw new AppError(
        'TENANT_EXISTS',
        `Tenant "${name}" already exists. Pick another name, or list them with "crest tenant list".`,
        { name },
      );
    }
    return res.rows[0]!;
  });
  try {
    await migrateTenant(db, name);
  } catch (err) {
    await dropTenantData(db, name).catch(() => undefined);
    throw err;
  }
  return { name: row.name, createdAt: new Date(row.created_at).toISOString() };
}

export async function listTenants(db: Database): Promise<Tenant[]> {
  const res = await db.ownerTransaction((tx) =>
    tx.query<{ name: string; created_at: Date }>(
      `SELECT name, created_at FROM ${CONTROL_SCHEMA}.tenants ORDER BY name`,
    ),
  );
  return res.rows.map((r) => ({ name: r.name, createdAt: new Date(r.created_at).toISOString() }));
}

export async function tenantExists(db: Database, name: string): Promise<boolean> {
  assertTenantName(name);
  const res = await db.ownerTransaction((tx) =>
    tx.query(`SELECT 1 FROM ${CONTROL_SCHEMA}.tenants WHERE name = $1`, [name]),
  );
  return res.rows.length > 0;
}

async function dropTenantData(db: Database, name: string): Promise<number> {
  return db.ownerTransaction(async (tx) => {
    await tx.query(`DROP SCHEMA IF EXISTS ${ident(tenantSchema(name))} CASCADE`);
    await tx.query(`DELETE FROM ${CONTROL_SCHEMA}.outbox WHERE tenant_id = $1`, [name]);
    const res = await tx.query(`DELETE FROM ${CONTROL_SCHEMA}.tenants WHERE name = $1`, [name]);
    return res.rowCount;
  });
}

/**
 * Deletes the tenant's schema, credentials (cascade) and pending outbox rows in one transaction.
 * Blobs are removed by the caller (server/control-plane.ts) after the commit, since object storage
 * is not transactional: a crash between the two leaves orphaned blobs, never orphaned rows.
 */
export async function deleteTenant(db: Database, name: string): Promise<void> {
  assertTenantName(name);
  const removed = await dropTenantData(db, name);
  if (removed === 0) throw new AppError('TENANT_NOT_FOUND', `No tenant named "${name}".`, { name });
}
