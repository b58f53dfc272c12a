import { ident } from '../../database.ts';
import type { Migration } from '../types.ts';
import { runSql } from '../types.ts';

/**
 * The control schema: tenants and their API credentials. Credentials carry RLS (ENABLE, not FORCE) so
 * the app role sees only the current tenant's keys, while the owner — migrations, the CLI and the
 * SECURITY DEFINER lookup used by authentication — can resolve any key by its id.
 */
export const migration: Migration = {
  name: '001-tenants-and-credentials',
  async up(knex, { schema, appRole }) {
    const s = ident(schema);
    const app = ident(appRole);
    await runSql(knex, [
      `CREATE TABLE ${s}.tenants (
        name text PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE ${s}.meta (
        key text PRIMARY KEY,
        value jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE ${s}.credentials (
        key_id text PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES ${s}.tenants(name) ON DELETE CASCADE,
        secret_hash text NOT NULL,
        scopes text[] NOT NULL,
        label text,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`,
      `CREATE INDEX credentials_tenant ON ${s}.credentials (tenant_id)`,
      `ALTER TABLE ${s}.credentials ENABLE ROW LEVEL SECURITY`,
      `CREATE POLICY tenant_isolation ON ${s}.credentials USING (tenant_id = current_setting('app.tenant_id', true)) WITH CHECK (tenant_id = current_setting('app.tenant_id', true))`,
      `CREATE FUNCTION ${s}.resolve_credential(p_key_id text)
        RETURNS TABLE (key_id text, tenant_id text, secret_hash text, scopes text[], revoked_at timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ${s}, pg_temp
        AS $$ SELECT key_id, tenant_id, secret_hash, scopes, revoked_at FROM ${s}.credentials WHERE key_id = p_key_id $$`,
      `REVOKE ALL ON FUNCTION ${s}.resolve_credential(text) FROM PUBLIC`,
      `GRANT USAGE ON SCHEMA ${s} TO ${app}`,
      `GRANT SELECT, INSERT, UPDATE ON ${s}.credentials TO ${app}`,
      `GRANT EXECUTE ON FUNCTION ${s}.resolve_credential(text) TO ${app}`,
    ]);
  },
  async down(knex, { schema }) {
    const s = ident(schema);
    await runSql(knex, [
      `DROP FUNCTION ${s}.resolve_credential(text)`,
      `DROP TABLE ${s}.credentials`,
      `DROP TABLE ${s}.tenants`,
      `DROP TABLE ${s}.meta`,
    ]);
  },
};
