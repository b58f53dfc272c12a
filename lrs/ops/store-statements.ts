import { AppError } from '../../core/errors.ts';
import type { Tx } from '../../db/database.ts';
import { enqueueManyInTx, type OutboxEntry } from '../../queue/outbox.ts';
import { isVoiding, refTarget } from '../model/prepare-statement.ts';
import { sameStatement } from '../model/statement-equivalence.ts';
import { indexStatement, type Json } from '../model/statement-index.ts';

export interface StoreStatementsInput {
  /** Prepared statements: ids, stored, authority and version already set. */
  statements: Json[];
  /** The key that sent them, for `statements/read/mine`. */
  credential: string;
  /** Attachment bodies referenced by sha2, already verified against the statements. */
  attachments?: { sha2: string; contentType: string; body: Buffer }[];
  /** Jobs caused by these statements (e.g. course completion), committed with them. */
  events?: OutboxEntry[];
}

export interface StoreStatementsResult {
  ids: string[];
  /** Ids that already existed with the same content: stored nothing, not an error (§2.1.2). */
  duplicates: string[];
}

/**
 * Stores a batch atomically inside the caller's tenant transaction: all statements, their index rows,
 * activity definitions, people, attachments, voiding effects and one outbox row, or none of them.
 * - An id already stored with the same content is a no-op; with different content the whole batch is
 *   refused with 409 (xAPI 2.0 Part Three §2.1.2 PUT/POST Statements).
 * - A voiding statement voids its target unless the target is itself a voiding statement, which the
 *   LRS accepts and ignores (xAPI 2.0 Part Two §2.3.2 "Voiding"; ADL suite XAPI-00016).
 */
export async function storeStatements(tx: Tx, input: StoreStatementsInput): Promise<StoreStatementsResult> {
  const byId = new Map<string, Json>();
  for (const s of input.statements) {
    const previous = byId.get(s.id);
    if (previous && !sameStatement(previous, s)) {
      throw new AppError('BAD_REQUEST', `The batch holds two different statements with id ${s.id}.`, {
        id: s.id,
      });
    }
    byId.set(s.id, s);
  }
  const ids = [...byId.keys()];
  const existing = await tx.query<{ id: string; statement: Json }>(
    'SELECT id::text, statement FROM statements WHERE id = ANY($1::uuid[])',
    [ids],
  );
  const duplicates: string[] = [];
  for (const row of existing.rows) {
    if (!sameStatement(row.statement, byId.get(row.id))) {
      throw new AppError('CONFLICT', `Statement ${row.id} already exists with different content.`, {
        id: row.id,
      });
    }
    duplicates.push(row.id);
    byId.delete(row.id);
  }
  const fresh = [...byId.values()];
  if (fresh.length > 0) await insertStatements(tx, fresh, input.credential);
  if (input.attachments?.length) await insertAttachments(tx, input.attachments);
  if (input.events?.length) await enqueueManyInTx(tx, input.events);
  return { ids: input.statements.map((s) => s.id), duplicates };
}

