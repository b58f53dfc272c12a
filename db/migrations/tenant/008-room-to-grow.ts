import { ident } from '../../database.ts';
import type { Migration } from '../types.ts';
import { runSql } from '../types.ts';

/**
 * More free space on the pages of the two tables every SCO commit updates, so that an update stays on its
 * page (HOT: no new index entries, one page changed) while a learner's rows grow. A SCO state's tree grows
 * with every interaction answered and every objective met, and the Attempt State document with it; an update
 * that no longer fits moves the row to another page, writes entries into every index of the table and, after
 * a checkpoint, full-page images of both pages.
 *
 * Measured in bench F at 2,500 commits/s (50,000 learners, PostgreSQL 15, AMD EPYC): with migration 006's
 * fillfactors (80, 80), 48% of sco_states and 57% of documents updates were HOT and a commit wrote 19.4 KB of
 * WAL, p99 125 ms; with these (50, 60), 97% and 97%, 17.5 KB, p99 86 ms. The tables take more pages, which
 * only reports and launches read.
 *
 * It applies to pages filled from now on; `VACUUM FULL` the two tables to repack existing ones.
 */
export const migration: Migration = {
  name: '008-room-to-grow',
  async up(knex, { schema }) {
    const s = ident(schema);
    await runSql(knex, [
      `ALTER TABLE ${s}.sco_states SET (fillfactor = 50)`,
      `ALTER TABLE ${s}.documents SET (fillfactor = 60)`,
    ]);
  },
  async down(knex, { schema }) {
    const s = ident(schema);
    await runSql(knex, [
      `ALTER TABLE ${s}.sco_states SET (fillfactor = 80)`,
      `ALTER TABLE ${s}.documents SET (fillfactor = 80)`,
    ]);
  },
};
