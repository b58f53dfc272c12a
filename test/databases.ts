import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database } from '../db/database.ts';
import { createPgliteDatabase } from '../db/pglite.ts';
import { createPostgresDatabase, type PostgresOptions } from '../db/postgres.ts';

/**
 * The databases every DB test runs on: PGlite always, PostgreSQL when TEST_DATABASE_URL is set.
 * In CI (CI=true) PostgreSQL is mandatory, so a missing URL fails instead of silently skipping.
 */
export interface DatabaseTarget {
  name: 'pglite' | 'postgres';
  /** A fresh, empty database. Call `dispose` when done. */
  create(): Promise<{ db: Database; url: string | undefined; dispose(): Promise<void> }>;
}

const TEST_APP_ROLE = 'crest_test_app';

export function databaseTargets(): DatabaseTarget[] {
  const targets: DatabaseTarget[] = [
    {
      name: 'pglite',
      async create() {
        const db = await createPgliteDatabase({ dataDir: undefined, appRole: TEST_APP_ROLE });
        return { db, url: undefined, dispose: () => db.close() };
      },
    },
  ];
  const base = process.env.TEST_DATABASE_URL;
  if (base) {
    targets.push({ name: 'postgres', create: () => createScratchPostgres(base) });
  } else if (process.env.CI === 'true') {
    throw new Error('TEST_DATABASE_URL must be set in CI: the PostgreSQL suites may not be skipped.');
  } else if (!warned) {
    warned = true;
    console.warn(
      '\n!!! TEST_DATABASE_URL is not set: PostgreSQL suites are SKIPPED (PGlite only). Set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres to run them.\n',
    );
  }
  return targets;
}
let warned = false;

/** Creates a uniquely named, empty database on the server `base` points at; `drop` removes it. */
export async function createScratchDatabase(
  base: string,
  prefix = 'crest_test',
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A scratch database opened as a Crest Database, so test files can run in parallel. */
export async function createScratchPostgres(
  base: string,
  options: Pick<PostgresOptions, 'backendFlushAfter'> = {},
): Promise<{ db: Database; url: string; dispose(): Promise<void> }> {
  const scratch = await createScratchDatabase(base);
  const db = await createPostgresDatabase({
    url: scratch.url,
    appRole: TEST_APP_ROLE,
    connectRetries: 0,
    ...options,
  });
  return {
    db,
    url: scratch.url,
    async dispose() {
      await db.close();
      await scratch.drop();
    },
  };
}

/**
 * Registers one migrated database per target for the test file and calls `define` to declare tests
 * against it. Test titles are prefixed with the target name, so a failure says which engine broke.
 */
export function forEachDatabase(
  test: import('ava').TestFn,
  define: (ctx: {
    name: string;
    db: () => Database;
    /** Resolves once the database exists and is migrated; await it in the file's own before hooks. */
    ready: () => Promise<Database>;
    url: () => string | undefined;
  }) => void,
  options: { migrate?: (db: Database) => Promise<unknown> } = {},
): void {
  for (const target of databaseTargets()) {
    let handle: Awaited<ReturnType<DatabaseTarget['create']>> | undefined;
    let creating: Promise<Database> | undefined;
    // ava runs before hooks concurrently, so the file's hooks await this same promise.
    const ready = () => {
      creating ??= (async () => {
        handle = await target.create();
        if (options.migrate) await options.migrate(handle.db);
        return handle.db;
      })();
      return creating;
    };
    test.before(ready);
    test.after.always(async () => {
      await handle?.dispose();
    });
    define({
      name: target.name,
      db: () => {
        if (!handle) throw new Error(`${target.name} database was not created`);
        return handle.db;
      },
      ready,
      url: () => handle?.url,
    });
  }
}
