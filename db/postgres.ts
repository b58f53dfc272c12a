import knexFactory from 'knex';
import pg from 'pg';
import { AppError } from '../core/errors.ts';
import type { Database, QueryOptions, QueryResult, Row, Tx } from './database.ts';
import { setLocalSql } from './database.ts';

export interface PostgresOptions {
  url: string;
  /** A login for the app role. Without it, the owner connection switches with SET LOCAL ROLE. */
  appUrl?: string | undefined;
  appRole: string;
  poolMax?: number;
  /** backend_flush_after for every session (sessionOptions); undefined leaves the server's setting. */
  backendFlushAfter?: string | undefined;
  connectRetries?: number;
  onRetry?: (attempt: number, max: number, err: Error) => void;
}

// Keep bigint/numeric as strings (pg's default) but parse int8 counts we rely on as numbers.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

async function connectWithRetry(pool: pg.Pool, options: PostgresOptions, which: string): Promise<void> {
  const max = options.connectRetries ?? 10;
  for (let attempt = 0; ; attempt++) {
    try {
      const client = await pool.connect();
      client.release();
      return;
    } catch (err) {
      const e = err as Error & { code?: string };
      const fatal = e.code === '28P01' || e.code === '3D000' || e.code === '28000';
      if (fatal || attempt >= max) {
        const hint =
          e.code === '3D000'
            ? 'Create the database first (createdb), or fix the name in the URL.'
            : e.code === '28P01' || e.code === '28000'
              ? 'Check the user and password in the URL.'
              : 'Is PostgreSQL running and reachable? Start it, or fix the host and port in the URL.';
        throw new AppError(
          'DATABASE_UNAVAILABLE',
          `Cannot connect to PostgreSQL at ${describeUrl(which)} (${e.code ?? e.message}). ${hint}`,
          { cause: e.message },
        );
      }
      options.onRetry?.(attempt + 1, max, e);
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 5000)));
    }
  }
}

/**
 * A transaction on one pooled client. BEGIN (with the SET LOCALs) is sent with the first call, in the same
 * round trip; a transaction that never queries sends nothing. Calls made without awaiting the previous one go
 * out at once, in order (pipeline mode).
 */
