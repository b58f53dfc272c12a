import { AppError } from './errors.ts';

/**
 * Tenant names become part of a schema name (`t_<name>`) and of blob keys, so they are restricted to a
 * safe lower-case identifier: that way they never need quoting in SQL and never contain a path separator.
 * PostgreSQL truncates identifiers at 63 bytes; 40 leaves room for the prefix and index-name suffixes.
 */
const TENANT_NAME = /^[a-z][a-z0-9_]{1,39}$/;

export function assertTenantName(name: string): string {
  if (typeof name !== 'string' || !TENANT_NAME.test(name)) {
    throw new AppError(
      'TENANT_NAME_INVALID',
      `Tenant name "${String(name)}" is not allowed: use 2–40 characters, lower-case letters, digits and _, starting with a letter (e.g. "acme" or "acme_eu").`,
      { name },
    );
  }
  return name;
}

export function tenantSchema(name: string): string {
  return `t_${assertTenantName(name)}`;
}
