import { STATEMENT_EXISTS, statementInsertCtes } from '../../lrs/ops/insert-statements-fast.ts';
import { SCO_CMI } from '../model.ts';

/** SQLSTATEs the commit write raises (control migration 004, crest.raise). */
export const STALE_ATTEMPT = 'CR001';
export const DOCUMENTS_NOT_WRITTEN = 'CR002';
export { STATEMENT_EXISTS };

/**
 * The slow path's first round trip, for attempts this process holds no snapshot of. xmin is the row version:
 * the write below checks it, so whatever changed the attempt since (another process, a reset) is noticed.
 */
export const LOCK_ATTEMPTS_SQL = `SELECT a.id::text, a.registration_id::text, r.course_id::text, r.version, r.learner,
       a.completed_at, a.suspended_sco, a.sequencing_state, a.xmin::text AS xmin,
       a.number = (SELECT max(x.number) FROM attempts x WHERE x.registration_id = a.registration_id) AS current
     FROM attempts a JOIN registrations r ON r.id = a.registration_id
     WHERE a.id = ANY($1::uuid[]) ORDER BY a.id FOR UPDATE OF a`;

/**
 * After the lock, in a statement of its own (a new snapshot in READ COMMITTED: it sees the commit that held the
 * lock before). $1: the attempts; $2: per SCO being committed, the seq and hash of the tree this process holds
 * (or nulls), so a tree is sent only when it is not the one held. Both inlined as literals (runScript takes
 * no parameters).
 */
export const READ_STATES_SQL = `SELECT s.attempt_id::text, s.sco, s.seq, s.commit_hash,
       CASE WHEN k.attempt_id IS NOT NULL AND (k.seq IS DISTINCT FROM s.seq OR k.hash IS DISTINCT FROM s.commit_hash)
            THEN ${SCO_CMI} END AS cmi,
       s.completion, s.success, s.score_scaled, s.total_seconds, s.session_seconds, s.terminated, s.suspended,
       s.updated_at
     FROM sco_states s
     LEFT JOIN jsonb_to_recordset($2::jsonb) AS k(attempt_id uuid, sco text, seq bigint, hash text)
       ON k.attempt_id = s.attempt_id AND k.sco = s.sco
     WHERE s.attempt_id = ANY($1::uuid[])`;

const DOCUMENT_CONFLICT = `(kind, activity_iri, agent_key, (coalesce(registration, '00000000-0000-0000-0000-000000000000'::uuid)), doc_id)`;

/**
 * Every write of a group in one SQL statement, guarded, so that with COMMIT queued behind it a group is one
 * round trip. `guard` locks the attempts being written and `ok` keeps those still at the row version ($12) the
 * group was judged against and still their registration's latest attempt; every write joins `ok`, and the
 * final SELECT raises if an attempt moved on (STALE_ATTEMPT: the writer judges the group again from the
 * database), if a SCO state or State document was not written (DOCUMENTS_NOT_WRITTEN), or if a statement id
 * already existed (STATEMENT_EXISTS: the careful path judges each statement). Raising there rolls the whole
 * statement back before the COMMIT.
 *
 * $1 SCO states (each row names where its CMI tree's JSON lies in $16, commit-cmi.ts scoStateRow, and the
 * activity of its suspend_data document when this commit writes one); $2 attempt rollups; $3 suspend_data
 * State documents (each names where its body lies in $16), written only when suspend_data changed, and the
 * only place suspend_data is kept: the SCO state row takes the document's id (tenant migration 007); $4 their stateId; $5–$10 statements (lrs/ops statementInsertCtes); $11 the attempts'
 * ids; $12 [{id, xmin}]; $13 Attempt State documents; $14 their stateId; $15 how many statements must be
 * inserted; $16 the trees and suspend_data, UTF-8 end to end, one bytea. The State documents follow the LRS's
 * conventions (bytes as sent, Content-Type, ETag = SHA-1 hex), so GET /xapi/activities/state serves them like
 * any other; the runtime writes them inside the attempt lock, so they need none of putDocument's
 * preconditions.
 * Returns the attempts' new row versions.
 */
