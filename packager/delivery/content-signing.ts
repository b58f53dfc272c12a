import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Private course content without cookies: launch URLs carry a signed path segment
 * `/content/~<expiry>.<signature>/<tenant>/<course>/v<n>/<file>`. Because the token is a path segment,
 * every relative URL the content resolves (scripts, media) inherits it. The signature covers the
 * course version and the expiry, so a token opens one version of one course until it expires.
 * Behind CloudFront the usual production setup is signed cookies with a private origin; this token is
 * for direct delivery and for CDNs that forward the path.
 */
function mac(key: string, scope: string, expiry: number): string {
  return createHmac('sha256', key).update(`${scope}|${expiry}`).digest('base64url').slice(0, 22);
}

export function signContentScope(key: string, scope: string, ttlMs: number, now = Date.now()): string {
  const expiry = Math.floor((now + ttlMs) / 1000);
  return `~${expiry.toString(36)}.${mac(key, scope, expiry)}`;
}

/** True when the token was made with `key` for `scope` and has not expired. */
export function verifyContentToken(key: string, scope: string, token: string, now = Date.now()): boolean {
  const m = /^~([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m) return false;
  const expiry = Number.parseInt(m[1]!, 36);
  if (!Number.isSafeInteger(expiry) || expiry * 1000 < now) return false;
  const expected = Buffer.from(mac(key, scope, expiry));
  const given = Buffer.from(m[2]!);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
