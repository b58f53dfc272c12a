import { createHmac, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { AppError } from '../core/errors.ts';

export interface LaunchClaims {
  tenant: string;
  registration: string;
  /** Unix seconds. */
  expiresAt: number;
}

/**
 * The key launch tokens are signed with. CREST_LAUNCH_SIGNING_KEY when set; otherwise an HMAC of the admin
 * token, which Crest already keeps as a secret (from CREST_ADMIN_TOKEN, or generated once into the data folder
 * with mode 0600). Deriving it, instead of persisting another file, means every process that shares the admin
 * token verifies the same links, and rotating the admin token also revokes outstanding launch links.
 */
export function launchSigningKey(configured: string | undefined, adminToken: string): Buffer {
  if (configured) return Buffer.from(configured, 'utf8');
  return createHmac('sha256', adminToken).update('crest/runtime/launch-token/v1').digest();
}

/** HMAC-SHA256 truncated to 128 bits (RFC 2104 §5: at least half the hash length). */
function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest().subarray(0, 16).toString('base64url');
}

/**
 * `<tenant>.<base64url(registration UUID bytes + expiry uint32)>.<MAC>`: at most 91 URL-safe characters, so it
 * fits a path segment (fastify's 100-character parameter limit) and travels in paths, where sendBeacon, which
 * sets no headers, can carry it. It names one tenant and one registration; nothing in it can be changed
 * without the key.
 */
export function signLaunchToken(key: Buffer, claims: LaunchClaims): string {
  const bytes = Buffer.alloc(20);
  Buffer.from(claims.registration.replaceAll('-', ''), 'hex').copy(bytes);
  bytes.writeUInt32BE(claims.expiresAt, 16);
  const signed = `${claims.tenant}.${bytes.toString('base64url')}`;
  return `${signed}.${mac(key, signed)}`;
}

const INVALID = 'The launch link is invalid or has expired; ask for a new one.';

/**
 * Tokens whose signature was checked, by token: every commit of a session carries the same one, and the HMAC
 * was a few percent of a commit's CPU. Expiry is still checked on every use.
 */
const verified = new LRUCache<string, { key: Buffer; claims: LaunchClaims }>({ max: 100_000 });

/** The claims of a token signed with `key` and not yet expired; 401 LAUNCH_TOKEN_INVALID otherwise. */
export function verifyLaunchToken(key: Buffer, token: string, now = Date.now()): LaunchClaims {
  const known = verified.get(token);
  const claims = known?.key === key ? known.claims : checkSignature(key, token);
  if (claims.expiresAt * 1000 <= now) throw new AppError('LAUNCH_TOKEN_INVALID', INVALID, { expired: true });
  if (!known) verified.set(token, { key, claims });
  return claims;
}

function checkSignature(key: Buffer, token: string): LaunchClaims {
  const m = /^([a-z][a-z0-9_]{1,39})\.([A-Za-z0-9_-]{27})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m) throw new AppError('LAUNCH_TOKEN_INVALID', INVALID);
  const expected = Buffer.from(mac(key, `${m[1]}.${m[2]}`));
  const given = Buffer.from(m[3]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    throw new AppError('LAUNCH_TOKEN_INVALID', INVALID);
  const bytes = Buffer.from(m[2]!, 'base64url');
  const hex = bytes.subarray(0, 16).toString('hex');
  const registration = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { tenant: m[1]!, registration, expiresAt: bytes.readUInt32BE(16) };
}
