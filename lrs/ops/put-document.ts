import { createHash } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import type { Tx } from '../../db/database.ts';
import {
  type ConcurrencyRule,
  type DocumentContent,
  type DocumentContext,
  isJsonMediaType,
  type Preconditions,
} from '../input/document-params.ts';
import { checkPreconditions } from './check-preconditions.ts';

export interface PutDocumentInput {
  context: DocumentContext;
  docId: string;
  content: DocumentContent;
  /** POST: merge into an existing JSON document instead of replacing it. */
  merge: boolean;
  preconditions: Preconditions;
  rule: ConcurrencyRule;
}

export interface PutDocumentResult {
  /** SHA-1 hex of the stored bytes. */
  etag: string;
  updatedAt: Date;
  created: boolean;
}

/**
 * xAPI 1.0.3 Communication §3.1: the ETag is the SHA-1 hex digest of the contents, lower case. A string is
 * hashed as its UTF-8 bytes, which is how a document written from text is stored (the runtime's State
 * documents, runtime/ops).
 */
export function documentEtag(contents: Uint8Array | string): string {
  return createHash('sha1').update(contents).digest('hex');
}

function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  const u8 = value as Uint8Array;
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MERGE_RULE =
  'POST merges only when both the stored document and the posted one are application/json objects; use PUT to replace the document.';

/**
 * xAPI 1.0.3 Communication §2.2 "JSON Procedure" (unchanged in 2.0): merge the posted object's
 * top-level properties into the stored object; anything else is 400 and the document is not touched.
 */
function mergedBytes(stored: { contentType: string; body: Buffer }, posted: DocumentContent): Buffer {
  if (!posted.isJson || !isJsonMediaType(stored.contentType)) {
    throw new AppError(
      'BAD_REQUEST',
      `${MERGE_RULE} (stored: ${stored.contentType}; posted: ${posted.contentType}.)`,
    );
  }
  let existing: unknown;
  try {
    existing = JSON.parse(stored.body.toString('utf8'));
  } catch {
    existing = undefined;
  }
  if (!isPlainObject(existing))
    throw new AppError('BAD_REQUEST', `${MERGE_RULE} The stored document is not a JSON object.`);
  if (!isPlainObject(posted.json))
    throw new AppError('BAD_REQUEST', `${MERGE_RULE} The posted document is not a JSON object.`);
  return Buffer.from(JSON.stringify({ ...existing, ...posted.json }), 'utf8');
}

const IDENTITY = `kind = $1 AND activity_iri = $2 AND agent_key = $3
  AND coalesce(registration, '00000000-0000-0000-0000-000000000000'::uuid) = coalesce($4::uuid, '00000000-0000-0000-0000-000000000000'::uuid)
  AND doc_id = $5`;

/**
 * Stores a document (PUT), or merges into it (POST; a POST to a missing document stores it as a PUT
 * would: xAPI 1.0.3 Communication §2.2). The stored row is locked before the preconditions are
 * checked, so concurrent writers serialise; a concurrent insert of the same new document is detected
 * through the identity index and the whole check is redone against the winner.
 */
export async function putDocument(tx: Tx, input: PutDocumentInput): Promise<PutDocumentResult> {
  const { context: c, docId } = input;
  const identity = [c.kind, c.activityIri, c.agentKey, c.registration, docId];
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = await tx.query<{ id: number; content_type: string; body: unknown; etag: string }>(
      `SELECT id, content_type, ${input.merge ? 'body' : 'NULL AS body'}, etag FROM documents WHERE ${IDENTITY} FOR UPDATE`,
      identity,
    );
    const existing = found.rows[0];
    checkPreconditions({ preconditions: input.preconditions, currentEtag: existing?.etag, rule: input.rule });

    let contentType = input.content.contentType;
    let bytes = input.content.bytes;
    if (input.merge && existing) {
      bytes = mergedBytes(
        { contentType: existing.content_type, body: toBuffer(existing.body) },
        input.content,
      );
      contentType = input.content.contentType;
    }
    const etag = documentEtag(bytes);

    if (existing) {
      const res = await tx.query<{ updated_at: Date }>(
        'UPDATE documents SET content_type = $2, body = $3, etag = $4, updated_at = now() WHERE id = $1 RETURNING updated_at',
        [existing.id, contentType, bytes, etag],
      );
      return { etag, updatedAt: new Date(res.rows[0]!.updated_at), created: false };
    }
    const res = await tx.query<{ updated_at: Date }>(
      `INSERT INTO documents (kind, activity_iri, agent_key, registration, doc_id, content_type, body, etag)
       VALUES ($1, $2, $3, $4::uuid, $5, $6, $7, $8)
       ON CONFLICT DO NOTHING RETURNING updated_at`,
      [...identity, contentType, bytes, etag],
    );
    if (res.rows[0]) return { etag, updatedAt: new Date(res.rows[0].updated_at), created: true };
    // Another transaction created the document between our SELECT and INSERT: re-evaluate against it.
  }
  throw new AppError('CONFLICT', 'The document is being written concurrently; retry the request.');
}
