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

/** A preHandler that authenticates the tenant key and checks one scope. */
export function requireAuth(authenticator: Authenticator, scope: Scope) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const creds = parseBasic(request.headers.authorization);
    const principal = creds ? await authenticator.authenticate(creds.key, creds.secret) : undefined;
    if (!principal) {
      reply.header('www-authenticate', 'Basic realm="Crest", charset="UTF-8"');
      throw new AppError(
        'UNAUTHENTICATED',
        creds
          ? 'The key or secret is wrong, or the key was revoked.'
          : 'Send HTTP Basic credentials: the tenant key as user name and its secret as password.',
      );
    }
    if (!hasScope(principal.scopes, scope)) {
      throw new AppError(
        'FORBIDDEN',
        `This key lacks the "${scope}" scope (it has: ${principal.scopes.join(', ')}).`,
        {
          needed: scope,
        },
      );
    }
    request.principal = principal;
  };
}
