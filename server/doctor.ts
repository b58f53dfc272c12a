import type { Config } from '../core/config.ts';
import type { Database } from '../db/database.ts';
import { CONTROL_MIGRATIONS, CONTROL_SCHEMA, TENANT_MIGRATIONS } from '../db/migrations/index.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import type { BlobStore } from '../storage/blob-store.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

async function attempt(name: string, fn: () => Promise<string>, fix: string): Promise<Check> {
  try {
    return { name, ok: true, detail: await fn() };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message, fix };
  }
}

async function appliedMigrations(db: Database, schema: string): Promise<Set<string>> {
  const res = await db.ownerTransaction(async (tx) => {
    const exists = await tx.query(
      `SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'knex_migrations'`,
      [schema],
    );
    if (exists.rows.length === 0) return { rows: [] as { name: string }[] };
    return tx.query<{ name: string }>(`SELECT name FROM "${schema}".knex_migrations`);
  });
  return new Set(res.rows.map((r) => r.name));
}

/** Everything `crest doctor` checks on a database it can open. Each failure says how to fix it. */
export async function diagnose(
  config: Config,
  deps: { db: Database; blobs: BlobStore; queue: JobQueue },
): Promise<Check[]> {
  const { db, blobs, queue } = deps;
  const checks: Check[] = [];
  checks.push(
    await attempt(
      'database',
      async () => {
        await db.ping();
        const v = await db.ownerTransaction((tx) =>
          tx.query<{ v: string }>(`SELECT current_setting('server_version') AS v`),
        );
        return `${db.kind}, PostgreSQL ${v.rows[0]!.v}`;
      },
      config.database.kind === 'postgres'
        ? 'Check DATABASE_URL and that PostgreSQL is running.'
        : `Check that ${config.dataDir} is writable and not damaged.`,
    ),
  );
  checks.push(
    await attempt(
      'app role',
      async () => {
        const r = await db.ownerTransaction((tx) =>
          tx.query<{ rolsuper: boolean; rolbypassrls: boolean }>(
            'SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1',
            [db.appRole],
          ),
        );
        const row = r.rows[0];
        if (!row) throw new Error(`role "${db.appRole}" does not exist`);
        if (row.rolsuper || row.rolbypassrls)
          throw new Error(`role "${db.appRole}" bypasses row-level security`);
        return `"${db.appRole}" is bound by row-level security`;
      },
      `Run "crest migrate" (it creates the role), or as a DBA: CREATE ROLE ${db.appRole} NOLOGIN NOBYPASSRLS;`,
    ),
  );
  checks.push(
    await attempt(
      'migrations',
      async () => {
        const control = await appliedMigrations(db, CONTROL_SCHEMA);
        const missing = CONTROL_MIGRATIONS.filter((m) => !control.has(m.name)).map((m) => m.name);
        if (missing.length > 0) throw new Error(`control schema lacks ${missing.join(', ')}`);
        const tenants = await db.ownerTransaction((tx) =>
          tx.query<{ name: string }>(`SELECT name FROM ${CONTROL_SCHEMA}.tenants`),
        );
        const behind: string[] = [];
        for (const { name } of tenants.rows) {
          const applied = await appliedMigrations(db, `t_${name}`);
          if (TENANT_MIGRATIONS.some((m) => !applied.has(m.name))) behind.push(name);
        }
        if (behind.length > 0) throw new Error(`tenants behind: ${behind.join(', ')}`);
        return `up to date (${tenants.rows.length} tenants)`;
      },
      'Run "crest migrate".',
    ),
  );
  checks.push(
    await attempt(
      'row-level security',
      async () => {
        const r = await db.ownerTransaction((tx) =>
          tx.query<{ table: string }>(
            `SELECT n.nspname || '.' || c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND n.nspname LIKE 't\\_%' AND c.relname <> 'knex_migrations' AND c.relname <> 'knex_migrations_lock'
               AND NOT (c.relrowsecurity AND c.relforcerowsecurity)`,
          ),
        );
        if (r.rows.length > 0) throw new Error(`not protected: ${r.rows.map((x) => x.table).join(', ')}`);
        return 'every tenant table has ENABLE + FORCE row-level security';
      },
      'Run "crest migrate"; if it persists, a table was created outside migrations — add RLS to it.',
    ),
  );
  checks.push(
    await attempt(
      'storage',
      async () => {
        await blobs.ping();
        return blobs.kind === 'folder' && config.storage.kind === 'folder'
          ? `folder ${config.storage.root}`
          : blobs.kind;
      },
      config.storage.kind === 's3'
        ? 'Check S3_BUCKET, S3_ENDPOINT, S3_REGION and the AWS credentials.'
        : 'Check that CREST_BLOB_DIR (or <data>/blobs) is writable.',
    ),
  );
  checks.push(
    await attempt(
      'queue',
      async () => {
        await queue.ping();
        return queue.kind;
      },
      config.queue.kind === 'sqs'
        ? 'Check SQS_ENDPOINT, SQS_REGION and the AWS credentials.'
        : 'Run "crest migrate".',
    ),
  );
  return checks;
}
