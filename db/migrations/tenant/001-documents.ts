import { ident } from '../../database.ts';
import { secureTenantTable } from '../rls.ts';
import type { Migration } from '../types.ts';
import { runSql } from '../types.ts';

/**
 * xAPI documents: State, Activity Profile and Agent Profile (xAPI 2.0 §2.3–2.5 of Part Three).
 * Agents are stored by a hash of their inverse functional identifier so lookups never scan JSON.
 */
export const migration: Migration = {
  name: '001-documents',
  async up(knex, { schema, tenant, appRole }) {
    const s = ident(schema);
    await runSql(knex, [
      `CREATE TABLE ${s}.documents (
        id bigserial PRIMARY KEY,
        tenant_id text NOT NULL DEFAULT current_setting('app.tenant_id', true),
        kind text NOT NULL CHECK (kind IN ('state', 'activity_profile', 'agent_profile')),
        activity_iri text NOT NULL DEFAULT '',
        agent_key text NOT NULL DEFAULT '',
        registration uuid,
        doc_id text NOT NULL,
        content_type text NOT NULL,
        body bytea NOT NULL,
        etag text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE UNIQUE INDEX documents_identity ON ${s}.documents
        (kind, activity_iri, agent_key, (coalesce(registration, '00000000-0000-0000-0000-000000000000'::uuid)), doc_id)`,
      `CREATE INDEX documents_since ON ${s}.documents (kind, activity_iri, agent_key, updated_at)`,
      `GRANT USAGE ON SCHEMA ${s} TO ${ident(appRole)}`,
      `GRANT USAGE ON SEQUENCE ${s}.documents_id_seq TO ${ident(appRole)}`,
    ]);
    await secureTenantTable(knex, schema, 'documents', tenant!, appRole);
  },
  async down(knex, { schema }) {
    await knex.raw(`DROP TABLE ${ident(schema)}.documents`);
  },
};
