import type { QueryOptions, QueryResult, Tx } from '../../db/database.ts';
import { documentEtag } from '../../lrs/ops/put-document.ts';
import { ACTIVITY_STATE_ID } from '../xapi/activity-iris.ts';

export interface AttemptStateEntry {
  /** The SCO activity. */
  scoIri: string;
  agentKey: string;
  /** The attempt activity to append. */
  attemptIri: string;
}

/*
 * xAPI SCORM Profile §5 "Initializing an attempt": the attempt IRI is appended to the `attempts` array of the
 * SCO's SCORM Activity State document (stateId https://w3id.org/xapi/scorm/activity-state, no registration;
 * Appendix "SCORM Activity State"), so a reporting tool can find every attempt, first to latest. Locked and read
 * (lockActivityStates), merged and written (writeActivityStates) for a whole group commit, in the LRS's documents
 * table with its conventions (JSON bytes, ETag = SHA-1 hex of the bytes). The rows are locked while read, so
 * concurrent groups append in turn. commitCmi sends the lock behind its write and the upsert with the COMMIT.
 */

/** One document per (SCO, learner), in a fixed order so concurrent groups lock them in turn. */
export interface ActivityStateDoc {
  scoIri: string;
  agentKey: string;
  attempts: string[];
}

const NO_REGISTRATION = '00000000-0000-0000-0000-000000000000';

export function activityStateDocs(entries: readonly AttemptStateEntry[]): ActivityStateDoc[] {
  const byDoc = new Map<string, ActivityStateDoc>();
  for (const e of entries) {
    const key = `${e.scoIri}\u0000${e.agentKey}`;
    const doc = byDoc.get(key) ?? { scoIri: e.scoIri, agentKey: e.agentKey, attempts: [] };
    doc.attempts.push(e.attemptIri);
    byDoc.set(key, doc);
  }
  return [...byDoc.values()].sort((a, b) =>
    a.scoIri === b.scoIri ? a.agentKey.localeCompare(b.agentKey) : a.scoIri.localeCompare(b.scoIri),
  );
}

/**
 * The stored documents, locked (FOR UPDATE) until the transaction ends, in the order of `docs` (sorted by
 * activityStateDocs, so two transactions never wait on each other in a cycle). Each is one probe of
 * documents_identity (tenant migration 001) with its whole key: FOR UPDATE inside the LATERAL keeps the
 * planner from flattening it into a join, where, with statistics lagging a table that fills up as a peak's
 * sessions start, it hashed every Activity State document of the tenant instead (3.3 ms of PostgreSQL's CPU
 * per session start with 50,000 learners enrolled: bench F, BENCH_LEARNERS=50000).
 */
export function lockActivityStates(
  tx: Tx,
  docs: readonly ActivityStateDoc[],
): Promise<QueryResult<StoredDoc>> {
  return tx.query<StoredDoc>(
    `SELECT d.activity_iri, d.agent_key, convert_from(d.body, 'UTF8') AS body
     FROM jsonb_to_recordset($1::jsonb) AS r(sco_iri text, agent_key text)
     CROSS JOIN LATERAL (
       SELECT x.activity_iri, x.agent_key, x.body FROM documents x
       WHERE x.kind = 'state' AND x.activity_iri = r.sco_iri AND x.agent_key = r.agent_key
         AND coalesce(x.registration, '${NO_REGISTRATION}'::uuid) = '${NO_REGISTRATION}'::uuid AND x.doc_id = $2
       FOR UPDATE
     ) d`,
    [JSON.stringify(docs.map((d) => ({ sco_iri: d.scoIri, agent_key: d.agentKey }))), ACTIVITY_STATE_ID],
  );
}

interface StoredDoc {
  activity_iri: string;
  agent_key: string;
  body: string;
}

/** Writes each document with its new attempts appended (what was there is kept, whatever else it holds). */
export async function writeActivityStates(
  tx: Tx,
  docs: readonly ActivityStateDoc[],
  existing: QueryResult<StoredDoc>,
  options: QueryOptions = {},
): Promise<void> {
  const stored = new Map(existing.rows.map((r) => [`${r.activity_iri}\u0000${r.agent_key}`, r.body]));
  const rows = docs.map((d) => {
    let state: Record<string, unknown> = {};
    try {
      const parsed = JSON.parse(stored.get(`${d.scoIri}\u0000${d.agentKey}`) ?? '{}');
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) state = parsed;
    } catch {
      // Someone stored something that is not JSON there; the profile's document replaces it.
    }
    const attempts = Array.isArray(state.attempts) ? state.attempts.filter((a) => typeof a === 'string') : [];
    for (const a of d.attempts) if (!attempts.includes(a)) attempts.push(a);
    const body = JSON.stringify({ ...state, attempts });
    return {
      activity_iri: d.scoIri,
      agent_key: d.agentKey,
      body,
      etag: documentEtag(body),
    };
  });
  await tx.query(
    `INSERT INTO documents (kind, activity_iri, agent_key, registration, doc_id, content_type, body, etag)
     SELECT 'state', r.activity_iri, r.agent_key, NULL, $2, 'application/json', convert_to(r.body, 'UTF8'), r.etag
     FROM jsonb_to_recordset($1::jsonb) AS r(activity_iri text, agent_key text, body text, etag text)
     ON CONFLICT (kind, activity_iri, agent_key, (coalesce(registration, '00000000-0000-0000-0000-000000000000'::uuid)), doc_id)
     DO UPDATE SET content_type = EXCLUDED.content_type, body = EXCLUDED.body, etag = EXCLUDED.etag, updated_at = now()`,
    [JSON.stringify(rows), ACTIVITY_STATE_ID],
    options,
  );
}
