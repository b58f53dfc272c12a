import { AppError } from './errors.ts';

/** xAPI 2.0 §4.1.2 (1.0.3 Part Three §4.2 "OAuth Authorization Scope"): the scope names an LRS recognises. */
export const XAPI_SCOPES = [
  'statements/write',
  'statements/read',
  'statements/read/mine',
  'state',
  'define',
  'profile',
  'all/read',
  'all',
] as const;

export type Scope = (typeof XAPI_SCOPES)[number];

export function parseScopes(input: readonly string[] | string | undefined): Scope[] {
  const list = (typeof input === 'string' ? input.split(/[\s,]+/) : (input ?? [])).filter(
    (s) => s.length > 0,
  );
  if (list.length === 0) return ['all'];
  for (const s of list) {
    if (!(XAPI_SCOPES as readonly string[]).includes(s)) {
      throw new AppError('SCOPE_INVALID', `Unknown scope "${s}". Valid scopes: ${XAPI_SCOPES.join(', ')}.`, {
        scope: s,
      });
    }
  }
  return [...new Set(list)] as Scope[];
}

/** Which granted scopes satisfy a needed one: `all` covers everything, `all/read` covers reads. */
export function hasScope(granted: readonly Scope[], needed: Scope): boolean {
  if (granted.includes('all') || granted.includes(needed)) return true;
  const isRead = needed === 'statements/read' || needed === 'statements/read/mine';
  if (isRead && granted.includes('all/read')) return true;
  if (needed === 'statements/read/mine' && granted.includes('statements/read')) return true;
  return false;
}
