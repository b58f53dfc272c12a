import type { Knex } from 'knex';
import { ident } from '../../database.ts';
import type { Migration } from '../types.ts';
import { runSql } from '../types.ts';

/** Columns whose values are big and often incompressible (suspend_data is often an encoded blob). */
const LZ4_COLUMNS = [
  ['documents', 'body'],
  ['sco_states', 'cmi'],
  ['sco_states', 'suspend_data'],
  ['statements', 'statement'],
] as const;

/**
 * Storage for the SCO commit path, which rewrites a learner's rows every ~20 s at the compliance peak
 * (bench F). Measured with pgbench on 2–5 KB incompressible bodies, upserts of a State document went from
 * ~7,600 to ~11,500 rows/s with all three of:
 * - suspend_data gets a text column of its own beside the CMI tree, and the tree becomes json. Both reach
 *   PostgreSQL as raw UTF-8 (runtime/ops/commit-cmi.ts scoStateRow), so it validates the tree instead of
 *   building jsonb out of it character by character (PostgreSQL 15's json_lex) on every commit, and stores
 *   suspend_data (up to 64,000 characters) as sent. The suspend_data State document is copied from that column.
 *   Readers put the tree back together (runtime/model.ts SCO_STATE_COLUMNS); only reports and launches read it.
 * - lz4 TOAST compression where the server has it (PostgreSQL 14+ built with lz4; PGlite is not): pglz
 *   spends ~10% of PostgreSQL's CPU under bench F failing to compress such values, and lz4 gives up fast.
 * - HOT updates: documents_since (kind, activity_iri, agent_key, updated_at) goes. It is a prefix of
 *   documents_identity plus updated_at, and a since filter on one activity and agent reads few rows. Every
 *   upsert changed its key, so no update of a document could be HOT. With it gone, and with room left on
 *   each page (fillfactor), an upsert writes no index entries.
 */
export const migration: Migration = {
  name: '006-commit-storage',
  async up(knex, { schema }) {
    const s = ident(schema);
    await runSql(knex, [
      `ALTER TABLE ${s}.sco_states ADD COLUMN suspend_data text`,
      `UPDATE ${s}.sco_states SET suspend_data = cmi->>'suspend_data', cmi = cmi - 'suspend_data'
       WHERE cmi->'suspend_data' IS NOT NULL`,
      `ALTER TABLE ${s}.sco_states ALTER COLUMN cmi TYPE json USING cmi::json`,
      `DROP INDEX ${s}.documents_since`,
      `ALTER TABLE ${s}.documents SET (fillfactor = 80)`,
      `ALTER TABLE ${s}.sco_states SET (fillfactor = 80)`,
      `ALTER TABLE ${s}.attempts SET (fillfactor = 90)`,
    ]);
    if (await hasLz4(knex)) {
      await runSql(
        knex,
        LZ4_COLUMNS.map(
          ([t, c]) => `ALTER TABLE ${s}.${ident(t)} ALTER COLUMN ${ident(c)} SET COMPRESSION lz4`,
        ),
      );
    }
  },
  async down(knex, { schema }) {
    const s = ident(schema);
    if (await hasLz4(knex)) {
      await runSql(
        knex,
        LZ4_COLUMNS.filter(([, c]) => c !== 'suspend_data').map(
          ([t, c]) => `ALTER TABLE ${s}.${ident(t)} ALTER COLUMN ${ident(c)} SET COMPRESSION default`,
        ),
      );
    }
    await runSql(knex, [
      `ALTER TABLE ${s}.attempts RESET (fillfactor)`,
      `ALTER TABLE ${s}.sco_states RESET (fillfactor)`,
      `ALTER TABLE ${s}.documents RESET (fillfactor)`,
      `CREATE INDEX documents_since ON ${s}.documents (kind, activity_iri, agent_key, updated_at)`,
      `ALTER TABLE ${s}.sco_states ALTER COLUMN cmi TYPE jsonb USING cmi::jsonb`,
      `UPDATE ${s}.sco_states SET cmi = cmi || jsonb_build_object('suspend_data', suspend_data)
       WHERE suspend_data IS NOT NULL`,
      `ALTER TABLE ${s}.sco_states DROP COLUMN suspend_data`,
    ]);
  },
};

async function hasLz4(knex: Knex): Promise<boolean> {
  const res = await knex.raw(
    `SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`,
  );
  return res.rows[0]?.lz4 === true;
}
