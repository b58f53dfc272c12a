import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import type { Database, QueryResult, Row, Tx } from './database.ts';
import { setLocalSql } from './database.ts';
import { Mutex } from './mutex.ts';

export interface PgliteOptions {
  /** A folder for the data, or undefined for an in-memory database (tests). */
  dataDir: string | undefined;
  appRole: string;
}

/**
 * Embedded PostgreSQL (PGlite). It is a single session, so transactions are serialised through a
 * mutex: concurrency comes from batching writes (group commit), not from parallel sessions.
 */
export async function createPgliteDatabase(options: PgliteOptions): Promise<Database> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const pg = await PGlite.create(options.dataDir);
  const mutex = new Mutex();
  const knex = knexFactory({
    client: ClientPgLite as unknown as typeof Knex.Client,
    connection: () => ({ pglite: pg }) as object,
  } as Knex.Config);

  const tx: Tx = {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const res = await pg.query<R>(sql, params as unknown[] | undefined);
      return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
    },
    async script(statements: readonly string[]): Promise<QueryResult[]> {
      if (statements.length === 0) return [];
      const all = await pg.exec(statements.join(';\n'));
      return all
        .slice(all.length - statements.length)
        .map((r) => ({ rows: r.rows as Row[], rowCount: r.affectedRows ?? r.rows.length }));
    },
  };

  async function inTransaction<T>(begin: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return mutex.run(async () => {
      await pg.exec(begin);
      try {
        const result = await fn(tx);
        await pg.exec('COMMIT');
        return result;
      } catch (err) {
        await pg.exec('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  let closed = false;
  return {
    kind: 'pglite',
    appRole: options.appRole,
    ownerTransaction: (fn) => inTransaction('BEGIN', fn),
    appTransaction: (settings, fn) => inTransaction(`BEGIN; ${setLocalSql(options.appRole, settings)}`, fn),
    withKnex: (fn) => mutex.run(() => fn(knex)),
    async ping() {
      await mutex.run(() => pg.query('SELECT 1'));
    },
    async close() {
      if (closed) return;
      closed = true;
      // knex.destroy() closes the PGlite instance it was handed, flushing it to the data folder.
      await mutex.run(() => knex.destroy());
      if (!pg.closed) await pg.close();
    },
  };
}
