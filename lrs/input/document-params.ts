import { AppError } from '../../core/errors.ts';
import { type AgentLike, agentKeyFromParam } from './agent-key.ts';
import type { XapiVersion } from './version.ts';

/*
 * Request → validated input for the Document Resources (State, Activity Profile, Agent Profile) and
 * for the Activities and Agents resources. Pure: no I/O, every failure is an AppError 400 that names
 * the parameter or header at fault.
 *
 * Spec references: xAPI 1.0.3 Communication §2.2–2.7, §3.1 (Concurrency), §3.2 (Error Codes);
 * xAPI 2.0 (IEEE 9274.1.1) LRS §4.1.4 (Concurrency), §4.1.6.2–4.1.6.6 (the resources).
 */

export type DocumentKind = 'state' | 'activity_profile' | 'agent_profile';
export type DocumentResource = 'activities/state' | 'activities/profile' | 'agents/profile';
export type DocumentMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';

/** The collection a document lives in. Unused parts are '' (and registration null), as stored. */
export interface DocumentContext {
  kind: DocumentKind;
  activityIri: string;
  agentKey: string;
  /** Lower-case UUID, or null when the request has none. */
  registration: string | null;
}

export interface DocumentQuery {
  context: DocumentContext;
  /** stateId / profileId; absent means "every document of the context" (multiple GET, State DELETE). */
  docId?: string;
  /** Exclusive lower bound on updated_at, as a timestamptz literal with an explicit offset. */
  since?: string;
}

export interface DocumentContent {
  bytes: Buffer;
  /** The Content-Type to store and echo on GET. */
  contentType: string;
  /** True when the media type is application/json: `json` then holds the parsed body. */
  isJson: boolean;
  json?: unknown;
}

/** A parsed If-Match / If-None-Match value: `*`, or a list of entity tags. */
export type EntityTags = '*' | { tag: string; weak: boolean }[];

export interface Preconditions {
  ifMatch?: EntityTags;
  ifNoneMatch?: EntityTags;
}

/**
 * What happens to a write that carries neither If-Match nor If-None-Match:
 *  - 'none': nothing, it proceeds;
 *  - 'if-exists': 409 Conflict when the document exists;
 *  - 'always': 409 when it exists, 400 when it doesn't (the request broke a client MUST).
 */
export type ConcurrencyRule = 'none' | 'if-exists' | 'always';

const RESOURCE_KIND: Record<DocumentResource, DocumentKind> = {
  'activities/state': 'state',
  'activities/profile': 'activity_profile',
  'agents/profile': 'agent_profile',
};

/** The parameters each resource and method recognises (xAPI 1.0.3 Communication §2.3, §2.6, §2.7 tables). */
const PARAMS: Record<
  DocumentResource,
  { write: readonly string[]; get: readonly string[]; delete: readonly string[] }
> = {
  'activities/state': {
    write: ['activityId', 'agent', 'registration', 'stateId'],
    get: ['activityId', 'agent', 'registration', 'stateId', 'since'],
    // XAPI-00205 / XAPI-00223: no `since` on State DELETE.
    delete: ['activityId', 'agent', 'registration', 'stateId'],
  },
  'activities/profile': {
    write: ['activityId', 'profileId'],
    get: ['activityId', 'profileId', 'since'],
    delete: ['activityId', 'profileId'],
  },
  'agents/profile': {
    write: ['agent', 'profileId'],
    get: ['agent', 'profileId', 'since'],
    delete: ['agent', 'profileId'],
  },
};

export function isDocumentResource(resource: string): resource is DocumentResource {
  return resource in RESOURCE_KIND;
}

/**
 * xAPI 1.0.3 Communication §3.2 "Error Codes" (unchanged in 2.0): the LRS MUST reject with
 * 400 any parameter it does not recognise in its context, including known names in the wrong case.
 */
