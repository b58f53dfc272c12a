import { ident } from '../../database.ts';
import type { Migration } from '../types.ts';
import { runSql } from '../types.ts';

/**
 * The Postgres JobQueue's table (queue/postgres.ts). Consumers claim rows with FOR UPDATE SKIP LOCKED, so
 * many workers poll one table without blocking each other. It belongs to the owner alone: the app role
 * gets no grant, because jobs cross tenants and only the owner-side queue and workers touch them.
 *  - jobs_ready serves the receive query (queue, visible_at) and skips dead-lettered rows;
 *  - jobs_dedupe makes a send with a dedupe key already pending a no-op; dead rows don't hold the key;
 *  - jobs_dead serves deadLetters().
 */
export const migration: Migration = {
  name: '003-jobs',
  async up(knex, { schema }) {
    const s = ident(schema);
    await runSql(knex, [
      `CREATE TABLE ${s}.jobs (
        id bigserial PRIMARY KEY,
        queue text NOT NULL,
        tenant_id text,
        payload jsonb NOT NULL,
        dedupe_key text,
        attempts integer NOT NULL DEFAULT 0,
        visible_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        dead_at timestamptz
      )`,
      `CREATE INDEX jobs_ready ON ${s}.jobs (queue, visible_at) WHERE dead_at IS NULL`,
      `CREATE UNIQUE INDEX jobs_dedupe ON ${s}.jobs (queue, dedupe_key) WHERE dedupe_key IS NOT NULL AND dead_at IS NULL`,
      `CREATE INDEX jobs_dead ON ${s}.jobs (queue, dead_at) WHERE dead_at IS NOT NULL`,
    ]);
  },
  async down(knex, { schema }) {
    await knex.raw(`DROP TABLE ${ident(schema)}.jobs`);
  },
};