async function insertStatements(tx: Tx, statements: Json[], credential: string): Promise<void> {
  const rows = statements.map((s) => ({
    id: s.id,
    stored: s.stored,
    verb_iri: s.verb.id,
    registration: s.context?.registration ?? null,
    ref_id: refTarget(s) ?? null,
    is_voiding: isVoiding(s),
    credential,
    statement: s,
    attachment_hashes: Array.isArray(s.attachments) ? s.attachments.map((a: Json) => a.sha2) : null,
  }));
  const inserted = await tx.query<{ seq: string; id: string }>(
    `INSERT INTO statements (id, stored, verb_iri, registration, ref_id, is_voiding, credential, statement, attachment_hashes)
     SELECT r.id, r.stored, r.verb_iri, r.registration, r.ref_id, r.is_voiding, r.credential, r.statement,
            ARRAY(SELECT jsonb_array_elements_text(r.attachment_hashes))
     FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, stored timestamptz, verb_iri text, registration uuid, ref_id uuid,
          is_voiding boolean, credential text, statement jsonb, attachment_hashes jsonb)
     RETURNING seq::text, id::text`,
    [JSON.stringify(rows)],
  );
  const seqOf = new Map(inserted.rows.map((r) => [r.id, r.seq]));

  const agentRows: { seq: string; key: string; related: boolean }[] = [];
  const activityRows: { seq: string; iri: string; related: boolean }[] = [];
  const people = new Map<string, { key: string; ifi: Json; names: string[] }>();
  const definitions = new Map<string, Json>();
  for (const s of statements) {
    const seq = seqOf.get(s.id)!;
    const idx = indexStatement(s);
    for (const a of idx.agents) agentRows.push({ seq, key: a.key, related: a.related });
    for (const a of idx.activities) activityRows.push({ seq, iri: a.iri, related: a.related });
    for (const p of idx.people) {
      const entry = people.get(p.key) ?? { key: p.key, ifi: p.ifi, names: [] };
      if (p.name && !entry.names.includes(p.name)) entry.names.push(p.name);
      people.set(p.key, entry);
    }
    for (const d of idx.definitions) definitions.set(d.iri, { ...definitions.get(d.iri), ...d.definition });
  }
  if (agentRows.length > 0) {
    await tx.query(
      `INSERT INTO statement_agents (seq, agent_key, related)
       SELECT r.seq, r.key, r.related FROM jsonb_to_recordset($1::jsonb) AS r(seq bigint, key text, related boolean)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(agentRows)],
    );
  }
  if (activityRows.length > 0) {
    await tx.query(
      `INSERT INTO statement_activities (seq, activity_iri, related)
       SELECT r.seq, r.iri, r.related FROM jsonb_to_recordset($1::jsonb) AS r(seq bigint, iri text, related boolean)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(activityRows)],
    );
  }
  if (people.size > 0) {
    await tx.query(
      `INSERT INTO agents (agent_key, names, ifi)
       SELECT r.key, ARRAY(SELECT jsonb_array_elements_text(r.names)), r.ifi
       FROM jsonb_to_recordset($1::jsonb) AS r(key text, names jsonb, ifi jsonb)
       ON CONFLICT (agent_key) DO UPDATE SET names = ARRAY(
         SELECT DISTINCT unnest(agents.names || EXCLUDED.names))`,
      [JSON.stringify([...people.values()])],
    );
  }
  if (definitions.size > 0) {
    // Canonical definitions (xAPI 2.0 Part Two §2.4.4.1): later statements refine earlier ones, so
    // the stored definition is merged with the new one, language maps included.
    await tx.query(
      `INSERT INTO activities (iri, definition)
       SELECT r.iri, r.definition FROM jsonb_to_recordset($1::jsonb) AS r(iri text, definition jsonb)
       ON CONFLICT (iri) DO UPDATE SET updated_at = now(), definition = (
         SELECT coalesce(jsonb_object_agg(k, CASE
             WHEN jsonb_typeof(activities.definition -> k) = 'object' AND jsonb_typeof(EXCLUDED.definition -> k) = 'object'
               THEN (activities.definition -> k) || (EXCLUDED.definition -> k)
             ELSE coalesce(EXCLUDED.definition -> k, activities.definition -> k) END), '{}'::jsonb)
         FROM (SELECT jsonb_object_keys(activities.definition || EXCLUDED.definition) AS k) keys)`,
      [JSON.stringify([...definitions].map(([iri, definition]) => ({ iri, definition })))],
    );
  }
  const voidTargets = statements.filter(isVoiding).map(refTarget);
  if (voidTargets.length > 0) {
    await tx.query('UPDATE statements SET voided = true WHERE id = ANY($1::uuid[]) AND NOT is_voiding', [
      voidTargets,
    ]);
  }
  // A voiding statement may arrive before its target; the target is voided as soon as it is stored.
  await tx.query(
    `UPDATE statements s SET voided = true WHERE s.id = ANY($1::uuid[]) AND NOT s.is_voiding
       AND EXISTS (SELECT 1 FROM statements v WHERE v.ref_id = s.id AND v.is_voiding)`,
    [statements.map((x) => x.id)],
  );
}

async function insertAttachments(tx: Tx, attachments: { sha2: string; contentType: string; body: Buffer }[]) {
  for (const a of attachments) {
    await tx.query(
      `INSERT INTO attachments (sha2, content_type, length, body) VALUES ($1, $2, $3, $4) ON CONFLICT (sha2) DO NOTHING`,
      [a.sha2, a.contentType, a.body.length, a.body],
    );
  }
}
