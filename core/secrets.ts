import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Key secrets are 32 random bytes, so a memory-hard hash is not strictly needed against brute force;
 * scrypt still protects a leaked credentials table from offline guessing if an operator sets a
 * weak secret by hand. N=2^14 costs ~30 ms here, which the auth cache amortises.
 */
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

export function newKeyId(): string {
  return `ck_${randomBytes(12).toString('base64url')}`;
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function scryptAsync(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(secret, salt);
  return `scrypt$${SCRYPT.N}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [alg, , saltB64, hashB64] = stored.split('$');
  if (alg !== 'scrypt' || !saltB64 || !hashB64) return false;
  const expected = Buffer.from(hashB64, 'base64url');
  const actual = await scryptAsync(secret, Buffer.from(saltB64, 'base64url'));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A fast fingerprint for cache keys: never stored, never compared without the slow hash first. */
export function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
