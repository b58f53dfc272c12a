import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../core/errors.ts';

export interface LaunchClaims {
  tenant: string;
  registration: string;
  /** Unix seconds. */
  expiresAt: number;
  /** Where the player sends the learner when the course ends (signed with the rest, so it cannot be swapped). */
  exitUrl?: string;
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

function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}

/**
 * `<base64url(JSON claims)>.<base64url(HMAC-SHA256)>`. URL-safe, so it travels in paths (sendBeacon can set
 * no headers). It names one tenant and one registration, and nothing in it can be changed without the key.
 */
export function signLaunchToken(key: Buffer, claims: LaunchClaims): string {
  const body = Buffer.from(
    JSON.stringify({ t: claims.tenant, r: claims.registration, e: claims.expiresAt, x: claims.exitUrl }),
  ).toString('base64url');
  return `${body}.${mac(key, body)}`;
}

const INVALID = 'The launch link is invalid or has expired; ask for a new one.';

/** The claims of a token signed with `key` and not yet expired; 401 LAUNCH_TOKEN_INVALID otherwise. */
export function verifyLaunchToken(key: Buffer, token: string, now = Date.now()): LaunchClaims {
  const m = /^([A-Za-z0-9_-]{10,3000})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) throw new AppError('LAUNCH_TOKEN_INVALID', INVALID);
  const expected = Buffer.from(mac(key, m[1]!));
  const given = Buffer.from(m[2]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    throw new AppError('LAUNCH_TOKEN_INVALID', INVALID);
  let claims: { t?: unknown; r?: unknown; e?: unknown; x?: unknown };
  try {
    claims = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8'));
  } catch {
    throw new AppError('LAUNCH_TOKEN_INVALID', INVALID);
  }
  if (typeof claims.t !== 'string' || typeof claims.r !== 'string' || typeof claims.e !== 'number')
    throw new AppError('LAUNCH_TOKEN_INVALID', INVALID);
  if (claims.e * 1000 <= now) throw new AppError('LAUNCH_TOKEN_INVALID', INVALID, { expired: true });
  const out: LaunchClaims = { tenant: claims.t, registration: claims.r, expiresAt: claims.e };
  if (typeof claims.x === 'string') out.exitUrl = claims.x;
  return out;
}
