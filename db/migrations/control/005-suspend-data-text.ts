import { ident } from '../../database.ts';
import type { Migration } from '../types.ts';
import { runSql } from '../types.ts';

/**
 * crest.suspend_data_text(body): a suspend_data State document's body as the text a SCO resumes with, or NULL
 * when it cannot be: not UTF-8, or longer than SCORM 2004's 64,000 characters (SCORM 2004 4th ed. RTE
 * §4.2.23, cmi.suspend_data, SPM 64000). The runtime keeps suspend_data only in that document (tenant
 * migration 007), and any xAPI client allowed to write State may overwrite it with arbitrary bytes (xAPI 2.0
 * Part Three §2.3); such a body is ignored rather than failing the learner's launch.
 */
export const migration: Migration = {
  name: '005-suspend-data-text',
  async up(knex, { schema, appRole }) {
    const s = ident(schema);
    await runSql(knex, [
      `CREATE FUNCTION ${s}.suspend_data_text(body bytea) RETURNS text
       LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
       DECLARE t text;
       BEGIN
         t := convert_from(body, 'UTF8');
         RETURN CASE WHEN char_length(t) <= 64000 THEN t END;
       EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character THEN
         RETURN NULL;
       END $$`,
      `GRANT EXECUTE ON FUNCTION ${s}.suspend_data_text(bytea) TO ${ident(appRole)}`,
    ]);
  },
  async down(knex, { schema }) {
    await knex.raw(`DROP FUNCTION ${ident(schema)}.suspend_data_text(bytea)`);
  },
};
