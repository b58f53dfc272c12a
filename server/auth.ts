import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../control/authenticator.ts';
import { AppError } from '../core/errors.ts';
import type { Scope } from '../core/scopes.ts';
import { hasScope } from '../core/scopes.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Parses `Authorization: Basic base64(key:secret)` (RFC 7617). Returns undefined when absent or malformed. */
export function parseBasic(header: string | undefined): { key: string; secret: string } | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i <= 0) return undefined;
  return { key: decoded.slice(0, i), secret: decoded.slice(i + 1) };
}

/**
 * Authenticates an Authorization header and checks that the key holds one of `scopes`. Throws 401 with
 * the same message whether the key is unknown, wrong or revoked, and 403 naming the missing scope.
 */
export async function authenticateHeader(
  authenticator: Authenticator,
  header: string | undefined,
  scopes: readonly Scope[],
): Promise<Principal> {
  const creds = parseBasic(header);
  const principal = creds ? await authenticator.authenticate(creds.key, creds.secret) : undefined;
  if (!principal) {
    throw new AppError(
      'UNAUTHENTICATED',
      creds
        ? 'The key or secret is wrong, or the key was revoked.'
        : 'Send HTTP Basic credentials: the tenant key as user name and its secret as password.',
    );
  }
  if (!scopes.some((s) => hasScope(principal.scopes, s))) {
    throw new AppError(
      'FORBIDDEN',
      `This key lacks the "${scopes.join('" or "')}" scope (it has: ${principal.scopes.join(', ')}).`,
      { needed: scopes },
    );
  }
  return principal;
}

export const BASIC_CHALLENGE = 'Basic realm="Crest", charset="UTF-8"';

/** A preHandler that authenticates the tenant key and checks one scope. */
export function requireAuth(authenticator: Authenticator, scope: Scope) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      request.principal = await authenticateHeader(authenticator, request.headers.authorization, [scope]);
    } catch (err) {
      if ((err as AppError).code === 'UNAUTHENTICATED') reply.header('www-authenticate', BASIC_CHALLENGE);
      throw err;
    }
  };
}
