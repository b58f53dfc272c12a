import type { Knex } from 'knex';

export interface MigrationContext {
  /** The schema the migration applies to: `crest` for control, `t_<tenant>` for a tenant. */
  schema: string;
  /** The tenant name, for tenant migrations. */
  tenant: string | undefined;
  /** The non-superuser role requests run as. */
  appRole: string;
}

export interface Migration {
  name: string;
  up(knex: Knex, ctx: MigrationContext): Promise<void>;
  down(knex: Knex, ctx: MigrationContext): Promise<void>;
}

/** knex-pglite runs one SQL statement per raw() call, so multi-statement SQL is split here. */
export async function runSql(knex: Knex, statements: readonly string[]): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}