async function inTransaction<T>(pool: pg.Pool, beginSql: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let begun = false;
  let ended = false;
  let broken = false;
  const stream = () =>
    (client as unknown as { connection?: { stream?: { cork(): void; uncork(): void } } }).connection?.stream;
  // pg writes an extended-protocol query as 4–5 messages (parse, bind, describe, execute, sync), each its own
  // socket write: corked, they leave in one syscall and wake PostgreSQL once. The query is submitted
  // synchronously when the client is idle, as it is inside a transaction.
  const submit = (sql: string, values: unknown[] | undefined, options: QueryOptions | undefined) => {
    const socket = stream();
    socket?.cork();
    const pending = options?.prepare
      ? client.query({ name: options.prepare, text: sql, values })
      : client.query(sql, values);
    socket?.uncork();
    return pending;
  };
  const tx: Tx = {
    async query<R>(
      sql: string,
      params?: readonly unknown[],
      options?: QueryOptions,
    ): Promise<QueryResult<R>> {
      if (ended) throw new Error('This transaction has already committed.');
      // Pipeline mode sends each query the moment it is given, in the order given: BEGIN (with the SET LOCALs)
      // rides with the transaction's first statement, and with `commit` the COMMIT follows it, all in one socket
      // write, so a one-statement transaction costs one round trip. Each has its own Sync: if BEGIN or the
      // statement fails, the COMMIT behind it runs in an aborted transaction and PostgreSQL answers ROLLBACK.
      const socket = stream();
      socket?.cork();
      const begin = begun ? undefined : client.query(beginSql);
      begun = true;
      const pending = submit(sql, params as unknown[] | undefined, options);
      const commit = options?.commit ? client.query('COMMIT') : undefined;
      if (commit) ended = true;
      socket?.uncork();
      try {
        const [, res] = await Promise.all([begin, pending]);
        if (commit) {
          const done = await commit;
          if (done.command !== 'COMMIT')
            throw new Error(`The transaction ended in ${done.command}, not COMMIT.`);
        }
        return { rows: res.rows as R[], rowCount: res.rowCount ?? res.rows.length };
      } catch (err) {
        await commit?.catch(() => {
          broken = true;
        });
        throw err;
      }
    },
    async script(statements: readonly string[]): Promise<QueryResult[]> {
      if (statements.length === 0) return [];
      if (ended) throw new Error('This transaction has already committed.');
      const text = statements.join(';\n');
      const first = !begun;
      begun = true;
      const res = (await client.query(first ? `${beginSql};\n${text}` : text)) as unknown as
        | pg.QueryResult
        | pg.QueryResult[];
      const all = Array.isArray(res) ? res : [res];
      return all
        .slice(all.length - statements.length)
        .map((r) => ({ rows: r.rows as Row[], rowCount: r.rowCount ?? r.rows.length }));
    },
  };
  try {
    const result = await fn(tx);
    if (begun && !ended) await client.query('COMMIT');
    return result;
  } catch (err) {
    if (begun && !ended)
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * Startup options of Crest's sessions. backend_flush_after (PostgreSQL 15 docs §20.4.6, Asynchronous Behavior):
 * a backend that writes more than this asks the kernel to start writing it out. Under a commit peak the
 * backends evict far more dirty pages than shared_buffers holds (40 MB/s at 2,500 SCO commits/s); at its
 * default of 0 they pile up in the page cache until the checkpoint fsyncs them all at once, and the WAL's
 * fdatasync waits behind that flush. On the bench machine (WAL and data on one disk) that was most of the
 * p99: 0.5–0.9 GB written back in under half a second, every checkpoint, commits stalled 150–300 ms meanwhile
 * (bench F's slow windows). It is a user-level setting, so the app role may set it.
 */
function sessionOptions(options: Pick<PostgresOptions, 'backendFlushAfter'>): string | undefined {
  return options.backendFlushAfter ? `-c backend_flush_after=${options.backendFlushAfter}` : undefined;
}

export async function createPostgresDatabase(options: PostgresOptions): Promise<Database> {
  const max = options.poolMax ?? 20;
  const startup = sessionOptions(options);
  // With a separate app login the owner pool only serves administration and the outbox dispatcher.
  // Pipeline mode: queries given to a client before the previous one answered go out at once instead of
  // waiting in pg's queue (Tx.query's commit option). Awaited one by one, as everywhere else, nothing changes.
  const owner = new pg.Pool({
    connectionString: options.url,
    max: options.appUrl ? Math.max(2, Math.ceil(max / 4)) : max,
    pipeline: true,
    options: startup,
  } as pg.PoolConfig);
  const app = options.appUrl
    ? new pg.Pool({
        connectionString: options.appUrl,
        max,
        pipeline: true,
        options: startup,
      } as pg.PoolConfig)
    : owner;
  // An idle client that errors (server restart) must not crash the process; the pool replaces it.
  owner.on('error', () => undefined);
  if (app !== owner) app.on('error', () => undefined);
  try {
    await connectWithRetry(owner, options, options.url);
    if (app !== owner) await connectWithRetry(app, options, options.appUrl!);
  } catch (err) {
    await owner.end().catch(() => undefined);
    if (app !== owner) await app.end().catch(() => undefined);
    throw err;
  }
  const knex = knexFactory({ client: 'pg', connection: options.url, pool: { min: 0, max: 2 } });

  let closed = false;
  return {
    kind: 'postgres',
    appRole: options.appRole,
    ownerTransaction: (fn) => inTransaction(owner, 'BEGIN', fn),
    appTransaction: (settings, fn) =>
      inTransaction(app, `BEGIN; ${setLocalSql(options.appRole, settings)}`, fn),
    withKnex: (fn) => fn(knex),
    async ping() {
      await app.query('SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await knex.destroy();
      await owner.end();
      if (app !== owner) await app.end();
    },
  };
}
