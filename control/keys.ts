import { AppError } from '../core/errors.ts';
import type { Scope } from '../core/scopes.ts';
import { parseScopes } from '../core/scopes.ts';
import { hashSecret, newKeyId, newSecret } from '../core/secrets.ts';
import type { Tx } from '../db/database.ts';
import { CONTROL_SCHEMA } from '../db/migrations/index.ts';

export interface KeyInfo {
  keyId: string;
  tenant: string;
  scopes: Scope[];
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

interface KeyRow {
  key_id: string;
  tenant_id: string;
  scopes: string[];
  label: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

const COLUMNS = 'key_id, tenant_id, scopes, label, created_at, revoked_at';

function toInfo(r: KeyRow): KeyInfo {
  return {
    keyId: r.key_id,
    tenant: r.tenant_id,
    scopes: r.scopes as Scope[],
    label: r.label,
    createdAt: new Date(r.created_at).toISOString(),
    revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
  };
}

/*
 * These functions take a Tx so the same SQL serves the CLI (owner transaction) and a tenant's own
 * key-management API (withTenant, where RLS confines every statement to that tenant's keys).
 */

/** Creates a key. The secret is returned once and only its scrypt hash is stored. */
export async function createKey(
  tx: Tx,
  tenant: string,
  opts: { scopes?: readonly string[] | string; label?: string } = {},
): Promise<KeyInfo & { secret: string }> {
  const scopes = parseScopes(opts.scopes);
  const keyId = newKeyId();
  const secret = newSecret();
  const res = await tx.query<KeyRow>(
    `INSERT INTO ${CONTROL_SCHEMA}.credentials (key_id, tenant_id, secret_hash, scopes, label)
     VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [keyId, tenant, await hashSecret(secret), scopes, opts.label ?? null],
  );
  return { ...toInfo(res.rows[0]!), secret };
}

export async function listKeys(tx: Tx, tenant: string): Promise<KeyInfo[]> {
  const res = await tx.query<KeyRow>(
    `SELECT ${COLUMNS} FROM ${CONTROL_SCHEMA}.credentials WHERE tenant_id = $1 ORDER BY created_at, key_id`,
    [tenant],
  );
  return res.rows.map(toInfo);
}

/** Revoking is permanent and idempotent; a key of another tenant is reported as not found. */
export async function revokeKey(tx: Tx, tenant: string, keyId: string): Promise<KeyInfo> {
  const res = await tx.query<KeyRow>(
    `UPDATE ${CONTROL_SCHEMA}.credentials SET revoked_at = coalesce(revoked_at, now())
     WHERE tenant_id = $1 AND key_id = $2 RETURNING ${COLUMNS}`,
    [tenant, keyId],
  );
  if (res.rows.length === 0) {
    throw new AppError('KEY_NOT_FOUND', `No key "${keyId}" in tenant "${tenant}".`, { keyId, tenant });
  }
  return toInfo(res.rows[0]!);
}

/** The JSON body that creates a key, for the tenant API and the admin API alike. */
export const CREATE_KEY_BODY_SCHEMA = {
  type: 'object',
  properties: {
    scopes: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 16 },
    label: { type: 'string', maxLength: 200 },
  },
  additionalProperties: false,
} as const;
