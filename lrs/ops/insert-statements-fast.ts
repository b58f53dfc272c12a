import type { Tx } from '../../db/database.ts';
import { MERGE_DEFINITION_ON_CONFLICT, MERGE_NAMES_ON_CONFLICT } from '../model/merge-definitions.ts';
import { isVoiding, refTarget } from '../model/prepare-statement.ts';
import { indexBatch, type Json } from '../model/statement-index.ts';
import type { StoreStatementsInput, StoreStatementsResult } from './store-statements.ts';

/** The SQLSTATE the fast path raises (crest.raise, control migration 004) when a statement id already exists. */
export const STATEMENT_EXISTS = 'CR003';

/** Thrown when an id already exists: the transaction must be rolled back and the careful path used. */
export class FastPathConflict extends Error {
  constructor() {
    super('a statement id already exists; retry on the careful path');
    this.name = 'FastPathConflict';
  }
}

/** The fast path covers the common case: fresh statements, no voiding, no attachments, no outbox events. */
export function fastPathApplies(requests: readonly StoreStatementsInput[]): boolean {
  const seen = new Set<string>();
  for (const r of requests) {
    if (r.attachments?.length || r.events?.length) return false;
    for (const s of r.statements) {
      if (isVoiding(s) || seen.has(s.id)) return false;
      seen.add(s.id);
    }
  }
  return true;
}

/** The parameters of statementInsertCtes, in order, for every statement of every request. */
export function statementInsertParams(requests: readonly StoreStatementsInput[]): unknown[] {
  const rows: Json[] = requests.flatMap((r) =>
    r.statements.map((s) => ({
      id: s.id,
      stored: s.stored,
      verb_iri: s.verb.id,
      registration: s.context?.registration ?? null,
      ref_id: refTarget(s) ?? null,
      credential: r.credential,
      statement: s,
    })),
  );
  const index = indexBatch(requests.flatMap((r) => r.statements));
  return [
    JSON.stringify(rows),
    JSON.stringify(index.agents),
    JSON.stringify(index.activities),
    JSON.stringify(index.people),
    JSON.stringify(index.definitions),
    rows.map((r) => r.id),
  ];
}

/**
 * The writable CTEs that insert the statements of statementInsertParams (six parameters from $first): the
 * statements, their agent and activity index rows, the people and activity-definition upserts. `ins` returns
 * one row per statement inserted (an existing id inserts nothing). For callers that add their own CTEs to the
 * same SQL statement (runtime/ops/commit-cmi.ts).
 */
export function statementInsertCtes(first: number): string {
  const p = (i: number) => `$${first + i - 1}`;
  return `input AS (
       SELECT * FROM ROWS FROM (jsonb_to_recordset(${p(1)}::jsonb) AS (id uuid, stored timestamptz, verb_iri text,
         registration uuid, ref_id uuid, credential text, statement jsonb)) WITH ORDINALITY AS r(id, stored, verb_iri,
         registration, ref_id, credential, statement, ord)
     ), already_voided AS (
       -- One index probe for the whole batch (statements_ref), not a scan per commit.
       SELECT v.ref_id FROM statements v WHERE v.ref_id = ANY(${p(6)}::uuid[]) AND v.is_voiding
     ), ins AS (
       INSERT INTO statements (id, stored, verb_iri, registration, ref_id, is_voiding, credential, statement, voided)
       SELECT r.id, r.stored, r.verb_iri, r.registration, r.ref_id, false, r.credential, r.statement,
              r.id IN (SELECT ref_id FROM already_voided)
       FROM input r ORDER BY r.ord
       ON CONFLICT (id) DO NOTHING
       RETURNING seq, id, verb_iri, stored
     ), ag AS (
       INSERT INTO statement_agents (seq, agent_key, related, verb_iri, stored)
       SELECT ins.seq, a.key, a.related, ins.verb_iri, ins.stored FROM jsonb_to_recordset(${p(2)}::jsonb) AS a(id uuid, key text, related boolean)
       JOIN ins ON ins.id = a.id
     ), ac AS (
       INSERT INTO statement_activities (seq, activity_iri, related, verb_iri, stored)
       SELECT ins.seq, a.iri, a.related, ins.verb_iri, ins.stored FROM jsonb_to_recordset(${p(3)}::jsonb) AS a(id uuid, iri text, related boolean)
       JOIN ins ON ins.id = a.id
     ), pe AS (
       -- OFFSET 0 keeps each NOT EXISTS a per-row primary-key probe; pulled up into an anti-join, the
       -- planner hashes the whole agents (or activities) table on every flush.
       INSERT INTO agents (agent_key, names, ifi)
       SELECT p.key, ARRAY(SELECT jsonb_array_elements_text(p.names)), p.ifi
       FROM jsonb_to_recordset(${p(4)}::jsonb) AS p(key text, names jsonb, ifi jsonb)
       WHERE NOT EXISTS (SELECT 1 FROM agents x WHERE x.agent_key = p.key
                         AND x.names @> ARRAY(SELECT jsonb_array_elements_text(p.names)) OFFSET 0)
       ${MERGE_NAMES_ON_CONFLICT}
     ), de AS (
       INSERT INTO activities (iri, definition)
       SELECT d.iri, d.definition FROM jsonb_to_recordset(${p(5)}::jsonb) AS d(iri text, definition jsonb)
       WHERE NOT EXISTS (SELECT 1 FROM activities x WHERE x.iri = d.iri AND x.definition @> d.definition OFFSET 0)
       ${MERGE_DEFINITION_ON_CONFLICT}
     )`;
}

/**
 * The clash check runs inside the statement, so COMMIT can ride behind it in the same round trip: if an id
 * already existed, the raise aborts the transaction before COMMIT and nothing of it stays.
 */
const INSERT_STATEMENTS_SQL = `WITH ${statementInsertCtes(1)}
     SELECT CASE WHEN (SELECT count(*) FROM ins) <> cardinality($6::uuid[])
       THEN crest.raise('${STATEMENT_EXISTS}', 'A statement id of this request already exists.')
       ELSE 0 END AS checked`;

/**
 * Stores every statement of every request in ONE SQL statement, the transaction's last: the statements, their
 * agent and activity index rows, and the people and activity-definition upserts, as writable CTEs, with COMMIT
 * behind them in the same round trip. A statement is born voided when a voiding statement already names it.
 * Compared with the careful path this saves five round trips per transaction, and COMMIT's own: most of a
 * group commit's time on a busy LRS. If any id already exists, nothing is decided here: the transaction is
 * rolled back and FastPathConflict asks the caller to rerun on the careful path, which compares contents and
 * fails only the requests at fault.
 */
export async function insertStatementsFast(
  tx: Tx,
  requests: readonly StoreStatementsInput[],
): Promise<StoreStatementsResult[]> {
  try {
    // Planning this CTE costs about as much as executing it for a small group: plan it once. COMMIT follows
    // in the same socket write: without it, the transaction sat "idle in transaction" until the event loop
    // got round to sending COMMIT, 36% of PostgreSQL's session time in bench B.
    await tx.query(INSERT_STATEMENTS_SQL, statementInsertParams(requests), {
      prepare: 'crest-insert-statements-fast',
      commit: true,
    });
  } catch (err) {
    if ((err as { code?: string }).code === STATEMENT_EXISTS) throw new FastPathConflict();
    throw err;
  }
  return requests.map((r) => ({ ids: r.statements.map((s) => s.id), duplicates: [] }));
}
