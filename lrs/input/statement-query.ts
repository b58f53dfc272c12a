import { AppError } from '../../core/errors.ts';
import { agentKeyFromParam } from './agent-key.ts';

export type StatementFormat = 'exact' | 'ids' | 'canonical';

export interface StatementFilter {
  agent?: string;
  relatedAgents: boolean;
  verb?: string;
  activity?: string;
  relatedActivities: boolean;
  registration?: string;
  since?: string;
  until?: string;
  ascending: boolean;
}

export type StatementQuery =
  | { kind: 'single'; id: string; voided: boolean; format: StatementFormat; attachments: boolean }
  | {
      kind: 'list';
      filter: StatementFilter;
      limit: number;
      format: StatementFormat;
      attachments: boolean;
      /** The seq to continue after, from a `more` link. */
      after?: string;
    };

export const MAX_PAGE = 500;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const IRI = /^[a-z][a-z0-9+.-]*:\S+$/i;

/** xAPI 2.0 Part Three §2.1.3 "GET Statements": the parameters, and nothing else. */
const KNOWN = new Set([
  'statementId',
  'voidedStatementId',
  'agent',
  'verb',
  'activity',
  'registration',
  'related_activities',
  'related_agents',
  'since',
  'until',
  'limit',
  'format',
  'attachments',
  'ascending',
  'more',
]);

function bool(q: Record<string, string>, name: string): boolean {
  const v = q[name];
  if (v === undefined) return false;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new AppError('BAD_REQUEST', `The ${name} parameter must be "true" or "false".`, { param: name });
}

function timestamp(q: Record<string, string>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (!TIMESTAMP.test(v) || Number.isNaN(Date.parse(v))) {
    throw new AppError('BAD_REQUEST', `The ${name} parameter must be an ISO 8601 timestamp.`, {
      param: name,
    });
  }
  return new Date(Date.parse(v)).toISOString();
}

export function parseStatementQuery(q: Record<string, string>): StatementQuery {
  for (const name of Object.keys(q)) {
    if (!KNOWN.has(name))
      throw new AppError('BAD_REQUEST', `Unknown parameter "${name}" for GET statements.`, { param: name });
  }
  const format = (q.format ?? 'exact') as StatementFormat;
  if (!['exact', 'ids', 'canonical'].includes(format)) {
    throw new AppError('BAD_REQUEST', 'The format parameter must be "exact", "ids" or "canonical".', {
      param: 'format',
    });
  }
  const attachments = bool(q, 'attachments');

  if (q.statementId !== undefined || q.voidedStatementId !== undefined) {
    // §2.1.3: with statementId or voidedStatementId only attachments and format may be added.
    const extra = Object.keys(q).filter(
      (k) => !['statementId', 'voidedStatementId', 'format', 'attachments'].includes(k),
    );
    if (extra.length > 0 || (q.statementId !== undefined && q.voidedStatementId !== undefined)) {
      throw new AppError(
        'BAD_REQUEST',
        `statementId and voidedStatementId cannot be combined with ${[...extra, 'each other'][0]}.`,
      );
    }
    const id = (q.statementId ?? q.voidedStatementId)!;
    if (!UUID.test(id))
      throw new AppError('BAD_REQUEST', 'The statement id must be a UUID.', { param: 'statementId' });
    return {
      kind: 'single',
      id: id.toLowerCase(),
      voided: q.voidedStatementId !== undefined,
      format,
      attachments,
    };
  }

  let limit = MAX_PAGE;
  if (q.limit !== undefined) {
    if (!/^\d+$/.test(q.limit))
      throw new AppError('BAD_REQUEST', 'The limit parameter must be a non-negative integer.', {
        param: 'limit',
      });
    const n = Number(q.limit);
    limit = n === 0 ? MAX_PAGE : Math.min(n, MAX_PAGE);
  }
  if (q.verb !== undefined && !IRI.test(q.verb))
    throw new AppError('BAD_REQUEST', 'The verb parameter must be an IRI.', { param: 'verb' });
  if (q.activity !== undefined && !IRI.test(q.activity)) {
    throw new AppError('BAD_REQUEST', 'The activity parameter must be an IRI.', { param: 'activity' });
  }
  if (q.registration !== undefined && !UUID.test(q.registration)) {
    throw new AppError('BAD_REQUEST', 'The registration parameter must be a UUID.', {
      param: 'registration',
    });
  }
  const filter: StatementFilter = {
    agent: q.agent === undefined ? undefined : agentKeyFromParam(q.agent).key,
    relatedAgents: bool(q, 'related_agents'),
    verb: q.verb,
    activity: q.activity,
    relatedActivities: bool(q, 'related_activities'),
    registration: q.registration?.toLowerCase(),
    since: timestamp(q, 'since'),
    until: timestamp(q, 'until'),
    ascending: bool(q, 'ascending'),
  };
  return { kind: 'list', filter, limit, format, attachments };
}
