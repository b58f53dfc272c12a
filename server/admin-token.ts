import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The admin API (tenants and keys across tenants) takes a bearer token. It comes from
 * CREST_ADMIN_TOKEN, or is generated once into <data>/admin-token with mode 0600: whoever can read
 * the data folder already owns the data, so that file is the local CLI's proof of authority.
 */
export function adminTokenPath(dataDir: string): string {
  return path.join(dataDir, 'admin-token');
}

export function loadOrCreateAdminToken(dataDir: string, fromEnv: string | undefined): string {
  if (fromEnv) return fromEnv;
  const file = adminTokenPath(dataDir);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true });
    const token = randomBytes(32).toString('base64url');
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return token;
  }
}

export function readAdminToken(dataDir: string, fromEnv: string | undefined): string | undefined {
  if (fromEnv) return fromEnv;
  try {
    return readFileSync(adminTokenPath(dataDir), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Compares digests, so neither length nor content leaks through timing. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