export function rejectUnknownParams(
  query: Record<string, string>,
  allowed: readonly string[],
  where: string,
): void {
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name)) {
      const sameInAnotherCase = allowed.find((a) => a.toLowerCase() === name.toLowerCase());
      throw new AppError(
        'BAD_REQUEST',
        sameInAnotherCase
          ? `Unknown parameter "${name}" for ${where}; parameter names are case-sensitive (did you mean "${sameInAnotherCase}"?).`
          : `Unknown parameter "${name}" for ${where}. Allowed: ${allowed.join(', ')}.`,
        { param: name },
      );
    }
  }
}

function required(query: Record<string, string>, name: string, where: string): string {
  const value = query[name];
  if (value === undefined) {
    throw new AppError('BAD_REQUEST', `Missing required parameter "${name}" for ${where}.`, { param: name });
  }
  if (value === '') {
    throw new AppError('BAD_REQUEST', `The ${name} parameter must not be empty.`, { param: name });
  }
  return value;
}

/** An IRI needs a scheme (xAPI 1.0.3 Data §4.3 / RFC 3987); whitespace and control characters are never valid. */
const IRI = /^[a-z][a-z0-9+.-]*:[^\s\p{Cc}]+$/iu;

export function parseActivityIri(raw: string, param = 'activityId'): string {
  if (!IRI.test(raw)) {
    throw new AppError(
      'BAD_REQUEST',
      `The ${param} parameter must be an IRI with a scheme (e.g. https://…).`,
      {
        param,
      },
    );
  }
  return raw;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseRegistration(raw: string): string {
  if (!UUID.test(raw)) {
    throw new AppError('BAD_REQUEST', 'The registration parameter must be a UUID.', {
      param: 'registration',
    });
  }
  return raw.toLowerCase();
}

/**
 * A Timestamp (xAPI 1.0.3 Data §4.5 ISO 8601; xAPI 2.0 RFC 3339). A missing offset is read as UTC.
 * Returns a literal PostgreSQL parses exactly, keeping sub-millisecond digits that a JS Date would drop.
 */
export function parseTimestamp(raw: string, param = 'since'): string {
  // An unencoded "+01:00" in a query string arrives as " 01:00" (form decoding turns + into a space).
  const value = raw.replace(/(:\d{2}(?:\.\d+)?) (\d{2}(?::?\d{2})?)$/, '$1+$2');
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/.exec(
      value,
    );
  const bad = () =>
    new AppError(
      'BAD_REQUEST',
      `The ${param} parameter must be a timestamp such as 2026-01-31T12:00:00.000Z.`,
      {
        param,
      },
    );
  if (!m) throw bad();
  const [, y, mo, d, h, mi, s = '00', frac = '', offset = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (
    year < 1 ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    throw bad();
  }
  let tz = offset.toUpperCase();
  if (tz !== 'Z') {
    const digits = tz.slice(1).replace(':', '');
    if (Number(digits.slice(0, 2)) > 23 || Number(digits.slice(2) || '0') > 59) throw bad();
    tz = `${tz[0]}${digits.slice(0, 2)}:${digits.slice(2) || '00'}`;
  } else {
    tz = '+00:00';
  }
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${frac}${tz}`;
}

const AGENT_KEYS = new Set(['objectType', 'name', 'mbox', 'mbox_sha1sum', 'openid', 'account']);

/**
 * The `agent` parameter: a JSON Agent with exactly one inverse functional identifier (xAPI 1.0.3 Data
 * §2.4.2.1 and §2.4.2.3, unchanged in 2.0). An identified Group is accepted where xAPI 2.0 allows one (State and
 * Agent Profile: "Agent or Identified Group"); 1.0.3 asks for an Agent Object there, and the Agents
 * resource never takes a Group (Communication §2.4: "It is not a Person Object, nor is it a Group").
 */
export function parseAgentParam(
  raw: string,
  options: { allowGroup: boolean; param?: string },
): { agent: AgentLike; key: string } {
  const param = options.param ?? 'agent';
  const { agent, key } = agentKeyFromParam(raw, param);
  const fail = (why: string) => new AppError('BAD_REQUEST', `The ${param} parameter ${why}`, { param });
  const objectType = agent.objectType;
  if (objectType !== undefined && objectType !== 'Agent' && !(options.allowGroup && objectType === 'Group')) {
    throw fail(
      options.allowGroup
        ? 'must be an Agent or an identified Group (objectType "Agent" or "Group").'
        : 'must be an Agent (objectType "Agent"), not a Group or Person.',
    );
  }
  for (const k of Object.keys(agent)) {
    if (!AGENT_KEYS.has(k) && !(objectType === 'Group' && k === 'member'))
      throw fail(`has an unknown property "${k}".`);
  }
  if (agent.name !== undefined && typeof agent.name !== 'string')
    throw fail('has a name that is not a string.');
  if (agent.mbox_sha1sum !== undefined && !/^[0-9a-f]{40}$/i.test(String(agent.mbox_sha1sum))) {
    throw fail('has an mbox_sha1sum that is not 40 hexadecimal characters.');
  }
  if (agent.openid !== undefined && (typeof agent.openid !== 'string' || !IRI.test(agent.openid))) {
    throw fail('has an openid that is not a URI.');
  }
  if (agent.account !== undefined) {
    const account = agent.account as Record<string, unknown>;
    if (Object.keys(account).some((k) => k !== 'homePage' && k !== 'name')) {
      throw fail('has an account with properties other than homePage and name.');
    }
    if (!IRI.test(String(account.homePage))) throw fail('has an account whose homePage is not an IRL.');
  }
  if (agent.member !== undefined && !Array.isArray(agent.member))
    throw fail('has a member that is not an array.');
  return { agent, key };
}

/**
 * Parses the query of a Document Resource request. The document id (stateId / profileId) is required
 * for PUT and POST, and for DELETE on the profiles; GET without it lists ids, State DELETE without it
 * deletes the whole context (xAPI 1.0.3 Communication §2.3 "Multiple Document DELETE").
 */
export function parseDocumentQuery(
  resource: DocumentResource,
  method: DocumentMethod,
  query: Record<string, string>,
  version: XapiVersion,
): DocumentQuery {
  const where = `${method === 'HEAD' ? 'GET' : method} /${resource}`;
  const params = PARAMS[resource];
  const allowed =
    method === 'GET' || method === 'HEAD' ? params.get : method === 'DELETE' ? params.delete : params.write;
  rejectUnknownParams(query, allowed, where);

  const kind = RESOURCE_KIND[resource];
  const context: DocumentContext = { kind, activityIri: '', agentKey: '', registration: null };
  if (kind !== 'agent_profile') context.activityIri = parseActivityIri(required(query, 'activityId', where));
  if (kind !== 'activity_profile') {
    context.agentKey = parseAgentParam(required(query, 'agent', where), {
      allowGroup: version === '2.0.0',
    }).key;
  }
  if (query.registration !== undefined) context.registration = parseRegistration(query.registration);

  const idParam = kind === 'state' ? 'stateId' : 'profileId';
  const idNeeded = method === 'PUT' || method === 'POST' || (method === 'DELETE' && kind !== 'state');
  const out: DocumentQuery = { context };
  if (idNeeded || query[idParam] !== undefined) out.docId = required(query, idParam, where);
  // `since` is validated wherever it is allowed, but only narrows the multiple-document GET: the suite
  // notes (XAPI-00192) that a single-document GET need not react to it.
  if (query.since !== undefined) out.since = parseTimestamp(query.since);
  return out;
}

/** True for `application/json`, with or without parameters (xAPI 1.0.3 Communication §2.2 JSON Procedure). */
export function isJsonMediaType(contentType: string): boolean {
  return contentType.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/**
 * The body of a PUT or POST. A body labelled application/json must parse (xAPI 1.0.3 Communication
 * §3.2: "reject … where the content type header does not match the content"); anything else is stored
 * as opaque bytes. Without a Content-Type the document is application/octet-stream.
 */
export function parseDocumentContent(body: Buffer, contentType: string): DocumentContent {
  const type = contentType.trim() === '' ? 'application/octet-stream' : contentType.trim();
  if (!isJsonMediaType(type)) return { bytes: body, contentType: type, isJson: false };
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new AppError(
      'BAD_REQUEST',
      `The document is labelled application/json but is not valid JSON: ${(err as Error).message}`,
    );
  }
  return { bytes: body, contentType: type, isJson: true, json };
}

/**
 * Parses an If-Match / If-None-Match value (RFC 7232 §3.1–3.2): `*` or a comma-separated list of
 * entity tags. Tags are also accepted unquoted, a common client mistake that is unambiguous here.
 * Returns undefined for an absent or empty header.
 */
export function parseEntityTags(value: string | undefined, header: string): EntityTags | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (v === '*') return '*';
  const tags: { tag: string; weak: boolean }[] = [];
  const re = /\s*(W\/)?(?:"([^"]*)"|([^\s,"]+))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null = re.exec(v);
  while (m !== null) {
    tags.push({ tag: (m[2] ?? m[3] ?? '').toLowerCase(), weak: m[1] !== undefined });
    if (re.lastIndex >= v.length) break;
    m = re.exec(v);
  }
  if (tags.length === 0 || re.lastIndex < v.length) {
    throw new AppError('BAD_REQUEST', `The ${header} header must be "*" or a list of quoted ETags.`, {
      header,
    });
  }
  return tags;
}

export function parsePreconditions(headers: Record<string, string>): Preconditions {
  const out: Preconditions = {};
  const ifMatch = parseEntityTags(headers['if-match'], 'If-Match');
  const ifNoneMatch = parseEntityTags(headers['if-none-match'], 'If-None-Match');
  if (ifMatch !== undefined) out.ifMatch = ifMatch;
  if (ifNoneMatch !== undefined) out.ifNoneMatch = ifNoneMatch;
  return out;
}

/**
 * Which writes must carry a precondition header:
 *  - xAPI 1.0.3 Communication §3.1: the State resource permits PUT, POST and DELETE without them; a
 *    client MUST send If-Match or If-None-Match on a profile PUT. The LRS MUST answer 409 when such a
 *    PUT targets an existing document; for a new one the request still broke the client MUST, and the
 *    ADL suite (1.0.3, "fails without ETag header") expects 400.
 *  - xAPI 2.0 LRS §4.1.4: the exception for State is gone; a PUT without either header to an existing
 *    document of any of the three resources is a 409, and a new one is simply created (the suite's
 *    XAPI-00190 PUTs a new State document without headers and expects 204).
 *  - POST and DELETE never require them (SHOULD* for the client only).
 */
export function concurrencyRule(
  resource: DocumentResource,
  method: DocumentMethod,
  version: XapiVersion,
): ConcurrencyRule {
  if (method !== 'PUT') return 'none';
  if (version === '2.0.0') return 'if-exists';
  return resource === 'activities/state' ? 'none' : 'always';
}

/** GET /activities (xAPI 1.0.3 Communication §2.5): `activityId` only. */
export function parseActivityQuery(query: Record<string, string>): { activityIri: string } {
  rejectUnknownParams(query, ['activityId'], 'GET /activities');
  return { activityIri: parseActivityIri(required(query, 'activityId', 'GET /activities')) };
}

/** GET /agents (xAPI 1.0.3 Communication §2.4): `agent` only, an Agent (never a Group). */
export function parseAgentQuery(query: Record<string, string>): { agent: AgentLike; key: string } {
  rejectUnknownParams(query, ['agent'], 'GET /agents');
  return parseAgentParam(required(query, 'agent', 'GET /agents'), { allowGroup: false });
}
