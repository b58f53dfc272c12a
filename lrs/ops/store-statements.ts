import { AppError } from '../../core/errors.ts';
import type { Tx } from '../../db/database.ts';
import { enqueueManyInTx, type OutboxEntry } from '../../queue/outbox.ts';
import { MERGE_DEFINITION_ON_CONFLICT, MERGE_NAMES_ON_CONFLICT } from '../model/merge-definitions.ts';
import { isVoiding, refTarget } from '../model/prepare-statement.ts';
import { sameStatement } from '../model/statement-equivalence.ts';
import { indexBatch, type Json } from '../model/statement-index.ts';

export interface StoreStatementsInput {
  /** Prepared statements: ids, stored, authority and version already set. */
  statements: Json[];
  /** The key that sent them, for `statements/read/mine`. */
  credential: string;
  /** Attachments referenced by sha2, already verified: small bodies inline, large ones in the BlobStore. */
  attachments?: StoredAttachment[];
  /** Jobs caused by these statements (e.g. course completion), committed with them. */
  events?: OutboxEntry[];
}

export interface StoredAttachment {
  sha2: string;
  contentType: string;
  length: number;
  body?: Buffer;
  blobKey?: string;
}

export interface StoreStatementsResult {
  ids: string[];
  /** Ids that already existed with the same content: stored nothing, not an error (§2.1.2). */
  duplicates: string[];
}

/**
 * Stores one request's batch atomically inside the caller's tenant transaction: all statements, their
 * index rows, activity definitions, people, attachments, voiding effects and outbox rows, or none.
 * - Two statements with one id in a batch are refused (xAPI 2.0 Part Three §2.1.2).
 * - An id already stored with the same content is a no-op; with different content the whole batch is
 *   refused with 409 (xAPI 2.0 Part Three §2.1.2 PUT/POST Statements).
 * - A voiding statement voids its target unless the target is itself a voiding statement, which the
 *   LRS accepts and ignores (xAPI 2.0 Part Two §2.3.2 "Voiding"; ADL suite XAPI-00016).
 */
export async function storeStatements(tx: Tx, input: StoreStatementsInput): Promise<StoreStatementsResult> {
  const [outcome] = await storeStatementRequests(tx, [input]);
  if (outcome instanceof AppError) throw outcome;
  return outcome!;
}

export function assertUniqueIds(statements: readonly Json[]): void {
  const seen = new Set<string>();
  for (const s of statements) {
    if (seen.has(s.id)) {
      throw new AppError('BAD_REQUEST', `The batch holds more than one statement with id ${s.id}.`, {
        id: s.id,
      });
    }
    seen.add(s.id);
  }
}

/**
 * Many requests in one transaction, as group commit needs: each request succeeds or fails on its own
 * (an AppError in its slot), while the surviving statements of all requests go in one multi-row
 * insert. Requests are judged in order, so a later request reusing an id that an earlier one in the
 * same group stores is treated exactly as if they had been committed one after the other.
 */
export async function storeStatementRequests(
  tx: Tx,
  requests: readonly StoreStatementsInput[],
): Promise<(StoreStatementsResult | AppError)[]> {
  const allIds = [...new Set(requests.flatMap((r) => r.statements.map((s) => s.id)))];
  const existing = await tx.query<{ id: string; statement: Json }>(
    'SELECT id::text, statement FROM statements WHERE id = ANY($1::uuid[])',
    [allIds],
  );
  const known = new Map(existing.rows.map((r) => [r.id, r.statement]));
  const accepted: { statement: Json; credential: string }[] = [];
  const attachments: NonNullable<StoreStatementsInput['attachments']> = [];
  const events: OutboxEntry[] = [];
  const outcomes = requests.map((r): StoreStatementsResult | AppError => {
    try {
      assertUniqueIds(r.statements);
    } catch (err) {
      return err as AppError;
    }
    const duplicates: string[] = [];
    for (const s of r.statements) {
      const prior = known.get(s.id);
      if (prior === undefined) continue;
      if (!sameStatement(prior, s)) {
        return new AppError('CONFLICT', `Statement ${s.id} already exists with different content.`, {
          id: s.id,
        });
      }
      duplicates.push(s.id);
    }
    for (const s of r.statements) {
      if (known.has(s.id)) continue;
      known.set(s.id, s);
      accepted.push({ statement: s, credential: r.credential });
    }
    attachments.push(...(r.attachments ?? []));
    events.push(...(r.events ?? []));
    return { ids: r.statements.map((s) => s.id), duplicates };
  });
  if (accepted.length > 0) await insertStatements(tx, accepted);
  if (attachments.length > 0) await insertAttachments(tx, attachments);
  if (events.length > 0) await enqueueManyInTx(tx, events);
  return outcomes;
}

