import { ident } from '../../database.ts';
import { secureTenantTable } from '../rls.ts';
import type { Migration } from '../types.ts';
import { runSql } from '../types.ts';

/**
 * The SCORM runtime: registrations (one learner on one course version), their attempts, and the CMI state
 * of each SCO in an attempt. A registration names its course version, so a re-upload (version n+1) never
 * moves a learner who already started: only new registrations take the latest version.
 */
export const migration: Migration = {
  name: '005-runtime',
  async up(knex, { schema, tenant, appRole }) {
    const s = ident(schema);
    await runSql(knex, [
      `CREATE TABLE ${s}.registrations (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL DEFAULT current_setting('app.tenant_id', true),
        course_id uuid NOT NULL,
        version int NOT NULL,
        -- The xAPI Agent as given (account or mbox, and a name), and its IFI key for look-ups.
        learner jsonb NOT NULL,
        learner_key text NOT NULL,
        -- NULL: the runtime's default limit.
        max_attempts int CHECK (max_attempts IS NULL OR max_attempts > 0),
        -- Where the player sends the learner at the end: the exitUrl of the latest launch link.
        exit_url text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (course_id, version) REFERENCES ${s}.course_versions (course_id, version)
      )`,
      `CREATE INDEX registrations_learner ON ${s}.registrations (course_id, learner_key, version, created_at)`,
      // Runtime settings of a course (all its versions), copied into each new registration.
      `CREATE TABLE ${s}.course_runtime_settings (
        course_id uuid PRIMARY KEY REFERENCES ${s}.courses (id) ON DELETE CASCADE,
        tenant_id text NOT NULL DEFAULT current_setting('app.tenant_id', true),
        max_attempts int CHECK (max_attempts IS NULL OR max_attempts > 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE ${s}.attempts (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL DEFAULT current_setting('app.tenant_id', true),
        registration_id uuid NOT NULL REFERENCES ${s}.registrations (id) ON DELETE CASCADE,
        number int NOT NULL CHECK (number > 0),
        -- The course rollup after the last commit (runtime/cmi/rollup.ts).
        completion text NOT NULL DEFAULT 'not attempted',
        success text NOT NULL DEFAULT 'unknown',
        score numeric,
        total_seconds numeric NOT NULL DEFAULT 0,
        -- Set once, in the transaction that first saw the course completed or passed; the outbox event
        -- and the course statement are written in that same transaction, so never twice.
        completed_at timestamptz,
        -- The SCO left with exit=suspend, to launch first on resume.
        suspended_sco text,
        sequencing_state jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (registration_id, number)
      )`,
      `CREATE TABLE ${s}.sco_states (
        attempt_id uuid NOT NULL REFERENCES ${s}.attempts (id) ON DELETE CASCADE,
        sco text NOT NULL,
        tenant_id text NOT NULL DEFAULT current_setting('app.tenant_id', true),
        seq bigint NOT NULL,
        -- SHA-256 of the canonical commit, so a retried commit (same seq) is recognised as the same.
        commit_hash text NOT NULL,
        -- The learner-writable CMI only; read-only elements are the runtime's and are added at launch.
        cmi jsonb NOT NULL,
        completion text NOT NULL,
        success text NOT NULL,
        score_scaled numeric,
        -- total = the closed sessions' time + this session's latest session_time (SCORM RTE total_time).
        total_seconds numeric NOT NULL DEFAULT 0,
        session_seconds numeric NOT NULL DEFAULT 0,
        terminated boolean NOT NULL DEFAULT false,
        suspended boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (attempt_id, sco)
      )`,
    ]);
    for (const table of ['registrations', 'course_runtime_settings', 'attempts', 'sco_states']) {
      await secureTenantTable(knex, schema, table, tenant!, appRole);
    }
  },
  async down(knex, { schema }) {
    const s = ident(schema);
    await runSql(knex, [
      `DROP TABLE ${s}.sco_states`,
      `DROP TABLE ${s}.attempts`,
      `DROP TABLE ${s}.course_runtime_settings`,
      `DROP TABLE ${s}.registrations`,
    ]);
  },
};
