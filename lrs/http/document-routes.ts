import { AppError } from '../../core/errors.ts';
import type { Scope } from '../../core/scopes.ts';
import { withTenant } from '../../db/with-tenant.ts';
import {
  concurrencyRule,
  type DocumentResource,
  parseActivityQuery,
  parseAgentQuery,
  parseDocumentContent,
  parseDocumentQuery,
  parsePreconditions,
} from '../input/document-params.ts';
import { deleteDocuments } from '../ops/delete-documents.ts';
import { getActivity } from '../ops/get-activity.ts';
import { getDocument } from '../ops/get-document.ts';
import { getPerson } from '../ops/get-person.ts';
import { listDocumentIds } from '../ops/list-document-ids.ts';
import { documentEtag, putDocument } from '../ops/put-document.ts';
import type { XapiHandler, XapiResponse, XapiRoute, XapiRouteTable } from './types.ts';

/*
 * The Document Resources (State, Activity Profile, Agent Profile) and the Activities and Agents
 * resources: xAPI 1.0.3 Communication §2.2–2.7 and §3.1; xAPI 2.0 (IEEE 9274.1.1) LRS §4.1.4 and
 * §4.1.6.2–4.1.6.6. Handlers parse (lrs/input), run one op in one tenant transaction (lrs/ops), and
 * shape the HTTP answer; nothing here touches SQL.
 */

/** RFC 7232 §2.3: an entity tag is a quoted string. */
function quoted(etag: string): string {
  return `"${etag}"`;
}

/** A JSON answer with its ETag (xAPI 1.0.3 Communication §3.1: every GET carries one) and length (for HEAD). */
function jsonResponse(value: unknown, lastModified?: Date): XapiResponse {
  const bytes = Buffer.from(JSON.stringify(value), 'utf8');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(bytes.length),
    etag: quoted(documentEtag(bytes)),
  };
  // xAPI 1.0.3 Communication §2.2 "Last Modified" (a MUST in 2.0): a list carries its newest document's time.
  if (lastModified) headers['last-modified'] = lastModified.toUTCString();
  return { status: 200, headers, body: bytes };
}

const NAMES: Record<DocumentResource, string> = {
  'activities/state': 'State',
  'activities/profile': 'Activity Profile',
  'agents/profile': 'Agent Profile',
};

function getDocuments(resource: DocumentResource): XapiHandler {
  return async (req, deps) => {
    const q = parseDocumentQuery(resource, req.method, req.query, req.version);
    if (q.docId === undefined) {
      const list = await withTenant(deps.db, req.tenant, (tx) =>
        listDocumentIds(tx, { context: q.context, ...(q.since !== undefined ? { since: q.since } : {}) }),
      );
      return jsonResponse(list.ids, list.lastModified);
    }
    const docId = q.docId;
    const doc = await withTenant(deps.db, req.tenant, (tx) => getDocument(tx, { context: q.context, docId }));
    if (!doc) {
      // xAPI 1.0.3 Communication §3.2: 404 for a request targeting a specific document that isn't there.
      throw new AppError('NOT_FOUND', `No ${NAMES[resource]} document "${docId}" in that context.`);
    }
    const headers: Record<string, string> = {
      etag: quoted(doc.etag),
      // xAPI 1.0.3 Communication §2.2 "Last Modified" (SHOULD*; 2.0 makes it a MUST and the suite checks it).
      'last-modified': doc.updatedAt.toUTCString(),
    };
    // RFC 7232 §3.2/§4.1: a GET whose If-None-Match names the current ETag is answered 304 Not Modified.
    const { ifNoneMatch } = parsePreconditions(req.headers);
    if (ifNoneMatch === '*' || ifNoneMatch?.some((t) => t.tag === doc.etag)) return { status: 304, headers };
    // The Content-Type is echoed as it was stored, so a client gets back exactly what it sent.
    headers['content-type'] = doc.contentType;
    headers['content-length'] = String(doc.body.length);
    return { status: 200, headers, body: doc.body };
  };
}

function writeDocument(resource: DocumentResource, merge: boolean): XapiHandler {
  return async (req, deps) => {
    const method = merge ? 'POST' : 'PUT';
    const q = parseDocumentQuery(resource, method, req.query, req.version);
    const content = parseDocumentContent(req.body, req.contentType);
    const preconditions = parsePreconditions(req.headers);
    const rule = concurrencyRule(resource, method, req.version);
    const docId = q.docId!;
    await withTenant(deps.db, req.tenant, (tx) =>
      putDocument(tx, { context: q.context, docId, content, merge, preconditions, rule }),
    );
    // xAPI 1.0.3 Communication §2.3/2.6/2.7: "Returns (PUT | POST | DELETE): 204 No Content".
    return { status: 204 };
  };
}

function deleteDocument(resource: DocumentResource): XapiHandler {
  return async (req, deps) => {
    const q = parseDocumentQuery(resource, 'DELETE', req.query, req.version);
    const preconditions = parsePreconditions(req.headers);
    if (
      q.docId === undefined &&
      (preconditions.ifMatch !== undefined || preconditions.ifNoneMatch !== undefined)
    ) {
      // An ETag names one document's contents; a context-wide delete has no single entity to compare.
      throw new AppError(
        'BAD_REQUEST',
        'If-Match / If-None-Match apply to one document: add stateId, or drop the header to delete every State document of the context.',
      );
    }
    await withTenant(deps.db, req.tenant, (tx) =>
      deleteDocuments(tx, {
        context: q.context,
        ...(q.docId !== undefined ? { docId: q.docId, preconditions } : {}),
      }),
    );
    return { status: 204 };
  };
}

function documentResource(
  resource: DocumentResource,
  scope: Scope,
): Partial<Record<'GET' | 'PUT' | 'POST' | 'DELETE', XapiRoute>> {
  const read: Scope[] = [scope, 'all/read'];
  const write: Scope[] = [scope];
  return {
    GET: { scopes: read, handler: getDocuments(resource) },
    PUT: { scopes: write, handler: writeDocument(resource, false) },
    POST: { scopes: write, handler: writeDocument(resource, true) },
    DELETE: { scopes: write, handler: deleteDocument(resource) },
  };
}

/** Reading an Activity or a Person is useful to any reader of the LRS, so any of these scopes will do. */
const DESCRIBE_SCOPES: Scope[] = ['all/read', 'statements/read', 'state', 'profile', 'define'];

export const documentRoutes: XapiRouteTable = {
  'activities/state': documentResource('activities/state', 'state'),
  'activities/profile': documentResource('activities/profile', 'profile'),
  'agents/profile': documentResource('agents/profile', 'profile'),
  activities: {
    GET: {
      scopes: DESCRIBE_SCOPES,
      handler: async (req, deps) => {
        const { activityIri } = parseActivityQuery(req.query);
        return jsonResponse(await withTenant(deps.db, req.tenant, (tx) => getActivity(tx, { activityIri })));
      },
    },
  },
  agents: {
    GET: {
      scopes: DESCRIBE_SCOPES,
      handler: async (req, deps) => {
        const input = parseAgentQuery(req.query);
        return jsonResponse(await withTenant(deps.db, req.tenant, (tx) => getPerson(tx, input)));
      },
    },
  },
};
