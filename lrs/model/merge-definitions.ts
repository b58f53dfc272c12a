import type { Json } from './statement-index.ts';

/**
 * Canonical activity definitions (xAPI 2.0 Part Two §2.4.4.1): a later definition refines an earlier
 * one; language maps are merged key by key, any other field is replaced. The SQL below does the same
 * merge inside the activities upsert, so batches and the stored row agree.
 */
export function mergeDefinitions(previous: Json | undefined, next: Json): Json {
  if (!previous) return next;
  const out: Json = { ...previous };
  for (const [k, v] of Object.entries(next)) {
    const old = previous[k];
    const bothMaps =
      old &&
      v &&
      typeof old === 'object' &&
      typeof v === 'object' &&
      !Array.isArray(old) &&
      !Array.isArray(v);
    out[k] = bothMaps ? { ...old, ...(v as object) } : v;
  }
  return out;
}

/** `ON CONFLICT (iri) DO UPDATE` for `activities`: mergeDefinitions(stored, EXCLUDED) in SQL. */
export const MERGE_DEFINITION_ON_CONFLICT = `ON CONFLICT (iri) DO UPDATE SET updated_at = now(), definition = (
  SELECT coalesce(jsonb_object_agg(k, CASE
      WHEN jsonb_typeof(activities.definition -> k) = 'object' AND jsonb_typeof(EXCLUDED.definition -> k) = 'object'
        THEN (activities.definition -> k) || (EXCLUDED.definition -> k)
      ELSE coalesce(EXCLUDED.definition -> k, activities.definition -> k) END), '{}'::jsonb)
  FROM (SELECT jsonb_object_keys(activities.definition || EXCLUDED.definition) AS k) keys)`;

/** `ON CONFLICT (agent_key) DO UPDATE` for `agents`: the union of the names seen. */
export const MERGE_NAMES_ON_CONFLICT =
  'ON CONFLICT (agent_key) DO UPDATE SET names = ARRAY(SELECT DISTINCT unnest(agents.names || EXCLUDED.names))';

export function sortedBy<T>(list: T[], key: (item: T) => string): T[] {
  return list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
