import type { Tx } from '../../db/database.ts';
import type { DocumentContext, Preconditions } from '../input/document-params.ts';
import { checkPreconditions } from './check-preconditions.ts';

export interface DeleteDocumentsInput {
  context: DocumentContext;
  /** One document; absent deletes the whole context (State only: xAPI 1.0.3 Communication §2.3). */
  docId?: string;
  /** Evaluated against the single document; ignored for a context-wide delete (the caller refuses them). */
  preconditions?: Preconditions;
}

export interface DeleteDocumentsResult {
  deleted: number;
}

/**
 * Deletes one document, or every document of a context. Deleting a document that does not exist is
 * not an error (the suite's "accepts DELETE requests" deletes a never-written profile and expects 204),
 * unless an If-Match precondition asked for it to exist (RFC 7232 §3.1) → 412.
 *
 * Like listDocumentIds, a State context without a registration spans every registration
 * ("Activity + Agent [+ registration if specified]").
 */
export async function deleteDocuments(tx: Tx, input: DeleteDocumentsInput): Promise<DeleteDocumentsResult> {
  const c = input.context;
  if (input.docId !== undefined) {
    const found = await tx.query<{ id: number; etag: string }>(
      `SELECT id, etag FROM documents
       WHERE kind = $1 AND activity_iri = $2 AND agent_key = $3
         AND coalesce(registration, '00000000-0000-0000-0000-000000000000'::uuid) = coalesce($4::uuid, '00000000-0000-0000-0000-000000000000'::uuid)
         AND doc_id = $5
       FOR UPDATE`,
      [c.kind, c.activityIri, c.agentKey, c.registration, input.docId],
    );
    const row = found.rows[0];
    checkPreconditions({ preconditions: input.preconditions ?? {}, currentEtag: row?.etag, rule: 'none' });
    if (!row) return { deleted: 0 };
    const res = await tx.query('DELETE FROM documents WHERE id = $1', [row.id]);
    return { deleted: res.rowCount };
  }
  const params: unknown[] = [c.kind, c.activityIri, c.agentKey];
  let where = 'kind = $1 AND activity_iri = $2 AND agent_key = $3';
  if (c.registration !== null) {
    params.push(c.registration);
    where += ` AND coalesce(registration, '00000000-0000-0000-0000-000000000000'::uuid) = $${params.length}::uuid`;
  }
  const res = await tx.query(`DELETE FROM documents WHERE ${where}`, params);
  return { deleted: res.rowCount };
}
