import { assertTenantName, tenantSchema } from '../core/tenant-name.ts';
import type { Database, Tx } from './database.ts';

/**
 * The only way to tenant data. One transaction, as the app role, with search_path set to the tenant's
 * schema and app.tenant_id set for the RLS policies — both SET LOCAL, so they end with the transaction
 * and can never leak to the next user of a pooled connection.
 */
export function withTenant<T>(db: Database, tenant: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  assertTenantName(tenant);
  return db.appTransaction({ search_path: tenantSchema(tenant), 'app.tenant_id': tenant }, fn);
}