export const WRITE_COMMITS_SQL = `WITH guard AS (
       SELECT a.id, a.xmin::text AS xmin, a.registration_id, a.number FROM attempts a
       WHERE a.id = ANY($11::uuid[]) ORDER BY a.id FOR UPDATE OF a
     ), ok AS (
       SELECT g.id FROM guard g JOIN jsonb_to_recordset($12::jsonb) AS k(id uuid, xmin text)
         ON k.id = g.id AND k.xmin = g.xmin
       WHERE NOT EXISTS (SELECT 1 FROM attempts x WHERE x.registration_id = g.registration_id AND x.number > g.number)
     ), sd AS (
       INSERT INTO documents (kind, activity_iri, agent_key, registration, doc_id, content_type, body, etag)
       SELECT 'state', d.activity_iri, d.agent_key, d.registration, $4, 'text/plain; charset=utf-8',
              substring($16::bytea FROM d.sd_offset + 1 FOR d.sd_length), d.etag
       FROM ROWS FROM (jsonb_to_recordset($3::jsonb) AS (attempt_id uuid, activity_iri text, agent_key text,
         registration uuid, etag text, sd_offset int, sd_length int)) WITH ORDINALITY AS d(attempt_id, activity_iri,
         agent_key, registration, etag, sd_offset, sd_length, ord)
       WHERE d.attempt_id IN (SELECT id FROM ok)
       ORDER BY d.ord
       ON CONFLICT ${DOCUMENT_CONFLICT}
       DO UPDATE SET content_type = EXCLUDED.content_type, body = EXCLUDED.body, etag = EXCLUDED.etag,
         updated_at = now()
       RETURNING id, activity_iri
     ), ss AS (
       INSERT INTO sco_states (attempt_id, sco, seq, commit_hash, cmi, suspend_doc, completion, success,
         score_scaled, total_seconds, session_seconds, terminated, suspended)
       SELECT r.attempt_id, r.sco, r.seq, r.commit_hash,
         convert_from(substring($16::bytea FROM r.cmi_offset + 1 FOR r.cmi_length), 'UTF8')::json, doc.id,
         r.completion, r.success, r.score_scaled, r.total_seconds, r.session_seconds, r.terminated, r.suspended
       FROM jsonb_to_recordset($1::jsonb) AS r(attempt_id uuid, sco text, seq bigint, commit_hash text,
         cmi_offset int, cmi_length int, suspend_iri text, completion text, success text,
         score_scaled numeric, total_seconds numeric, session_seconds numeric, terminated boolean, suspended boolean)
       -- sd is scanned once per row (the planner takes a CTE's output for one row): a few hundred rows at most.
       LEFT JOIN sd doc ON doc.activity_iri = r.suspend_iri
       WHERE r.attempt_id IN (SELECT id FROM ok)
       ORDER BY r.attempt_id, r.sco
       -- A commit that leaves suspend_data as it was writes no document and keeps the one it has; one that
       -- writes a document drops a copy from before tenant migration 007.
       ON CONFLICT (attempt_id, sco) DO UPDATE SET seq = EXCLUDED.seq, commit_hash = EXCLUDED.commit_hash,
         cmi = EXCLUDED.cmi, suspend_doc = coalesce(EXCLUDED.suspend_doc, sco_states.suspend_doc),
         suspend_data = CASE WHEN EXCLUDED.suspend_doc IS NULL THEN sco_states.suspend_data END,
         completion = EXCLUDED.completion, success = EXCLUDED.success,
         score_scaled = EXCLUDED.score_scaled, total_seconds = EXCLUDED.total_seconds,
         session_seconds = EXCLUDED.session_seconds, terminated = EXCLUDED.terminated,
         suspended = EXCLUDED.suspended, updated_at = now()
       RETURNING 1
     ), att AS (
       UPDATE attempts a SET completion = r.completion, success = r.success, score = r.score,
         total_seconds = r.total_seconds, completed_at = r.completed_at, suspended_sco = r.suspended_sco,
         sequencing_state = CASE WHEN r.has_sequencing_state THEN r.sequencing_state ELSE a.sequencing_state END,
         updated_at = now()
       FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, completion text, success text, score numeric,
         total_seconds numeric, completed_at timestamptz, suspended_sco text, has_sequencing_state boolean,
         sequencing_state jsonb)
       -- The ids again as an array: joined to the recordset alone, the planner hashes the whole attempts table.
       WHERE a.id = r.id AND a.id = ANY($11::uuid[]) AND a.id IN (SELECT id FROM ok)
       RETURNING a.id::text AS id, a.xmin::text AS xmin
     ), asd AS (
       INSERT INTO documents (kind, activity_iri, agent_key, registration, doc_id, content_type, body, etag)
       SELECT 'state', d.activity_iri, d.agent_key, NULL, $14, 'application/json', convert_to(d.body, 'UTF8'), d.etag
       FROM ROWS FROM (jsonb_to_recordset($13::jsonb) AS (attempt_id uuid, activity_iri text, agent_key text,
         body text, etag text)) WITH ORDINALITY AS d(attempt_id, activity_iri, agent_key, body, etag, ord)
       WHERE d.attempt_id IN (SELECT id FROM ok)
       ORDER BY d.ord
       ON CONFLICT ${DOCUMENT_CONFLICT}
       DO UPDATE SET content_type = EXCLUDED.content_type, body = EXCLUDED.body, etag = EXCLUDED.etag,
         updated_at = now()
       RETURNING 1
     ), ${statementInsertCtes(5)}
     SELECT CASE
         WHEN (SELECT count(*) FROM ok) <> cardinality($11::uuid[])
           THEN crest.raise('${STALE_ATTEMPT}', 'An attempt changed since this commit was judged.')
         WHEN (SELECT count(*) FROM sd) <> jsonb_array_length($3::jsonb)
           OR (SELECT count(*) FROM ss) <> jsonb_array_length($1::jsonb)
           OR (SELECT count(*) FROM asd) <> jsonb_array_length($13::jsonb)
           THEN crest.raise('${DOCUMENTS_NOT_WRITTEN}', 'A SCO state or State document of this commit was not written.')
         WHEN (SELECT count(*) FROM ins) <> $15::int
           THEN crest.raise('${STATEMENT_EXISTS}', 'A statement id of this commit already exists.')
         ELSE 0 END AS checked,
       (SELECT coalesce(json_agg(json_build_object('id', id, 'xmin', xmin)), '[]'::json) FROM att) AS versions`;
