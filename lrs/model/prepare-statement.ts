import { randomUUID } from 'node:crypto';
import type { Principal } from '../../control/authenticator.ts';
import type { XapiVersion } from '../input/version.ts';
import type { Json } from './statement-index.ts';

export const VOIDED_VERB = 'http://adlnet.gov/expapi/verbs/voided';

/**
 * The authority the LRS asserts for statements sent with a tenant key (xAPI 2.0 Part Two §2.4.9: the
 * LRS sets authority from the credentials, overwriting whatever the client sent).
 */
export function authorityFor(principal: Principal, baseUrl: string): Json {
  return { objectType: 'Agent', account: { homePage: baseUrl, name: principal.keyId } };
}

/**
 * Fills in what the LRS owns (xAPI 2.0 Part Two §2.4): a UUID id when absent, `stored` (millisecond
 * precision, §2.4.8), `timestamp` = stored when absent (§2.4.7), `authority` (§2.4.9) and `version`
 * (§2.4.10: "1.0.0" for 1.0.x requests, "2.0.0" for 2.0 ones, when the client sent none).
 */
export function prepareStatement(
  s: Json,
  ctx: { stored: string; authority: Json; version: XapiVersion },
): Json {
  const out = normaliseContextActivities({ ...s });
  if (out.object?.objectType === 'SubStatement') out.object = normaliseContextActivities({ ...out.object });
  out.id = typeof s.id === 'string' ? s.id.toLowerCase() : randomUUID();
  out.stored = ctx.stored;
  if (out.timestamp === undefined) out.timestamp = ctx.stored;
  out.authority = ctx.authority;
  if (out.version === undefined) out.version = ctx.version === '2.0.0' ? '2.0.0' : '1.0.0';
  return out;
}

export function isVoiding(s: Json): boolean {
  return s.verb?.id === VOIDED_VERB && s.object?.objectType === 'StatementRef';
}

export function refTarget(s: Json): string | undefined {
  return s.object?.objectType === 'StatementRef' && typeof s.object.id === 'string'
    ? s.object.id.toLowerCase()
    : undefined;
}

/** xAPI 2.0 Part Two §2.4.6.2: a single contextActivities object is returned as a one-element array. */
function normaliseContextActivities(s: Json): Json {
  const ca = s.context?.contextActivities;
  if (!ca || typeof ca !== 'object') return s;
  const fixed = Object.fromEntries(Object.entries(ca).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
  return { ...s, context: { ...s.context, contextActivities: fixed } };
}
