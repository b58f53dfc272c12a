import type { Knex } from 'knex';
import { AppError } from '../core/errors.ts';
import { tenantSchema } from '../core/tenant-name.ts';
import type { Database } from './database.ts';
import { ident } from './database.ts';
import { CONTROL_MIGRATIONS, CONTROL_SCHEMA, TENANT_MIGRATIONS } from './migrations/index.ts';
import type { Migration, MigrationContext } from './migrations/types.ts';

function sourceOf(list: readonly Migration[], ctx: MigrationContext): Knex.MigratorConfig['migrationSource'] {
  return {
    getMigrations: async () => list.map((m) => m.name),
    getMigrationName: (name: string) => name,
    getMigration: async (name: string) => {
      const m = list.find((x) => x.name === name)!;
      return { up: (knex: Knex) => m.up(knex, ctx), down: (knex: Knex) => m.down(knex, ctx) };
    },
  };
}

async function migrateSchema(
  knex: Knex,
  list: readonly Migration[],
  ctx: MigrationContext,
): Promise<string[]> {
  await knex.raw(`CREATE SCHEMA IF NOT EXISTS ${ident(ctx.schema)}`);
  const [, applied] = (await knex.migrate.latest({
    schemaName: ctx.schema,
    tableName: 'knex_migrations',
    migrationSource: sourceOf(list, ctx),
  })) as [number, string[]];
  return applied;
}

/**
 * Creates the app role if it does not exist and refuses to go on if it could bypass RLS. A DBA who
 * won't grant CREATEROLE creates it by hand (README, "PostgreSQL roles") and Crest only checks it.
 */
export async function ensureAppRole(db: Database): Promise<void> {
  const role = db.appRole;
  await db.ownerTransaction(async (tx) => {
    const found = await tx.query<{ rolsuper: boolean; rolbypassrls: boolean }>(
      'SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1',
      [role],
    );
    if (found.rows.length === 0) {
      try {
        await tx.query('SAVEPOINT create_role');
        await tx.query(`CREATE ROLE ${ident(role)} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`);
      } catch (err) {
        // Another process created it between our check and CREATE (roles are cluster-wide).
        const code = (err as { code?: string }).code;
        if (code === '42710' || code === '23505') {
          await tx.query('ROLLBACK TO SAVEPOINT create_role');
          return;
        }
        throw new AppError(
          'CONFIG_INVALID',
          `Cannot create the app role "${role}" (${(err as Error).message}). Ask a DBA to run: CREATE ROLE ${role} NOLOGIN NOBYPASSRLS; GRANT ${role} TO <owner>; — or set CREST_APP_ROLE to an existing role.`,
        );
      }
    } else if (found.rows[0]!.rolsuper || found.rows[0]!.rolbypassrls) {
      throw new AppError(
        'CONFIG_INVALID',
        `The app role "${role}" is a superuser or has BYPASSRLS, so row-level security would not protect tenants. Run: ALTER ROLE ${role} NOSUPERUSER NOBYPASSRLS;`,
      );
    }
    // The owner switches to the app role per transaction (SET LOCAL ROLE), which needs membership.
    const member = await tx.query<{ ok: boolean }>('SELECT pg_has_role(current_user, $1, $2) AS ok', [
      role,
      'MEMBER',
    ]);
    if (!member.rows[0]!.ok) {
      await tx.query(`GRANT ${ident(role)} TO CURRENT_USER`).catch((err: Error) => {
        throw new AppError(
          'CONFIG_INVALID',
          `The owner role cannot switch to "${role}" (${err.message}). Ask a DBA to run: GRANT ${role} TO <the DATABASE_URL user>;`,
        );
      });
    }
  });
}

export async function migrateControl(db: Database): Promise<string[]> {
  await ensureAppRole(db);
  return db.withKnex((knex) =>
    migrateSchema(knex, CONTROL_MIGRATIONS, {
      schema: CONTROL_SCHEMA,
      tenant: undefined,
      appRole: db.appRole,
    }),
  );
}

export async function migrateTenant(db: Database, tenant: string): Promise<string[]> {
  const schema = tenantSchema(tenant);
  return db.withKnex((knex) =>
    migrateSchema(knex, TENANT_MIGRATIONS, { schema, tenant, appRole: db.appRole }),
  );
}

/** Undoes a tenant's latest migration (a release rolled back); returns what it undid. */
export async function undoTenantMigration(db: Database, tenant: string): Promise<string[]> {
  const schema = tenantSchema(tenant);
  return db.withKnex(async (knex) => {
    const [, undone] = (await knex.migrate.down({
      schemaName: schema,
      tableName: 'knex_migrations',
      migrationSource: sourceOf(TENANT_MIGRATIONS, { schema, tenant, appRole: db.appRole }),
    })) as [number, string[]];
    return undone;
  });
}

export type MigrateProgress = (event: {
  phase: 'control' | 'tenant';
  tenant?: string;
  done: number;
  total: number;
  applied: string[];
}) => void;

/** Migrates the control schema, then every tenant's schema, reporting progress after each. */
export async function migrateAll(db: Database, onProgress?: MigrateProgress): Promise<{ tenants: number }> {
  const applied = await migrateControl(db);
  const tenants = await db.ownerTransaction((tx) =>
    tx.query<{ name: string }>(`SELECT name FROM ${CONTROL_SCHEMA}.tenants ORDER BY name`),
  );
  const total = tenants.rows.length;
  onProgress?.({ phase: 'control', done: 0, total, applied });
  let done = 0;
  for (const { name } of tenants.rows) {
    const list = await migrateTenant(db, name);
    done++;
    onProgress?.({ phase: 'tenant', tenant: name, done, total, applied: list });
  }
  return { tenants: total };
}
