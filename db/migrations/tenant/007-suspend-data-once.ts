import { ident } from '../../database.ts';
import type { Migration } from '../types.ts';
import { runSql } from '../types.ts';

/**
 * suspend_data is kept once, in its State document (xAPI SCORM Profile §6 "Suspend Data"), instead of in a
 * sco_states column and again in the document. At the compliance peak every commit carries new suspend_data
 * (2–8 KB), and the second copy was a second TOAST value, its WAL and its share of relation extension:
 * ~14% of PostgreSQL's CPU per commit in bench F.
 *
 * sco_states.suspend_doc is the document's id (documents.id, never reused). It is not a foreign key: a
 * foreign key would cost an index probe on every commit, and a document an xAPI client deleted simply reads
 * as no suspend_data. Rows written before this migration keep their suspend_data column until the SCO's
 * suspend_data next changes; readers take the document when there is one (runtime/model.ts SCO_CMI).
 */
export const migration: Migration = {
  name: '007-suspend-data-once',
  async up(knex, { schema }) {
    await runSql(knex, [`ALTER TABLE ${ident(schema)}.sco_states ADD COLUMN suspend_doc bigint`]);
  },
  async down(knex, { schema }) {
    const s = ident(schema);
    await runSql(knex, [
      `UPDATE ${s}.sco_states st SET suspend_data = nullif(crest.suspend_data_text(d.body), '')
       FROM ${s}.documents d WHERE d.id = st.suspend_doc`,
      `ALTER TABLE ${s}.sco_states DROP COLUMN suspend_doc`,
    ]);
  },
};
