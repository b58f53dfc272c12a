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

interface CacheEntry {
  fp: string;
  principal: Principal;
  secretHash: string;
  verifiedAt: number;
}

function toPrincipal(row: CredentialRow): Principal {
  return { tenant: row.tenant_id, keyId: row.key_id, scopes: row.scopes as Scope[] };
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
 * - A key in use is re-checked in the background once its entry is 3/4 through its TTL (a database
 *   lookup, no scrypt: the secret was verified against the same hash), so a busy key never expires
 *   and its requests never queue behind a fresh verification.
 */
export function createAuthenticator(
  db: Database,
  opts: { ttlMs: number; maxEntries?: number },
): Authenticator {
  const cache = new LRUCache<string, CacheEntry>({
    max: opts.maxEntries ?? 10_000,
    ttl: Math.max(opts.ttlMs, 1),
  });
  const dummyHash = hashSecret('crest-timing-equaliser');
  // Single flight: at a cold start hundreds of requests arrive with the same credentials; they share
  // one database lookup and one scrypt verification instead of each paying for their own.
  const inFlight = new Map<string, Promise<Principal | undefined>>();
  const refreshing = new Set<string>();
  const refreshAfterMs = opts.ttlMs * 0.75;

  return {
    async authenticate(keyId, secret) {
      const fp = fingerprint(`${keyId}:${secret}`);
      const hit = opts.ttlMs > 0 ? cache.get(keyId) : undefined;
      if (hit && hit.fp === fp) {
        if (Date.now() - hit.verifiedAt > refreshAfterMs) refresh(keyId, hit);
        return hit.principal;
      }
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

  function lookup(keyId: string): Promise<CredentialRow | undefined> {
    return db.appTransaction({}, async (tx) => {
      const res = await tx.query<CredentialRow>(
        `SELECT key_id, tenant_id, secret_hash, scopes, revoked_at FROM ${CONTROL_SCHEMA}.resolve_credential($1)`,
        [keyId],
      );
      return res.rows[0];
    });
  }

  function refresh(keyId: string, entry: CacheEntry): void {
    if (refreshing.has(keyId)) return;
    refreshing.add(keyId);
    lookup(keyId)
      .then((row) => {
        // Only the entry that was checked is renewed or dropped; a newer one stays as it is.
        if (cache.get(keyId) !== entry) return;
        if (!row || row.revoked_at || row.secret_hash !== entry.secretHash) cache.delete(keyId);
        else cache.set(keyId, { ...entry, principal: toPrincipal(row), verifiedAt: Date.now() });
      })
      // A failed refresh leaves the entry to expire at its TTL, when the next request verifies afresh.
      .catch(() => {})
      .finally(() => refreshing.delete(keyId));
  }

  async function verify(keyId: string, secret: string, fp: string): Promise<Principal | undefined> {
    const row = keyId.length > 0 && keyId.length <= 200 ? await lookup(keyId) : undefined;
    const ok = await verifySecret(secret, row?.secret_hash ?? (await dummyHash));
    if (!row || !ok || row.revoked_at) return undefined;
    const principal = toPrincipal(row);
    if (opts.ttlMs > 0)
      cache.set(keyId, { fp, principal, secretHash: row.secret_hash, verifiedAt: Date.now() });
    return principal;
  }
}
