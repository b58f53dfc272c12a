import type { StatementFormat } from '../input/statement-query.ts';
import type { Json } from './statement-index.ts';

/**
 * xAPI 2.0 Part Three §2.1.3 `format`:
 * - exact: as stored;
 * - ids: agents and identified groups reduced to objectType + IFI, anonymous groups to their members'
 *   ids, activities and verbs to `{ id }`;
 * - canonical: every language map reduced to the one entry that best fits Accept-Language.
 */
export function formatStatement(s: Json, format: StatementFormat, languages: readonly string[]): Json {
  if (format === 'exact') return s;
  return format === 'ids' ? idsStatement(s) : canonicalStatement(s, languages);
}

const IFI_KEYS = ['mbox', 'mbox_sha1sum', 'openid', 'account'] as const;

function idsAgent(a: Json): Json {
  if (!a || typeof a !== 'object') return a;
  const out: Json = {};
  if (a.objectType) out.objectType = a.objectType;
  const ifi = IFI_KEYS.find((k) => a[k] !== undefined);
  if (ifi) out[ifi] = a[ifi];
  else if (Array.isArray(a.member)) out.member = a.member.map(idsAgent);
  return out;
}

function idsObject(o: Json): Json {
  if (!o) return o;
  const type = o.objectType ?? 'Activity';
  if (type === 'Activity') return { id: o.id };
  if (type === 'Agent' || type === 'Group') return idsAgent(o);
  if (type === 'SubStatement') return idsStatement(o);
  return o;
}

function idsContext(c: Json): Json {
  if (!c) return c;
  const out: Json = { ...c };
  if (c.instructor) out.instructor = idsAgent(c.instructor);
  if (c.team) out.team = idsAgent(c.team);
  if (c.contextActivities) {
    out.contextActivities = Object.fromEntries(
      Object.entries(c.contextActivities).map(([k, list]) => [
        k,
        (list as Json[]).map((a) => ({ id: a.id })),
      ]),
    );
  }
  if (Array.isArray(c.contextAgents))
    out.contextAgents = c.contextAgents.map((x: Json) => ({ ...x, agent: idsAgent(x.agent) }));
  if (Array.isArray(c.contextGroups))
    out.contextGroups = c.contextGroups.map((x: Json) => ({ ...x, group: idsAgent(x.group) }));
  return out;
}

function idsStatement(s: Json): Json {
  const out: Json = { ...s, actor: idsAgent(s.actor), verb: { id: s.verb?.id }, object: idsObject(s.object) };
  if (s.context) out.context = idsContext(s.context);
  if (s.authority) out.authority = idsAgent(s.authority);
  return out;
}

/** Picks the entry of a language map that best fits the caller's preferences (RFC 4647 lookup). */
export function pickLanguage(
  map: Record<string, string>,
  languages: readonly string[],
): Record<string, string> {
  const keys = Object.keys(map);
  if (keys.length <= 1) return map;
  for (const wanted of languages) {
    const w = wanted.toLowerCase();
    const exact = keys.find((k) => k.toLowerCase() === w);
    if (exact) return { [exact]: map[exact]! };
    const prefix = keys.find(
      (k) => k.toLowerCase().startsWith(`${w}-`) || w.startsWith(`${k.toLowerCase()}-`),
    );
    if (prefix) return { [prefix]: map[prefix]! };
  }
  const fallback = keys.find((k) => k.toLowerCase() === 'und') ?? keys[0]!;
  return { [fallback]: map[fallback]! };
}

function canonicalActivity(a: Json, languages: readonly string[]): Json {
  if (!a?.definition) return a;
  const d = { ...a.definition };
  for (const k of ['name', 'description']) if (d[k]) d[k] = pickLanguage(d[k], languages);
  for (const k of ['choices', 'scale', 'source', 'target', 'steps']) {
    if (Array.isArray(d[k])) {
      d[k] = d[k].map((c: Json) =>
        c.description ? { ...c, description: pickLanguage(c.description, languages) } : c,
      );
    }
  }
  return { ...a, definition: d };
}

function canonicalStatement(s: Json, languages: readonly string[]): Json {
  const out: Json = { ...s };
  if (s.verb?.display) out.verb = { ...s.verb, display: pickLanguage(s.verb.display, languages) };
  const type = s.object?.objectType ?? 'Activity';
  if (type === 'Activity') out.object = canonicalActivity(s.object, languages);
  else if (type === 'SubStatement') out.object = canonicalStatement(s.object, languages);
  if (s.context?.contextActivities) {
    out.context = {
      ...s.context,
      contextActivities: Object.fromEntries(
        Object.entries(s.context.contextActivities).map(([k, list]) => [
          k,
          (list as Json[]).map((a) => canonicalActivity(a, languages)),
        ]),
      ),
    };
  }
  if (Array.isArray(s.attachments)) {
    out.attachments = s.attachments.map((a: Json) => ({
      ...a,
      display: a.display ? pickLanguage(a.display, languages) : a.display,
      ...(a.description ? { description: pickLanguage(a.description, languages) } : {}),
    }));
  }
  return out;
}

/** Parses Accept-Language into tags ordered by quality (RFC 9110 §12.5.4). */
export function acceptLanguages(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
      return { tag: tag!.trim(), q: q === undefined ? 1 : Number(q), i };
    })
    .filter((x) => x.tag && x.tag !== '*' && x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .map((x) => x.tag);
}
