import type { Knex } from 'knex';

export type Row = Record<string, unknown>;

export interface QueryResult<R = Row> {
  rows: R[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Run as the named prepared statement (PostgreSQL): parsed and planned once per connection instead of
   * on every call. Only for fixed SQL texts on hot paths; the name must be unique to the text. PostgreSQL
   * re-plans by itself when search_path or the role differ from when it was planned, so one name serves
   * every tenant. PGlite ignores it.
   */
  prepare?: string;
  /**
   * This is the transaction's last statement: COMMIT is queued right behind it, so the connection sends it the
   * moment the statement's result arrives, with no turn of the event loop in between (on a busy process that
   * turn is most of a transaction's "idle in transaction" time). The call resolves only once COMMIT has
   * succeeded, and fails if the statement or the COMMIT did (the transaction is then rolled back); the Tx takes
   * no further calls. PGlite, one in-process session, commits when the transaction's function returns.
   */
  commit?: boolean;
}

/** A connection inside one transaction. SQL uses $1-style parameters on both adapters. */
export interface Tx {
  query<R = Row>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<R>>;
  /**
   * Several SQL statements without parameters (values inlined as safe literals), sent in ONE round trip and
   * run in order, each with its own snapshot (so a statement sees what committed while an earlier one waited
   * on a lock); their results in order. As a transaction's first call, on PostgreSQL it also carries the
   * BEGIN and SET LOCALs, which then cost no round trip of their own. Optional for test doubles: use runScript.
   */
  script?(statements: readonly string[]): Promise<QueryResult[]>;
}

/** tx.script, or the statements one after the other where a Tx has no script. */
export async function runScript(tx: Tx, statements: readonly string[]): Promise<QueryResult[]> {
  if (tx.script) return tx.script(statements);
  const results: QueryResult[] = [];
  for (const sql of statements) results.push(await tx.query(sql));
  return results;
}

/**
 * The Database port. Two roles reach the data:
 *  - the owner (migrations, tenant administration, the outbox dispatcher), and
 *  - the app role (every request), a non-superuser without BYPASSRLS, so RLS policies bind it.
 * Tenant data is reached only through `withTenant()` (db/with-tenant.ts), which builds on `appTransaction`.
 */
export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly appRole: string;
  /** A transaction as the owner role. */
  ownerTransaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * A transaction as the app role, opened with the given `SET LOCAL` settings applied in the same
   * round trip as BEGIN. Keys and values must already be validated identifiers/literals.
   */
  appTransaction<T>(settings: Readonly<Record<string, string>>, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs `fn` with a knex instance bound to the owner connection, exclusively (migrations). */
  withKnex<T>(fn: (knex: Knex) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Quote a value as a SQL string literal. Only used for SET LOCAL values, which cannot take parameters. */
export function sqlLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('NUL byte in SQL literal');
  return `'${value.replaceAll("'", "''")}'`;
}

const SETTING_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** Builds `SET LOCAL` statements. `role` and `search_path` take identifiers; others take literals. */
export function setLocalSql(appRole: string, settings: Readonly<Record<string, string>>): string {
  const parts = [`SET LOCAL ROLE ${ident(appRole)}`];
  for (const [name, value] of Object.entries(settings)) {
    if (!SETTING_NAME.test(name)) throw new Error(`bad setting name ${name}`);
    parts.push(
      name === 'search_path'
        ? `SET LOCAL search_path = ${ident(value)}`
        : `SET LOCAL ${name} = ${sqlLiteral(value)}`,
    );
  }
  return parts.join('; ');
}

export function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`unsafe SQL identifier: ${name}`);
  return `"${name}"`;
}
