import type { Knex } from 'knex';
import { ident, sqlLiteral } from '../database.ts';
import { runSql } from './types.ts';

/**
 * Locks a tenant table down. Two independent guards, so one mistake can't leak a row:
 *  - RLS (ENABLE + FORCE, so the table owner is bound too): rows are visible and writable only when
 *    tenant_id = current_setting('app.tenant_id'), which withTenant() sets per transaction;
 *  - a CHECK constraint pinning tenant_id to this schema's tenant, so a row of tenant A can never be
 *    written into tenant B's schema even by a role that bypasses RLS.
 */
export async function secureTenantTable(
  knex: Knex,
  schema: string,
  table: string,
  tenant: string,
  appRole: string,
  grants = 'SELECT, INSERT, UPDATE, DELETE',
): Promise<void> {
  const t = `${ident(schema)}.${ident(table)}`;
  await runSql(knex, [
    `ALTER TABLE ${t} ADD CONSTRAINT ${ident(`${table}_tenant_pinned`)} CHECK (tenant_id = ${sqlLiteral(tenant)})`,
    `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`,
    `CREATE POLICY tenant_isolation ON ${t} USING (tenant_id = current_setting('app.tenant_id', true)) WITH CHECK (tenant_id = current_setting('app.tenant_id', true))`,
    `GRANT ${grants} ON ${t} TO ${ident(appRole)}`,
  ]);
}
