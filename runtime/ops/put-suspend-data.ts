import { createHash } from 'node:crypto';
import type { Tx } from '../../db/database.ts';
import { SUSPEND_DATA_STATE_ID } from '../xapi/activity-iris.ts';

export interface SuspendDataDocument {
  /** The attempt activity (xAPI SCORM Profile §6 "Suspend Data": "the activity ID for the current attempt"). */
  activityIri: string;
  agentKey: string;
  registration: string;
  body: string;
}

/**
 * Writes the suspend_data State documents of a whole group commit in one statement, into the LRS's documents
 * table with the LRS's own conventions (bytes as sent, Content-Type, ETag = SHA-1 hex of the bytes; xAPI 1.0.3
 * Communication §3.1), so GET /xapi/activities/state serves them like any other document. lrs/ops putDocument
 * would cost two round trips per document, with precondition checks these documents never need: the runtime
 * is their only writer, inside the attempt lock its commit holds.
 */
export async function putSuspendData(tx: Tx, documents: readonly SuspendDataDocument[]): Promise<void> {
  if (documents.length === 0) return;
  const rows = [...documents]
    .sort((a, b) => a.activityIri.localeCompare(b.activityIri))
    .map((d) => ({
      activity_iri: d.activityIri,
      agent_key: d.agentKey,
      registration: d.registration,
      body: d.body,
      etag: createHash('sha1').update(d.body, 'utf8').digest('hex'),
    }));
  await tx.query(
    `INSERT INTO documents (kind, activity_iri, agent_key, registration, doc_id, content_type, body, etag)
     SELECT 'state', r.activity_iri, r.agent_key, r.registration, $2, 'text/plain; charset=utf-8',
            convert_to(r.body, 'UTF8'), r.etag
     FROM jsonb_to_recordset($1::jsonb) AS r(activity_iri text, agent_key text, registration uuid, body text, etag text)
     ON CONFLICT (kind, activity_iri, agent_key, (coalesce(registration, '00000000-0000-0000-0000-000000000000'::uuid)), doc_id)
     DO UPDATE SET content_type = EXCLUDED.content_type, body = EXCLUDED.body, etag = EXCLUDED.etag, updated_at = now()`,
    [JSON.stringify(rows), SUSPEND_DATA_STATE_ID],
  );
}