async function insertStatements(tx: Tx, entries: { statement: Json; credential: string }[]): Promise<void> {
  const statements = entries.map((e) => e.statement);
  const rows = entries.map(({ statement: s, credential }) => ({
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
  // The index rows carry the statement's verb and stored time (tenant migration 004).
  const byId = new Map(rows.map((r) => [r.id, r]));
  const copied = (id: string) => ({
    seq: seqOf.get(id)!,
    verb: byId.get(id)!.verb_iri,
    stored: byId.get(id)!.stored,
  });

  const index = indexBatch(statements);
  const agentRows = index.agents.map((a) => ({ ...copied(a.id), key: a.key, related: a.related }));
  const activityRows = index.activities.map((a) => ({ ...copied(a.id), iri: a.iri, related: a.related }));
  if (agentRows.length > 0) {
    await tx.query(
      `INSERT INTO statement_agents (seq, agent_key, related, verb_iri, stored)
       SELECT r.seq, r.key, r.related, r.verb, r.stored
       FROM jsonb_to_recordset($1::jsonb) AS r(seq bigint, key text, related boolean, verb text, stored timestamptz)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(agentRows)],
    );
  }
  if (activityRows.length > 0) {
    await tx.query(
      `INSERT INTO statement_activities (seq, activity_iri, related, verb_iri, stored)
       SELECT r.seq, r.iri, r.related, r.verb, r.stored
       FROM jsonb_to_recordset($1::jsonb) AS r(seq bigint, iri text, related boolean, verb text, stored timestamptz)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(activityRows)],
    );
  }
  // The upserts below lock existing rows. Rows that would not change are skipped (so a learner's
  // thousandth statement takes no lock on their agent row), and the rest are written in key order, so
  // concurrent group-commit transactions always lock in the same order and cannot deadlock.
  // OFFSET 0 keeps each NOT EXISTS a per-row primary-key probe instead of a hash of the whole table.
  if (index.people.length > 0) {
    await tx.query(
      `INSERT INTO agents (agent_key, names, ifi)
       SELECT r.key, ARRAY(SELECT jsonb_array_elements_text(r.names)), r.ifi
       FROM jsonb_to_recordset($1::jsonb) AS r(key text, names jsonb, ifi jsonb)
       WHERE NOT EXISTS (SELECT 1 FROM agents a WHERE a.agent_key = r.key
                         AND a.names @> ARRAY(SELECT jsonb_array_elements_text(r.names)) OFFSET 0)
       ${MERGE_NAMES_ON_CONFLICT}`,
      [JSON.stringify(index.people)],
    );
  }
  if (index.definitions.length > 0) {
    // Canonical definitions (xAPI 2.0 Part Two §2.4.4.1): later statements refine earlier ones, so
    // the stored definition is merged with the new one, language maps included.
    await tx.query(
      `INSERT INTO activities (iri, definition)
       SELECT r.iri, r.definition FROM jsonb_to_recordset($1::jsonb) AS r(iri text, definition jsonb)
       WHERE NOT EXISTS (SELECT 1 FROM activities a WHERE a.iri = r.iri AND a.definition @> r.definition OFFSET 0)
       ${MERGE_DEFINITION_ON_CONFLICT}`,
      [JSON.stringify(index.definitions)],
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

async function insertAttachments(tx: Tx, attachments: StoredAttachment[]) {
  await tx.query(
    `INSERT INTO attachments (sha2, content_type, length, body, blob_key)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bytea[], $5::text[])
     ON CONFLICT (sha2) DO NOTHING`,
    [
      attachments.map((a) => a.sha2),
      attachments.map((a) => a.contentType),
      attachments.map((a) => a.length),
      attachments.map((a) => a.body ?? null),
      attachments.map((a) => a.blobKey ?? null),
    ],
  );
}
