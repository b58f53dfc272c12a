import { LRUCache } from 'lru-cache';
import type { Scope } from '../core/scopes.ts';
import { fingerprint, hashSecret, verifySecret } from '../core/secrets.ts';
import type { Database } from '../db/database.ts';
import { CONTROL_SCHEMA } from '../db/migrations/index.ts';

export interface Principal {
  tenant: string;
  keyId: string;
  scopes: Scope[];
}

interface CredentialRow {
  key_id: string;
  tenant_id: string;
  secret_hash: string;
  scopes: string[];
  revoked_at: Date | null;
}

export interface Authenticator {
  authenticate(keyId: string, secret: string): Promise<Principal | undefined>;
  /** Drops a key from this process's cache, e.g. right after revoking it here. */
  forget(keyId: string): void;
}

/**
 * Resolves HTTP Basic credentials to a principal.
 * - Unknown, revoked and wrong-secret keys all cost one scrypt verification, so response timing does
 *   not reveal whether a key exists.
 * - A verified (key, secret) pair is cached for `ttlMs` by a SHA-256 fingerprint of the secret, so the
 *   hot path skips both the database and scrypt. A revocation in another process therefore takes
 *   effect within ttlMs; in this process `forget()` makes it immediate.
 */
export function createAuthenticator(
  db: Database,
  opts: { ttlMs: number; maxEntries?: number },
): Authenticator {
  const cache = new LRUCache<string, { fp: string; principal: Principal }>({
    max: opts.maxEntries ?? 10_000,
    ttl: Math.max(opts.ttlMs, 1),
  });
  const dummyHash = hashSecret('crest-timing-equaliser');
  // Single flight: at a cold start hundreds of requests arrive with the same credentials; they share
  // one database lookup and one scrypt verification instead of each paying for their own.
  const inFlight = new Map<string, Promise<Principal | undefined>>();

  return {
    async authenticate(keyId, secret) {
      const fp = fingerprint(`${keyId}:${secret}`);
      const hit = opts.ttlMs > 0 ? cache.get(keyId) : undefined;
      if (hit && hit.fp === fp) return hit.principal;
      const pending = inFlight.get(fp);
      if (pending) return pending;
      const verification = verify(keyId, secret, fp).finally(() => inFlight.delete(fp));
      inFlight.set(fp, verification);
      return verification;
    },
    forget(keyId) {
      cache.delete(keyId);
    },
  };

  async function verify(keyId: string, secret: string, fp: string): Promise<Principal | undefined> {
    const res =
      keyId.length > 0 && keyId.length <= 200
        ? await db.appTransaction({}, (tx) =>
            tx.query<CredentialRow>(
              `SELECT key_id, tenant_id, secret_hash, scopes, revoked_at FROM ${CONTROL_SCHEMA}.resolve_credential($1)`,
              [keyId],
            ),
          )
        : { rows: [] };
    const row = res.rows[0];
    const ok = await verifySecret(secret, row?.secret_hash ?? (await dummyHash));
    if (!row || !ok || row.revoked_at) return undefined;
    const principal: Principal = {
      tenant: row.tenant_id,
      keyId: row.key_id,
      scopes: row.scopes as Scope[],
    };
    if (opts.ttlMs > 0) cache.set(keyId, { fp, principal });
    return principal;
  }
}
