import { ident } from '../../database.ts';
import { secureTenantTable } from '../rls.ts';
import type { Migration } from '../types.ts';
import { runSql } from '../types.ts';

/**
 * Courses and their immutable versions. A re-upload adds version n+1; registrations keep pointing at the
 * version they started on, so content files of a version are never overwritten (their URLs are
 * cacheable forever). Import jobs record status and progress for the upload API and the CLI.
 */
export const migration: Migration = {
  name: '003-courses',
  async up(knex, { schema, tenant, appRole }) {
    const s = ident(schema);
    await runSql(knex, [
      `CREATE TABLE ${s}.courses (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL DEFAULT current_setting('app.tenant_id', true),
        title text NOT NULL,
        -- NULL until the first version is imported.
        kind text CHECK (kind IN ('scorm12', 'scorm2004', 'cmi5', 'video')),
        latest_version int NOT NULL DEFAULT 0,
        next_version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE ${s}.course_versions (
        course_id uuid NOT NULL REFERENCES ${s}.courses (id) ON DELETE CASCADE,
        version int NOT NULL CHECK (version > 0),
        tenant_id text NOT NULL DEFAULT current_setting('app.tenant_id', true),
        kind text NOT NULL,
        standard text NOT NULL,
        title text NOT NULL,
        launch_path text,
        model jsonb NOT NULL,
        report jsonb NOT NULL,
        blob_prefix text NOT NULL,
        files int NOT NULL,
        bytes bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (course_id, version)
      )`,
      `CREATE TABLE ${s}.import_jobs (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL DEFAULT current_setting('app.tenant_id', true),
        course_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
        phase text NOT NULL DEFAULT 'queued',
        done int NOT NULL DEFAULT 0,
        total int NOT NULL DEFAULT 0,
        bytes bigint NOT NULL DEFAULT 0,
        upload_key text NOT NULL,
        file_name text,
        version int,
        report jsonb,
        error jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX import_jobs_course ON ${s}.import_jobs (course_id, created_at)`,
    ]);
    for (const table of ['courses', 'course_versions', 'import_jobs']) {
      await secureTenantTable(knex, schema, table, tenant!, appRole);
    }
  },
  async down(knex, { schema }) {
    const s = ident(schema);
    await runSql(knex, [
      `DROP TABLE ${s}.import_jobs`,
      `DROP TABLE ${s}.course_versions`,
      `DROP TABLE ${s}.courses`,
    ]);
  },
};
