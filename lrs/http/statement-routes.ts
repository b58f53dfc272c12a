import { AppError } from '../../core/errors.ts';
import { hasScope } from '../../core/scopes.ts';
import { withTenant } from '../../db/with-tenant.ts';
import { parseStatementQuery, type StatementQuery } from '../input/statement-query.ts';
import { validateStatements } from '../input/validate-statement.ts';
import { authorityFor, prepareStatement } from '../model/prepare-statement.ts';
import { acceptLanguages, formatStatement } from '../model/statement-format.ts';
import type { Json } from '../model/statement-index.ts';
import { getStatement } from '../ops/get-statement.ts';
import { queryStatements } from '../ops/query-statements.ts';
import { assertUniqueIds } from '../ops/store-statements.ts';
import { beginWrite } from './consistency.ts';
import type { XapiDeps, XapiRequest, XapiResponse, XapiRouteTable } from './types.ts';

function parseJsonBody(req: XapiRequest): unknown {
  const type = req.contentType.split(';')[0]!.trim();
  if (type !== 'application/json' && type !== '') {
    throw new AppError(
      'BAD_REQUEST',
      `Statements must be sent as application/json (or multipart/mixed with attachments), not ${type}.`,
    );
  }
  if (req.body.length === 0)
    throw new AppError(
      'BAD_REQUEST',
      'The request body is empty; send a statement or an array of statements.',
    );
  try {
    return JSON.parse(req.body.toString('utf8'));
  } catch (err) {
    throw new AppError('BAD_REQUEST', `The body is not valid JSON: ${(err as Error).message}`);
  }
}

async function writeStatements(req: XapiRequest, deps: XapiDeps, statements: Json[]): Promise<string[]> {
  const storedMs = Date.now();
  const stored = new Date(storedMs).toISOString();
  const authority = authorityFor(req.principal, req.baseUrl);
  const prepared = statements.map((s) => prepareStatement(s, { stored, authority, version: req.version }));
  const done = beginWrite(storedMs);
  try {
    assertUniqueIds(prepared);
    const result = await deps.writer.write(req.tenant, {
      statements: prepared,
      credential: req.principal.keyId,
    });
    return result.ids;
  } finally {
    done();
  }
}

/** PUT Statements (xAPI 2.0 Part Three §2.1.1): one statement, its id in `statementId`; 204. */
async function putStatement(req: XapiRequest, deps: XapiDeps): Promise<XapiResponse> {
  const keys = Object.keys(req.query);
  if (req.query.statementId === undefined)
    throw new AppError('BAD_REQUEST', 'PUT statements needs the statementId parameter.');
  const unknown = keys.filter((k) => k !== 'statementId');
  if (unknown.length > 0)
    throw new AppError('BAD_REQUEST', `Unknown parameter "${unknown[0]}" for PUT statements.`);
  const body = parseJsonBody(req);
  if (Array.isArray(body))
    throw new AppError(
      'BAD_REQUEST',
      'PUT statements takes one statement, not an array; use POST for batches.',
    );
  const [statement] = validateStatements(body, req.version);
  const id = req.query.statementId.toLowerCase();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    throw new AppError('BAD_REQUEST', 'The statementId parameter must be a UUID.');
  }
  if (statement!.id !== undefined && String(statement!.id).toLowerCase() !== id) {
    throw new AppError('BAD_REQUEST', 'The statement id differs from the statementId parameter.');
  }
  await writeStatements(req, deps, [{ ...statement, id }]);
  return { status: 204 };
}

/** POST Statements (§2.1.2): one statement or an array, atomically; 200 with the ids in order. */
async function postStatements(req: XapiRequest, deps: XapiDeps): Promise<XapiResponse> {
  const unknown = Object.keys(req.query);
  if (unknown.length > 0)
    throw new AppError('BAD_REQUEST', `Unknown parameter "${unknown[0]}" for POST statements.`);
  const statements = validateStatements(parseJsonBody(req), req.version);
  const ids = await writeStatements(req, deps, statements as Json[]);
  return { status: 200, body: ids };
}

function moreToken(query: Record<string, string>, after: string): string {
  return Buffer.from(JSON.stringify({ q: query, after })).toString('base64url');
}

function decodeMore(token: string): { q: Record<string, string>; after: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      typeof parsed?.after === 'string' &&
      /^\d+$/.test(parsed.after) &&
      parsed.q &&
      typeof parsed.q === 'object'
    ) {
      return parsed;
    }
  } catch {
    // fall through
  }
  throw new AppError('BAD_REQUEST', 'The more parameter is not a link this LRS issued.');
}

/** GET Statements (§2.1.3): one by id, or a filtered, paged StatementResult. */
async function getStatements(req: XapiRequest, deps: XapiDeps): Promise<XapiResponse> {
  let params = req.query;
  let after: string | undefined;
  if (req.query.more !== undefined) {
    if (Object.keys(req.query).length > 1)
      throw new AppError('BAD_REQUEST', 'The more parameter stands alone.');
    const decoded = decodeMore(req.query.more);
    params = decoded.q;
    after = decoded.after;
  }
  const query: StatementQuery = parseStatementQuery(params);
  const p = req.principal;
  const mineOnly = !hasScope(p.scopes, 'statements/read') ? p.keyId : undefined;
  const languages = acceptLanguages(req.headers['accept-language']);

  if (query.kind === 'single') {
    const statement = await withTenant(deps.db, req.tenant, (tx) =>
      getStatement(tx, { id: query.id, voided: query.voided, credential: mineOnly }),
    );
    if (!statement)
      throw new AppError('NOT_FOUND', `No ${query.voided ? 'voided ' : ''}statement ${query.id}.`);
    return {
      status: 200,
      headers: { 'last-modified': new Date(statement.stored).toUTCString() },
      body: formatStatement(statement, query.format, languages),
    };
  }
  const result = await withTenant(deps.db, req.tenant, (tx) =>
    queryStatements(tx, { filter: query.filter, limit: query.limit, after, credential: mineOnly }),
  );
  const path = new URL(req.baseUrl).pathname;
  return {
    status: 200,
    body: {
      statements: result.statements.map((s) => formatStatement(s, query.format, languages)),
      more: result.next ? `${path}/statements?more=${moreToken(params, result.next)}` : '',
    },
  };
}

export const statementRoutes: XapiRouteTable = {
  statements: {
    PUT: { scopes: ['statements/write'], handler: putStatement },
    POST: { scopes: ['statements/write'], handler: postStatements },
    GET: { scopes: ['statements/read', 'statements/read/mine'], handler: getStatements },
  },
};
