import type { Tx } from '../../db/database.ts';
import type { DocumentContext } from '../input/document-params.ts';

export interface GetDocumentInput {
  context: DocumentContext;
  docId: string;
}

export interface StoredDocument {
  body: Buffer;
  contentType: string;
  /** SHA-1 hex of `body` (xAPI 1.0.3 Communication §3.1). */
  etag: string;
  updatedAt: Date;
}

/** One document by its full identity (xAPI 1.0.3 Communication §2.3/2.6/2.7 single-document GET), or undefined. */
export async function getDocument(tx: Tx, input: GetDocumentInput): Promise<StoredDocument | undefined> {
  const c = input.context;
  const res = await tx.query<{ body: Uint8Array; content_type: string; etag: string; updated_at: Date }>(
    `SELECT body, content_type, etag, updated_at FROM documents
     WHERE kind = $1 AND activity_iri = $2 AND agent_key = $3
       AND coalesce(registration, '00000000-0000-0000-0000-000000000000'::uuid) = coalesce($4::uuid, '00000000-0000-0000-0000-000000000000'::uuid)
       AND doc_id = $5`,
    [c.kind, c.activityIri, c.agentKey, c.registration, input.docId],
  );
  const row = res.rows[0];
  if (!row) return undefined;
  const body = Buffer.isBuffer(row.body)
    ? row.body
    : Buffer.from(row.body.buffer, row.body.byteOffset, row.body.byteLength);
  return { body, contentType: row.content_type, etag: row.etag, updatedAt: new Date(row.updated_at) };
}
