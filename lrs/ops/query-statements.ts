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

/** An index table a query can be driven from: its rows are (key, related, verb_iri, seq, stored). */
interface Driver {
  table: 'statement_agents' | 'statement_activities';
  column: 'agent_key' | 'activity_iri';
  value: string;
  related: boolean;
}

/**
 * GET Statements with filters (xAPI 2.0 Part Three §2.1.3). Voided statements are never returned
 * (§2.1.3, Part Two §2.3.2). A statement whose object is a StatementRef also matches when its target
 * matches the non-time filters ("Filter Conditions for StatementRefs"), so the answer is the union of a
 * direct branch and a StatementRef branch.
 *
 * Plan shape matters more than anything else here: with an agent (or activity) filter, the direct
 * branch walks that index table's (key, related, verb_iri, seq) index in seq order, joins each entry to
 * its statement by primary key, and stops after limit+1 matches, so the cost is the page, not the
 * agent's history. `related_agents=true` needs both index ranges (related false and true); each is
 * walked in order with its own limit and the union is cut to the page, which is exact: a statement in
 * the true top n is in the top n of at least one range.
 */
export async function queryStatements(tx: Tx, input: QueryStatementsInput): Promise<QueryStatementsResult> {
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const f = input.filter;
  const dir = f.ascending ? 'ASC' : 'DESC';
  const lim = p(input.limit + 1);
  const relatedValues = (related: boolean) => (related ? [false, true] : [false]);

  /** Index-table membership as a primary-key probe on (key, related, seq). */
  const probe = (
    table: Driver['table'],
    column: Driver['column'],
    value: string,
    related: boolean,
    seq: string,
  ) =>
    `EXISTS (SELECT 1 FROM ${table} x WHERE x.${column} = ${p(value)} AND x.related = ANY(${p(relatedValues(related))}::boolean[]) AND x.seq = ${seq})`;

  /** The non-time filters, on statement alias `a`, except what the driver already checks. */
  const matches = (a: string, driven?: Driver['table']): string[] => {
    const c: string[] = [];
    if (f.agent !== undefined && driven !== 'statement_agents')
      c.push(probe('statement_agents', 'agent_key', f.agent, f.relatedAgents, `${a}.seq`));
    if (f.verb !== undefined && !driven) c.push(`${a}.verb_iri = ${p(f.verb)}`);
    if (f.activity !== undefined && driven !== 'statement_activities')
      c.push(probe('statement_activities', 'activity_iri', f.activity, f.relatedActivities, `${a}.seq`));
    if (f.registration !== undefined) c.push(`${a}.registration = ${p(f.registration)}::uuid`);
    return c;
  };
  /** Conditions on the returned statement itself, with time and keyset columns taken from `t`. */
  const own = (s: string, t: string): string[] => {
    const c = [`NOT ${s}.voided`];
    if (f.since !== undefined) c.push(`${t}.stored > ${p(f.since)}::timestamptz`);
    if (f.until !== undefined) c.push(`${t}.stored <= ${p(f.until)}::timestamptz`);
    if (input.after !== undefined) c.push(`${t}.seq ${f.ascending ? '>' : '<'} ${p(input.after)}::bigint`);
    if (input.credential !== undefined) c.push(`${s}.credential = ${p(input.credential)}`);
    return c;
  };

  const drivers: Driver[] =
    f.agent !== undefined
      ? relatedValues(f.relatedAgents).map((related) => ({
          table: 'statement_agents',
          column: 'agent_key',
          value: f.agent!,
          related,
        }))
      : f.activity !== undefined
        ? relatedValues(f.relatedActivities).map((related) => ({
            table: 'statement_activities',
            column: 'activity_iri',
            value: f.activity!,
            related,
          }))
        : [];

  const branches =
    drivers.length === 0
      ? [
          `SELECT s.seq FROM statements s WHERE ${[...own('s', 's'), ...matches('s')].join(' AND ')} ORDER BY s.seq ${dir} LIMIT ${lim}`,
        ]
      : drivers.map((d) => {
          const where = [
            `d.${d.column} = ${p(d.value)}`,
            `d.related = ${d.related}`,
            ...(f.verb !== undefined ? [`d.verb_iri = ${p(f.verb)}`] : []),
            ...own('s', 'd'),
            ...matches('s', d.table),
          ];
          return `SELECT d.seq FROM ${d.table} d JOIN statements s ON s.seq = d.seq
            WHERE ${where.join(' AND ')} ORDER BY d.seq ${dir} LIMIT ${lim}`;
        });
  const targetFilters = matches('t');
  if (targetFilters.length > 0) {
    branches.push(`SELECT s.seq FROM statements s JOIN statements t ON t.id = s.ref_id
      WHERE s.ref_id IS NOT NULL AND ${[...own('s', 's'), ...targetFilters].join(' AND ')} ORDER BY s.seq ${dir} LIMIT ${lim}`);
  }
  const seqs = branches.length === 1 ? branches[0]! : branches.map((b) => `(${b})`).join(' UNION ');
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
