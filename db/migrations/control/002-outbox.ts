import { ident } from '../../database.ts';
import type { Migration } from '../types.ts';
import { runSql } from '../types.ts';

/**
 * The transactional outbox. A tenant transaction inserts its events here (RLS checks the tenant), and
 * the dispatcher, running as the owner, moves them to the JobQueue. One table for all tenants means
 * one index to poll instead of one per tenant schema; RLS is ENABLE without FORCE so the owner-side
 * dispatcher can read every tenant's rows while the app role can only add its own.
 */
export const migration: Migration = {
  name: '002-outbox',
  async up(knex, { schema, appRole }) {
    const s = ident(schema);
    const app = ident(appRole);
    await runSql(knex, [
      `CREATE TABLE ${s}.outbox (
        id bigserial PRIMARY KEY,
        tenant_id text NOT NULL DEFAULT current_setting('app.tenant_id', true),
        queue text NOT NULL,
        payload jsonb NOT NULL,
        dedupe_key text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `ALTER TABLE ${s}.outbox ENABLE ROW LEVEL SECURITY`,
      `CREATE POLICY tenant_insert ON ${s}.outbox FOR INSERT WITH CHECK (tenant_id = current_setting('app.tenant_id', true))`,
      `GRANT INSERT ON ${s}.outbox TO ${app}`,
      `GRANT USAGE ON SEQUENCE ${s}.outbox_id_seq TO ${app}`,
    ]);
  },
  async down(knex, { schema }) {
    await knex.raw(`DROP TABLE ${ident(schema)}.outbox`);
  },
};
