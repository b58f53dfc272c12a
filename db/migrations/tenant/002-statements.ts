import { ident } from '../../database.ts';
import { secureTenantTable } from '../rls.ts';
import type { Migration } from '../types.ts';
import { runSql } from '../types.ts';

/**
 * xAPI statements (xAPI 2.0 Part Three §2.1). The statement is kept whole in `statement` as stored;
 * the filterable parts are normalised into columns and two index tables so every query parameter of
 * §2.1.3 hits an index instead of scanning JSON:
 *  - statement_agents: every agent/group key a statement mentions, `related = false` for actor/object
 *    (the `agent` filter) and true for the rest (`related_agents=true`);
 *  - statement_activities: the same for activity IRIs (`activity`, `related_activities=true`).
 * `seq` is the stored order and the keyset for `more` links. `ref_id` is the target of a StatementRef
 * object, so filters can follow it (xAPI 2.0 Part Three §2.1.3, "Filter Conditions for StatementRefs").
 */
export const migration: Migration = {
  name: '002-statements',
  async up(knex, { schema, tenant, appRole }) {
    const s = ident(schema);
    const app = ident(appRole);
    await runSql(knex, [
      `CREATE TABLE ${s}.statements (
        seq bigserial PRIMARY KEY,
        tenant_id text NOT NULL DEFAULT current_setting('app.tenant_id', true),
        id uuid NOT NULL,
        stored timestamptz NOT NULL,
        verb_iri text NOT NULL,
        registration uuid,
        voided boolean NOT NULL DEFAULT false,
        ref_id uuid,
        is_voiding boolean NOT NULL DEFAULT false,
        credential text NOT NULL,
        statement jsonb NOT NULL,
        attachment_hashes text[]
      )`,
      `CREATE UNIQUE INDEX statements_id ON ${s}.statements (id)`,
      `CREATE INDEX statements_verb ON ${s}.statements (verb_iri, seq)`,
      `CREATE INDEX statements_registration ON ${s}.statements (registration, seq) WHERE registration IS NOT NULL`,
      `CREATE INDEX statements_stored ON ${s}.statements (stored, seq)`,
      `CREATE INDEX statements_ref ON ${s}.statements (ref_id, seq) WHERE ref_id IS NOT NULL`,
      `CREATE INDEX statements_with_ref ON ${s}.statements (seq) WHERE ref_id IS NOT NULL`,
      `CREATE INDEX statements_credential ON ${s}.statements (credential, seq)`,
      `CREATE TABLE ${s}.statement_agents (
        seq bigint NOT NULL REFERENCES ${s}.statements (seq) ON DELETE CASCADE,
        tenant_id text NOT NULL DEFAULT current_setting('app.tenant_id', true),
        agent_key text NOT NULL,
        related boolean NOT NULL,
        PRIMARY KEY (agent_key, related, seq)
      )`,
      `CREATE INDEX statement_agents_seq ON ${s}.statement_agents (seq)`,
      `CREATE TABLE ${s}.statement_activities (
        seq bigint NOT NULL REFERENCES ${s}.statements (seq) ON DELETE CASCADE,
        tenant_id text NOT NULL DEFAULT current_setting('app.tenant_id', true),
        activity_iri text NOT NULL,
        related boolean NOT NULL,
        PRIMARY KEY (activity_iri, related, seq)
      )`,
      `CREATE INDEX statement_activities_seq ON ${s}.statement_activities (seq)`,
      `CREATE TABLE ${s}.activities (
        iri text PRIMARY KEY,
        tenant_id text NOT NULL DEFAULT current_setting('app.tenant_id', true),
        definition jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE ${s}.agents (
        agent_key text PRIMARY KEY,
        tenant_id text NOT NULL DEFAULT current_setting('app.tenant_id', true),
        names text[] NOT NULL DEFAULT '{}',
        ifi jsonb NOT NULL
      )`,
      `CREATE TABLE ${s}.attachments (
        sha2 text PRIMARY KEY,
        tenant_id text NOT NULL DEFAULT current_setting('app.tenant_id', true),
        content_type text NOT NULL,
        length bigint NOT NULL,
        body bytea,
        blob_key text
      )`,
      `GRANT USAGE ON SEQUENCE ${s}.statements_seq_seq TO ${app}`,
    ]);
    for (const table of [
      'statements',
      'statement_agents',
      'statement_activities',
      'activities',
      'agents',
      'attachments',
    ]) {
      await secureTenantTable(knex, schema, table, tenant!, appRole);
    }
  },
  async down(knex, { schema }) {
    const s = ident(schema);
    await runSql(knex, [
      `DROP TABLE ${s}.attachments`,
      `DROP TABLE ${s}.agents`,
      `DROP TABLE ${s}.activities`,
      `DROP TABLE ${s}.statement_activities`,
      `DROP TABLE ${s}.statement_agents`,
      `DROP TABLE ${s}.statements`,
    ]);
  },
};
