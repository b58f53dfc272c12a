import { type AgentLike, agentKey } from '../input/agent-key.ts';
import { mergeDefinitions, sortedBy } from './merge-definitions.ts';

/** A loosely typed statement: the validator has already checked its shape. */
// biome-ignore lint/suspicious/noExplicitAny: statements are arbitrary validated JSON
export type Json = any;

export interface StatementIndex {
  /** Agent keys with `related = false` for actor and object, true for every other position. */
  agents: { key: string; related: boolean }[];
  activities: { iri: string; related: boolean }[];
  /** Agents seen with their IFI and name, for the Agents resource's Person object. */
  people: { key: string; ifi: Record<string, unknown>; name: string | undefined }[];
  /** Activity definitions seen, for the Activities resource. */
  definitions: { iri: string; definition: Json }[];
}

function ifiOf(a: AgentLike): Record<string, unknown> {
  if (a.mbox !== undefined) return { mbox: a.mbox };
  if (a.mbox_sha1sum !== undefined) return { mbox_sha1sum: a.mbox_sha1sum };
  if (a.openid !== undefined) return { openid: a.openid };
  return { account: a.account };
}

/**
 * Everything the filters of xAPI 2.0 Part Three §2.1.3 need, pulled out of one statement:
 * - `agent` matches the actor or object (direct); with related_agents=true also authority, context
 *   instructor and team, group members, contextAgents/contextGroups (2.0) and SubStatement agents;
 * - `activity` matches the object (direct); with related_activities=true also contextActivities and
 *   the SubStatement's object and context activities.
 */
export function indexStatement(s: Json): StatementIndex {
  const agents = new Map<string, boolean>();
  const activities = new Map<string, boolean>();
  const people = new Map<string, { key: string; ifi: Record<string, unknown>; name: string | undefined }>();
  const definitions: { iri: string; definition: Json }[] = [];

  const addAgent = (a: AgentLike | undefined, related: boolean) => {
    if (!a || typeof a !== 'object') return;
    const key = agentKey(a);
    if (key) {
      agents.set(key, (agents.get(key) ?? true) && related);
      if (a.objectType !== 'Group') people.set(key, { key, ifi: ifiOf(a), name: a.name });
    }
    for (const m of a.member ?? []) addAgent(m, true);
  };
  const addActivity = (act: Json, related: boolean) => {
    if (!act || typeof act.id !== 'string') return;
    activities.set(act.id, (activities.get(act.id) ?? true) && related);
    if (act.definition) definitions.push({ iri: act.id, definition: act.definition });
  };
  const addObject = (obj: Json, related: boolean) => {
    if (!obj) return;
    const type = obj.objectType ?? 'Activity';
    if (type === 'Activity') addActivity(obj, related);
    else if (type === 'Agent' || type === 'Group') addAgent(obj, related);
  };
  const addContext = (ctx: Json) => {
    if (!ctx) return;
    addAgent(ctx.instructor, true);
    addAgent(ctx.team, true);
    for (const ca of ctx.contextAgents ?? []) addAgent(ca?.agent, true);
    for (const cg of ctx.contextGroups ?? []) addAgent(cg?.group, true);
    const ca = ctx.contextActivities ?? {};
    for (const kind of ['parent', 'grouping', 'category', 'other']) {
      const list = ca[kind];
      for (const act of Array.isArray(list) ? list : list ? [list] : []) addActivity(act, true);
    }
  };

  addAgent(s.actor, false);
  addObject(s.object, false);
  addAgent(s.authority, true);
  addContext(s.context);
  if (s.object?.objectType === 'SubStatement') {
    addAgent(s.object.actor, true);
    addObject(s.object.object, true);
    addContext(s.object.context);
  }
  return {
    agents: [...agents].map(([key, related]) => ({ key, related })),
    activities: [...activities].map(([iri, related]) => ({ iri, related })),
    people: [...people.values()],
    definitions,
  };
}

export interface BatchIndex {
  agents: { id: string; key: string; related: boolean }[];
  activities: { id: string; iri: string; related: boolean }[];
  /** One row per agent key with every name seen, in key order (the upsert's lock order). */
  people: { key: string; ifi: Record<string, unknown>; names: string[] }[];
  /** One merged definition per activity IRI, in IRI order (the upsert's lock order). */
  definitions: { iri: string; definition: Json }[];
}

/** The index rows and upserts for a batch of statements, shared by both write paths. */
export function indexBatch(statements: Iterable<Json>): BatchIndex {
  const agents: BatchIndex['agents'] = [];
  const activities: BatchIndex['activities'] = [];
  const people = new Map<string, BatchIndex['people'][number]>();
  const definitions = new Map<string, Json>();
  for (const s of statements) {
    const idx = indexStatement(s);
    for (const a of idx.agents) agents.push({ id: s.id, key: a.key, related: a.related });
    for (const a of idx.activities) activities.push({ id: s.id, iri: a.iri, related: a.related });
    for (const p of idx.people) {
      const entry = people.get(p.key) ?? { key: p.key, ifi: p.ifi, names: [] };
      if (p.name && !entry.names.includes(p.name)) entry.names.push(p.name);
      people.set(p.key, entry);
    }
    for (const d of idx.definitions)
      definitions.set(d.iri, mergeDefinitions(definitions.get(d.iri), d.definition));
  }
  return {
    agents,
    activities,
    people: sortedBy([...people.values()], (p) => p.key),
    definitions: sortedBy(
      [...definitions].map(([iri, definition]) => ({ iri, definition })),
      (d) => d.iri,
    ),
  };
}
