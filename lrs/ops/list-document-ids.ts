import type { Tx } from '../../db/database.ts';
import type { DocumentContext } from '../input/document-params.ts';

export interface ListDocumentIdsInput {
  context: DocumentContext;
  /** Exclusive lower bound on the last update, as a timestamptz literal. */
  since?: string;
}

export interface ListDocumentIdsResult {
  ids: string[];
  /** When the most recently modified of the listed documents changed; undefined when none are listed. */
  lastModified: Date | undefined;
}

/**
 * The ids of every document in a context (xAPI 1.0.3 Communication §2.3/2.6/2.7 "Multiple Document
 * GET"), optionally only those stored or updated after `since` (exclusive).
 *
 * The State context is "Activity + Agent [+ registration if specified]": without a registration the
 * ids of every registration are listed (each id once), with one only that registration's.
 */
export async function listDocumentIds(tx: Tx, input: ListDocumentIdsInput): Promise<ListDocumentIdsResult> {
  const c = input.context;
  const params: unknown[] = [c.kind, c.activityIri, c.agentKey];
  let where = 'kind = $1 AND activity_iri = $2 AND agent_key = $3';
  if (c.registration !== null) {
    params.push(c.registration);
    where += ` AND coalesce(registration, '00000000-0000-0000-0000-000000000000'::uuid) = $${params.length}::uuid`;
  }
  if (input.since !== undefined) {
    params.push(input.since);
    where += ` AND updated_at > $${params.length}::timestamptz`;
  }
  const res = await tx.query<{ doc_id: string; updated: Date }>(
    `SELECT doc_id, max(updated_at) AS updated FROM documents WHERE ${where} GROUP BY doc_id ORDER BY max(updated_at), doc_id`,
    params,
  );
  let lastModified: Date | undefined;
  for (const row of res.rows) {
    const d = new Date(row.updated);
    if (!lastModified || d > lastModified) lastModified = d;
  }
  return { ids: res.rows.map((r) => r.doc_id), lastModified };
}
