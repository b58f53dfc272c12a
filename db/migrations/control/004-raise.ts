import { ident } from '../../database.ts';
import type { Migration } from '../types.ts';
import { runSql } from '../types.ts';

/**
 * crest.raise(sqlstate, message): raises an error from inside a SQL statement. A write that checks its own
 * outcome (rows counted in the statement itself, e.g. the runtime's guarded commit write) fails there, before
 * the COMMIT queued behind it, so a transaction that is one statement never commits half a check. SQLSTATEs of
 * class CR are Crest's own (runtime/ops/commit-sql.ts lists them).
 */
export const migration: Migration = {
  name: '004-raise',
  async up(knex, { schema, appRole }) {
    const s = ident(schema);
    await runSql(knex, [
      `CREATE FUNCTION ${s}.raise(sqlstate text, message text) RETURNS int LANGUAGE plpgsql VOLATILE AS $$
       BEGIN
         RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message;
       END $$`,
      `GRANT EXECUTE ON FUNCTION ${s}.raise(text, text) TO ${ident(appRole)}`,
    ]);
  },
  async down(knex, { schema }) {
    await knex.raw(`DROP FUNCTION ${ident(schema)}.raise(text, text)`);
  },
};
