import { AppError } from '../../core/errors.ts';
import { hasScope } from '../../core/scopes.ts';
import { withTenant } from '../../db/with-tenant.ts';
import { tenantKey } from '../../storage/blob-store.ts';
import { buildMultipartResponse, matchAttachments, parseStatementRequest } from '../input/multipart.ts';
import { verifySignedStatements } from '../input/signed-statement.ts';
import { parseStatementQuery, type StatementQuery } from '../input/statement-query.ts';
import { validateStatements } from '../input/validate-statement.ts';
import { authorityFor, prepareStatement } from '../model/prepare-statement.ts';
import { acceptLanguages, formatStatement } from '../model/statement-format.ts';
import type { Json } from '../model/statement-index.ts';
import { getStatement } from '../ops/get-statement.ts';
import { loadAttachments } from '../ops/load-attachments.ts';
import { queryStatements } from '../ops/query-statements.ts';
import { assertUniqueIds, type StoredAttachment } from '../ops/store-statements.ts';
import { beginWrite } from './consistency.ts';
import type { XapiDeps, XapiRequest, XapiResponse, XapiRouteTable } from './types.ts';

/** Attachments above this size go to the BlobStore instead of the database row. */
const INLINE_ATTACHMENT_LIMIT = 256 * 1024;

interface ParsedWrite {
  statements: Json[];
  attachments: StoredAttachment[];
}

/**
 * The body of a PUT or POST: JSON or multipart/mixed (xAPI 2.0 Part Three §1.5.2), validated, with its
 * attachment parts matched to the statements' sha2 values and signatures checked (Part Two §2.6).
 */
async function parseWrite(req: XapiRequest, deps: XapiDeps, single: boolean): Promise<ParsedWrite> {
  const { statementsJson, parts } = parseStatementRequest(req.body, req.contentType);
  if (single && Array.isArray(statementsJson)) {
    throw new AppError(
      'BAD_REQUEST',
      'PUT statements takes one statement, not an array; use POST for batches.',
    );
  }
  const statements = validateStatements(statementsJson, req.version) as Json[];
  const matched = matchAttachments(statements, parts);
  verifySignedStatements(
    Array.isArray(statementsJson) ? statementsJson : [statementsJson],
    parts,
    req.version,
  );
  const attachments: StoredAttachment[] = [];
  for (const part of matched) {
    if (part.body.length <= INLINE_ATTACHMENT_LIMIT) {
      attachments.push({ ...part, length: part.body.length });
      continue;
    }
    // Content-addressed, and written before the transaction: a failed commit leaves an unreferenced
    // blob (harmless, reused by the next upload of the same bytes), never a row without its bytes.
    const blobKey = tenantKey(req.tenant, 'attachments', part.sha2.toLowerCase());
    await deps.blobs.put(blobKey, part.body, { contentType: part.contentType });
    attachments.push({ sha2: part.sha2, contentType: part.contentType, length: part.body.length, blobKey });
  }
  return { statements, attachments };
}

async function writeStatements(req: XapiRequest, deps: XapiDeps, write: ParsedWrite): Promise<string[]> {
  const storedMs = Date.now();
  const stored = new Date(storedMs).toISOString();
  const authority = authorityFor(req.principal, req.baseUrl);
  const prepared = write.statements.map((s) =>
    prepareStatement(s, { stored, authority, version: req.version }),
  );
  assertUniqueIds(prepared);
  const done = beginWrite(storedMs);
  try {
    const result = await deps.writer.write(req.tenant, {
      statements: prepared,
      credential: req.principal.keyId,
      attachments: write.attachments,
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
  const id = req.query.statementId.toLowerCase();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    throw new AppError('BAD_REQUEST', 'The statementId parameter must be a UUID.');
  }
  const write = await parseWrite(req, deps, true);
  const statement = write.statements[0];
  if (statement!.id !== undefined && String(statement!.id).toLowerCase() !== id) {
    throw new AppError('BAD_REQUEST', 'The statement id differs from the statementId parameter.');
  }
  await writeStatements(req, deps, { ...write, statements: [{ ...statement, id }] });
  return { status: 204 };
}

/** POST Statements (§2.1.2): one statement or an array, atomically; 200 with the ids in order. */
async function postStatements(req: XapiRequest, deps: XapiDeps): Promise<XapiResponse> {
  const unknown = Object.keys(req.query);
  if (unknown.length > 0)
    throw new AppError('BAD_REQUEST', `Unknown parameter "${unknown[0]}" for POST statements.`);
  const ids = await writeStatements(req, deps, await parseWrite(req, deps, false));
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
    const lastModified = { 'last-modified': new Date(statement.stored).toUTCString() };
    const formatted = formatStatement(statement, query.format, languages);
    return withAttachments(req, deps, query.attachments, [statement], formatted, lastModified);
  }
  const result = await withTenant(deps.db, req.tenant, (tx) =>
    queryStatements(tx, { filter: query.filter, limit: query.limit, after, credential: mineOnly }),
  );
  const path = new URL(req.baseUrl).pathname;
  const body = {
    statements: result.statements.map((s) => formatStatement(s, query.format, languages)),
    more: result.next ? `${path}/statements?more=${moreToken(params, result.next)}` : '',
  };
  return withAttachments(req, deps, query.attachments, result.statements, body, {});
}

/** `attachments=true` (§2.1.3): a multipart/mixed response, the JSON first, then each raw attachment. */
async function withAttachments(
  req: XapiRequest,
  deps: XapiDeps,
  wanted: boolean,
  statements: Json[],
  json: unknown,
  headers: Record<string, string>,
): Promise<XapiResponse> {
  if (!wanted) return { status: 200, headers, body: json };
  const hashes = statements
    .flatMap((s) => [
      ...(s.attachments ?? []),
      ...(s.object?.objectType === 'SubStatement' ? (s.object.attachments ?? []) : []),
    ])
    .map((a: Json) => String(a.sha2));
  const bodies = await withTenant(deps.db, req.tenant, (tx) => loadAttachments(tx, deps.blobs, hashes));
  const multipart = buildMultipartResponse(json, bodies);
  return {
    status: 200,
    headers: { ...headers, 'content-type': multipart.contentType },
    body: multipart.body,
  };
}

export const statementRoutes: XapiRouteTable = {
  statements: {
    PUT: { scopes: ['statements/write'], handler: putStatement },
    POST: { scopes: ['statements/write'], handler: postStatements },
    GET: { scopes: ['statements/read', 'statements/read/mine'], handler: getStatements },
  },
};
