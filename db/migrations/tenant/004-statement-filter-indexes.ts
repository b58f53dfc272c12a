import { ident, sqlLiteral } from '../../database.ts';
import type { Migration } from '../types.ts';
import { runSql } from '../types.ts';

const INDEX_TABLES = [
  { table: 'statement_agents', key: 'agent_key' },
  { table: 'statement_activities', key: 'activity_iri' },
] as const;

/**
 * Makes the common filtered GET (agent or activity + verb + since, newest first, limit n) one backward
 * index range scan that stops after n rows, instead of collecting every index row of the agent first.
 * The two index tables get a copy of the statement's verb and stored time, and an index on
 * (key, related, verb_iri, seq) covering stored and tenant_id (tenant_id because the RLS policy reads
 * it: without it every index entry costs a heap visit).
 *
 * Write cost stays level: the foreign keys to statements(seq) go, and so do the (seq) indexes that
 * served their cascades. Statements are never deleted (voiding flags them; a tenant is dropped with
 * its schema), and only the LRS writes these rows, in the same transaction as the statement.
 */
export const migration: Migration = {
  name: '004-statement-filter-indexes',
  async up(knex, { schema, tenant }) {
    const s = ident(schema);
    for (const { table, key } of INDEX_TABLES) {
      const t = `${s}.${ident(table)}`;
      await runSql(knex, [
        `ALTER TABLE ${t} DROP CONSTRAINT ${ident(`${table}_seq_fkey`)}`,
        `DROP INDEX ${s}.${ident(`${table}_seq`)}`,
        `ALTER TABLE ${t} ADD COLUMN verb_iri text, ADD COLUMN stored timestamptz`,
        // FORCE row security binds the owner too, so the backfill runs as the tenant.
        `DO $$ BEGIN
           PERFORM set_config('app.tenant_id', ${sqlLiteral(tenant!)}, true);
           UPDATE ${t} x SET verb_iri = st.verb_iri, stored = st.stored FROM ${s}.statements st WHERE st.seq = x.seq;
         END $$`,
        `ALTER TABLE ${t} ALTER COLUMN verb_iri SET NOT NULL, ALTER COLUMN stored SET NOT NULL`,
        `CREATE INDEX ${ident(`${table}_verb`)} ON ${t} (${ident(key)}, related, verb_iri, seq) INCLUDE (stored, tenant_id)`,
      ]);
    }
  },
  async down(knex, { schema }) {
    const s = ident(schema);
    for (const { table } of INDEX_TABLES) {
      const t = `${s}.${ident(table)}`;
      await runSql(knex, [
        `DROP INDEX ${s}.${ident(`${table}_verb`)}`,
        `ALTER TABLE ${t} DROP COLUMN verb_iri, DROP COLUMN stored`,
        `CREATE INDEX ${ident(`${table}_seq`)} ON ${t} (seq)`,
        `ALTER TABLE ${t} ADD CONSTRAINT ${ident(`${table}_seq_fkey`)} FOREIGN KEY (seq) REFERENCES ${s}.statements (seq) ON DELETE CASCADE`,
      ]);
    }
  },
};
