import type { Json } from './statement-index.ts';

/**
 * xAPI 2.0 Part Three §2.1.3 / 1.0.3 Data §2.3.x "Statement Comparison Requirements": two statements
 * with the same id are the same when they match ignoring the properties the LRS sets (authority,
 * stored, version), JSON key order, the case of UUIDs, and timestamps that name the same instant.
 */
const IGNORED = new Set(['authority', 'stored', 'version']);

function canonical(value: Json, top: boolean): Json {
  if (Array.isArray(value)) return value.map((v) => canonical(v, false));
  if (value && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const key of Object.keys(value).sort()) {
      if (top && IGNORED.has(key)) continue;
      let v = value[key];
      if (key === 'timestamp' && typeof v === 'string') {
        const ms = Date.parse(v);
        if (!Number.isNaN(ms)) v = new Date(ms).toISOString();
      } else if (
        (key === 'id' || key === 'registration') &&
        typeof v === 'string' &&
        /^[0-9a-f-]{36}$/i.test(v)
      ) {
        v = v.toLowerCase();
      }
      out[key] = canonical(v, false);
    }
    return out;
  }
  return value;
}

/** A timestamp equal to `stored` was filled in by the LRS, not sent by the client. */
function clientTimestamp(s: Json): unknown {
  return s.timestamp !== undefined && s.timestamp === s.stored ? undefined : s.timestamp;
}

export function sameStatement(a: Json, b: Json): boolean {
  const ca = canonical({ ...a, timestamp: clientTimestamp(a) }, true);
  const cb = canonical({ ...b, timestamp: clientTimestamp(b) }, true);
  // When one side omitted timestamp the LRS filled it with `stored`; that is not a client difference.
  if (ca.timestamp === undefined || cb.timestamp === undefined) {
    delete ca.timestamp;
    delete cb.timestamp;
  }
  return JSON.stringify(ca) === JSON.stringify(cb);
}
