import type { KeyInfo } from '../control/keys.ts';
import { createKey, listKeys, revokeKey } from '../control/keys.ts';
import type { Tenant } from '../control/tenants.ts';
import { createTenant, deleteTenant, listTenants, tenantExists } from '../control/tenants.ts';
import { AppError, type ErrorCode } from '../core/errors.ts';
import type { Database } from '../db/database.ts';
import type { BlobStore } from '../storage/blob-store.ts';

/**
 * Administration across tenants, as the CLI and the admin API see it. The local form works on the
 * database directly; the remote form asks a running server, which is how the CLI administers an
 * embedded (PGlite) data folder that a server already holds.
 */
export interface ControlPlane {
  createTenant(name: string): Promise<Tenant>;
  listTenants(): Promise<Tenant[]>;
  deleteTenant(name: string): Promise<void>;
  createKey(
    tenant: string,
    opts: { scopes?: readonly string[] | string; label?: string },
  ): Promise<KeyInfo & { secret: string }>;
  listKeys(tenant: string): Promise<KeyInfo[]>;
  revokeKey(tenant: string, keyId: string): Promise<KeyInfo>;
}

export function localControlPlane(
  db: Database,
  blobs: BlobStore,
  onRevoke: (keyId: string) => void = () => undefined,
): ControlPlane {
  async function requireTenant(name: string): Promise<void> {
    if (!(await tenantExists(db, name))) {
      throw new AppError(
        'TENANT_NOT_FOUND',
        `No tenant named "${name}". Create it with "crest tenant create ${name}".`,
        { name },
      );
    }
  }
  return {
    createTenant: (name) => createTenant(db, name),
    listTenants: () => listTenants(db),
    async deleteTenant(name) {
      await deleteTenant(db, name);
      // After the commit: object storage isn't transactional, and orphaned blobs are harmless.
      await blobs.deletePrefix(`tenants/${name}/`);
    },
    async createKey(tenant, opts) {
      await requireTenant(tenant);
      return db.ownerTransaction((tx) => createKey(tx, tenant, opts));
    },
    async listKeys(tenant) {
      await requireTenant(tenant);
      return db.ownerTransaction((tx) => listKeys(tx, tenant));
    },
    async revokeKey(tenant, keyId) {
      await requireTenant(tenant);
      const info = await db.ownerTransaction((tx) => revokeKey(tx, tenant, keyId));
      onRevoke(keyId);
      return info;
    },
  };
}

export function remoteControlPlane(baseUrl: string, token: string): ControlPlane {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(`/admin/v1${path}`, baseUrl), {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new AppError(
        'DATABASE_UNAVAILABLE',
        `The Crest server holding this data folder (${baseUrl}) did not answer: ${(err as Error).message}. Is it still starting or stuck?`,
      );
    }
    if (res.status === 204) return undefined as T;
    const json = (await res.json().catch(() => ({}))) as { error?: { code: ErrorCode; message: string } };
    if (!res.ok) {
      throw new AppError(
        json.error?.code ?? 'INTERNAL',
        json.error?.message ?? `HTTP ${res.status} from ${baseUrl}`,
      );
    }
    return json as T;
  }
  const t = encodeURIComponent;
  return {
    createTenant: (name) => call('POST', '/tenants', { name }),
    listTenants: () => call('GET', '/tenants'),
    deleteTenant: (name) => call('DELETE', `/tenants/${t(name)}`),
    createKey: (tenant, opts) => call('POST', `/tenants/${t(tenant)}/keys`, opts),
    listKeys: (tenant) => call('GET', `/tenants/${t(tenant)}/keys`),
    revokeKey: (tenant, keyId) => call('DELETE', `/tenants/${t(tenant)}/keys/${t(keyId)}`),
  };
}
