import type { Tx } from '../../db/database.ts';
import type { StatementFilter } from '../input/statement-query.ts';
import type { Json } from '../model/statement-index.ts';

export interface QueryStatementsInput {
  filter: StatementFilter;
  limit: number;
  /** Continue after this seq (exclusive), in the query's direction. */
  after?: string;
  /** Restrict to statements stored with this credential (`statements/read/mine`). */
  credential?: string;
}

export interface QueryStatementsResult {
  statements: Json[];
  /** The seq to continue after when there are more, else undefined. */
  next?: string;
}

/**
 * GET Statements with filters (xAPI 2.0 Part Three §2.1.3). Voided statements are never returned
 * (§2.1.3, Part Two §2.3.2). A statement whose object is a StatementRef also matches when its
 * target matches the non-time filters ("Filter Conditions for StatementRefs"), so the query is a
 * union of two index-driven branches, each limited, ordered by seq (= stored order).
 */
export async function queryStatements(tx: Tx, input: QueryStatementsInput): Promise<QueryStatementsResult> {
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const f = input.filter;
  const matches = (alias: string): string[] => {
    const c: string[] = [];
    if (f.agent !== undefined) {
      c.push(
        `${alias}.seq IN (SELECT seq FROM statement_agents WHERE agent_key = ${p(f.agent)}${f.relatedAgents ? '' : ' AND NOT related'})`,
      );
    }
    if (f.verb !== undefined) c.push(`${alias}.verb_iri = ${p(f.verb)}`);
    if (f.activity !== undefined) {
      c.push(
        `${alias}.seq IN (SELECT seq FROM statement_activities WHERE activity_iri = ${p(f.activity)}${f.relatedActivities ? '' : ' AND NOT related'})`,
      );
    }
    if (f.registration !== undefined) c.push(`${alias}.registration = ${p(f.registration)}::uuid`);
    return c;
  };
  const own = (alias: string): string[] => {
    const c = [`NOT ${alias}.voided`];
    if (f.since !== undefined) c.push(`${alias}.stored > ${p(f.since)}::timestamptz`);
    if (f.until !== undefined) c.push(`${alias}.stored <= ${p(f.until)}::timestamptz`);
    if (input.after !== undefined)
      c.push(`${alias}.seq ${f.ascending ? '>' : '<'} ${p(input.after)}::bigint`);
    if (input.credential !== undefined) c.push(`${alias}.credential = ${p(input.credential)}`);
    return c;
  };
  const dir = f.ascending ? 'ASC' : 'DESC';
  const lim = p(input.limit + 1);
  const direct = [...own('s'), ...matches('s')];
  let seqs = `SELECT s.seq FROM statements s WHERE ${direct.join(' AND ')} ORDER BY s.seq ${dir} LIMIT ${lim}`;
  const targetFilters = matches('t');
  if (targetFilters.length > 0) {
    const viaRef = [...own('s'), ...targetFilters];
    seqs = `(${seqs}) UNION (SELECT s.seq FROM statements s JOIN statements t ON t.id = s.ref_id
      WHERE s.ref_id IS NOT NULL AND ${viaRef.join(' AND ')} ORDER BY s.seq ${dir} LIMIT ${lim})`;
  }
  const res = await tx.query<{ cursor: string; statement: Json }>(
    // Order by the column, not the text alias: "100" sorts before "99".
    `SELECT seq::text AS cursor, statement FROM statements WHERE seq IN (${seqs}) ORDER BY statements.seq ${dir} LIMIT ${lim}`,
    params,
  );
  const rows = res.rows;
  const hasMore = rows.length > input.limit;
  const page = hasMore ? rows.slice(0, input.limit) : rows;
  return {
    statements: page.map((r) => r.statement),
    next: hasMore ? page[page.length - 1]!.cursor : undefined,
  };
}
