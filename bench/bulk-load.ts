import type pg from 'pg';
import { agentKey } from '../lrs/input/agent-key.ts';
import { indexStatement } from '../lrs/model/statement-index.ts';
import {
  ACTIVITIES,
  activityDefinition,
  activityIri,
  activityParts,
  COURSES,
  courseIri,
  moduleIri,
  ORIGIN,
  PLATFORM,
  PROFILE_IRI,
  VERBS,
} from './statements.ts';

/**
 * Loads statements straight into a tenant's own tables (statements, statement_agents,
 * statement_activities, agents, activities), in the shape Crest writes, much faster than HTTP:
 * - the statement JSON is built in SQL from the same pools and formulas as `statements.ts` (activity
 *   definitions and verbs are passed in from TypeScript, so they are byte-for-byte the generator's);
 * - the index rows are derived from the stored JSON in SQL, one agent row for the actor and one for the
 *   authority, one activity row for the object and one per context activity, as `indexStatement` does
 *   (`checkShape` verifies that on a sample with Crest's own function);
 * - seq is explicit and consistent across the three tables, and the sequence is moved past it;
 * - indexes and constraints are dropped for the load and recreated from their own definitions.
 */

export interface LoadPlan {
  schema: string;
  tenant: string;
  rows: number;
  learners: number;
  /** Learner = floor(N · u^skew), as in the generator. */
  skew: number;
  /** stored of seq 1, and the gap between consecutive statements. */
  start: Date;
  stepMs: number;
  credential: string;
  authority: Record<string, unknown>;
  chunk: number;
}

const STATEMENT_TABLES = ['statements', 'statement_agents', 'statement_activities'];

/** Pools and a deterministic uniform u(seq, k) in [0, 1) the SQL generator draws from. */
export async function createPools(client: pg.Client): Promise<void> {
  await client.query('CREATE SCHEMA bench_pool');
  await client.query(
    `CREATE FUNCTION bench_pool.u(s bigint, k int) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
       $$ SELECT (hashint8(s * 16 + k)::bigint + 2147483648)::float8 / 4294967296 $$`,
  );
  await client.query(
    `CREATE TABLE bench_pool.verbs AS
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(i int, iri text, name text, lo float8, hi float8)`,
    [
      JSON.stringify(
        VERBS.map((v, i) => {
          const lo = VERBS.slice(0, i).reduce((a, x) => a + x.weight, 0) / 100;
          return { i, iri: v.iri, name: v.name, lo, hi: i === VERBS.length - 1 ? 2 : lo + v.weight / 100 };
        }),
      ),
    ],
  );
  await client.query(
    `CREATE TABLE bench_pool.activities AS
       SELECT * FROM jsonb_to_recordset($1::jsonb)
         AS r(i int, iri text, module_iri text, course_iri text, course int, definition jsonb)`,
    [
      JSON.stringify(
        Array.from({ length: ACTIVITIES }, (_, i) => {
          const p = activityParts(i);
          return {
            i,
            iri: activityIri(i),
            module_iri: moduleIri(p.course, p.module),
            course_iri: courseIri(p.course),
            course: p.course,
            definition: activityDefinition(i),
          };
        }),
      ),
    ],
  );
  await client.query('CREATE UNIQUE INDEX ON bench_pool.activities (i)');
}

interface Ddl {
  table: string;
  drop: string;
  create: string;
  kind: 'primary/unique' | 'index' | 'foreign key';
}

/** Every index and constraint of the statement tables, with the SQL to drop and recreate it. */
async function statementTableDdl(client: pg.Client, schema: string): Promise<Ddl[]> {
  const constraints = await client.query<{ table: string; name: string; def: string; type: string }>(
    `SELECT c.conrelid::regclass::text AS table, c.conname AS name, pg_get_constraintdef(c.oid) AS def,
            c.contype AS type
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
      WHERE t.relnamespace = $1::regnamespace AND t.relname = ANY($2) AND c.contype IN ('p', 'u', 'f')`,
    [schema, STATEMENT_TABLES],
  );
  const indexes = await client.query<{ name: string; def: string }>(
    `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
      WHERE t.relnamespace = $1::regnamespace AND t.relname = ANY($2)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`,
    [schema, STATEMENT_TABLES],
  );
  return [
    ...constraints.rows.map(
      (c): Ddl => ({
        table: c.table,
        drop: `ALTER TABLE ${c.table} DROP CONSTRAINT ${c.name}`,
        create: `ALTER TABLE ${c.table} ADD CONSTRAINT ${c.name} ${c.def}`,
        kind: c.type === 'f' ? 'foreign key' : 'primary/unique',
      }),
    ),
    ...indexes.rows.map(
      (i): Ddl => ({ table: schema, drop: `DROP INDEX ${schema}.${i.name}`, create: i.def, kind: 'index' }),
    ),
  ];
}

/** Drops the statement tables' indexes and constraints; returns what recreates them, in a valid order. */
export async function dropIndexes(client: pg.Client, schema: string): Promise<Ddl[]> {
  const ddl = await statementTableDdl(client, schema);
  const order = (k: Ddl['kind']) => ({ 'foreign key': 0, index: 1, 'primary/unique': 2 })[k];
  for (const d of [...ddl].sort((a, b) => order(a.kind) - order(b.kind))) await client.query(d.drop);
  return [...ddl].sort((a, b) => order(b.kind) - order(a.kind));
}

export async function recreateIndexes(
  client: pg.Client,
  ddl: Ddl[],
  log: (line: string) => void,
): Promise<void> {
  await client.query(`SET maintenance_work_mem = '1GB'`);
  for (const d of ddl) {
    const t0 = performance.now();
    await client.query(d.create);
    log(
      `  ${d.create.replace(/\s+/g, ' ').slice(0, 100)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
}

const iso = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const uuidOf = (text: string) =>
  `(SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-8' || substr(h, 18, 3) || '-' || substr(h, 21, 12) FROM md5(${text}) AS h)`;
const pad5 = (col: string) => `lpad(${col}::text, 5, '0')`;

/** One chunk: statements [from, to], then their agent and activity index rows, in one transaction. */
export async function loadChunk(client: pg.Client, plan: LoadPlan, from: number, to: number): Promise<void> {
  const s = plan.schema;
  await client.query('BEGIN');
  await client.query(
    `INSERT INTO ${s}.statements (seq, tenant_id, id, stored, verb_iri, registration, voided, ref_id, is_voiding,
                                  credential, statement, attachment_hashes)
     SELECT g.seq, $5, g.id::uuid, g.stored, v.iri, g.reg::uuid, false, NULL, false, $6,
       jsonb_build_object(
         'id', g.id,
         'actor', jsonb_build_object('objectType', 'Agent', 'name', 'Learner ' || ${pad5('g.learner')},
                                     'mbox', 'mailto:learner' || ${pad5('g.learner')} || '@learners.example.org'),
         'verb', jsonb_build_object('id', v.iri, 'display', jsonb_build_object('en-US', v.name)),
         'object', jsonb_build_object('objectType', 'Activity', 'id', a.iri, 'definition', a.definition),
         'result', jsonb_build_object(
            'score', jsonb_build_object('scaled', trim_scale(g.raw::numeric / 10), 'raw', g.raw, 'min', 0, 'max', 10),
            'success', g.raw >= 7, 'completion', true, 'response', chr(97 + g.raw % 4),
            'duration', 'PT' || g.dur || 'S'),
         'context', jsonb_build_object(
            'registration', g.reg, 'platform', $8::text, 'language', 'en-US',
            'contextActivities', jsonb_build_object(
               'parent', jsonb_build_array(jsonb_build_object('objectType', 'Activity', 'id', a.module_iri)),
               'grouping', jsonb_build_array(jsonb_build_object('objectType', 'Activity', 'id', a.course_iri,
                  'definition', jsonb_build_object('type', 'http://adlnet.gov/expapi/activities/course'))),
               'category', jsonb_build_array(jsonb_build_object('objectType', 'Activity', 'id', $9::text,
                  'definition', jsonb_build_object('type', 'http://adlnet.gov/expapi/activities/profile')))),
            'extensions', jsonb_build_object(
               $10::text || '/xapi/extensions/attempt', g.attempt,
               $10::text || '/xapi/extensions/session',
               'session-' || ${pad5('g.learner')} || '-' || g.course || '-' || g.attempt)),
         'timestamp', ${iso('g.ts')},
         'stored', ${iso('g.stored')},
         'authority', $7::jsonb,
         'version', '2.0.0'),
       NULL
     FROM (
       SELECT c.*, c.course * 80 + floor(c.uact * 80)::int AS activity,
              ${uuidOf(`'stmt:' || c.seq`)} AS id,
              ${uuidOf(`'reg:' || c.learner || ':' || c.course`)} AS reg,
              date_trunc('milliseconds', c.stored - c.ulag * interval '60 seconds') AS ts
       FROM (
         SELECT b.*, (b.learner * 7 + floor(b.ucourse * 3)::int) % ${COURSES} AS course
         FROM (
           SELECT x AS seq,
                  least($3 - 1, floor($3 * power(bench_pool.u(x, 1), $4)))::int AS learner,
                  bench_pool.u(x, 2) AS ucourse, bench_pool.u(x, 3) AS uact, bench_pool.u(x, 4) AS uverb,
                  floor(bench_pool.u(x, 5) * 11)::int AS raw, 5 + floor(bench_pool.u(x, 6) * 600)::int AS dur,
                  1 + floor(bench_pool.u(x, 7) * 3)::int AS attempt, bench_pool.u(x, 8) AS ulag,
                  $11::timestamptz + (x - 1) * $12::float8 * interval '1 millisecond' AS stored
           FROM generate_series($1::bigint, $2::bigint) AS x) b) c) g
     JOIN bench_pool.activities a ON a.i = g.activity
     JOIN bench_pool.verbs v ON g.uverb >= v.lo AND g.uverb < v.hi`,
    [
      from,
      to,
      plan.learners,
      plan.skew,
      plan.tenant,
      plan.credential,
      JSON.stringify(plan.authority),
      PLATFORM,
      PROFILE_IRI,
      ORIGIN,
      plan.start.toISOString(),
      plan.stepMs,
    ],
  );
  await client.query(
    `INSERT INTO ${s}.statement_agents (seq, tenant_id, agent_key, related, verb_iri, stored)
     SELECT st.seq, $3, k.key, k.related, st.verb_iri, st.stored FROM ${s}.statements st,
       LATERAL (VALUES ('mbox:' || (st.statement #>> '{actor,mbox}'), false), ($4::text, true)) AS k(key, related)
     WHERE st.seq BETWEEN $1 AND $2`,
    [from, to, plan.tenant, agentKey(plan.authority)],
  );
  await client.query(
    `INSERT INTO ${s}.statement_activities (seq, tenant_id, activity_iri, related, verb_iri, stored)
     SELECT st.seq, $3, k.iri, k.related, st.verb_iri, st.stored FROM ${s}.statements st,
       LATERAL (SELECT st.statement #>> '{object,id}', false
                UNION ALL
                SELECT e ->> 'id', true
                  FROM jsonb_each(st.statement #> '{context,contextActivities}') AS kinds(kind, list),
                       jsonb_array_elements(kinds.list) AS e) AS k(iri, related)
     WHERE st.seq BETWEEN $1 AND $2`,
    [from, to, plan.tenant],
  );
  await client.query('COMMIT');
}

/** The deduplicated tables: every learner in `agents`, every activity definition in `activities`. */
export async function loadPeopleAndActivities(client: pg.Client, plan: LoadPlan): Promise<void> {
  const s = plan.schema;
  await client.query(
    `INSERT INTO ${s}.agents (agent_key, tenant_id, names, ifi)
     SELECT 'mbox:' || m, $2, ARRAY['Learner ' || ${pad5('i')}], jsonb_build_object('mbox', m)
       FROM generate_series(0, $1 - 1) AS i,
            LATERAL (SELECT 'mailto:learner' || ${pad5('i')} || '@learners.example.org') AS x(m)
     ON CONFLICT DO NOTHING`,
    [plan.learners, plan.tenant],
  );
  await client.query(
    `INSERT INTO ${s}.activities (iri, tenant_id, definition)
     SELECT iri, $1, definition FROM bench_pool.activities
     UNION ALL
     SELECT DISTINCT course_iri, $1, '{"type":"http://adlnet.gov/expapi/activities/course"}'::jsonb FROM bench_pool.activities
     UNION ALL
     SELECT $2, $1, '{"type":"http://adlnet.gov/expapi/activities/profile"}'::jsonb
     ON CONFLICT DO NOTHING`,
    [plan.tenant, PROFILE_IRI],
  );
}

export interface ShapeCheck {
  /** Sampled bulk-loaded statements whose index rows equal what Crest's `indexStatement` derives. */
  indexMatches: number;
  sampled: number;
  /** JSON paths:types present in one group and not the other (bulk vs Crest-written); empty = same shape. */
  pathDiff: string[];
  avgBytes: { bulk: number; crest: number };
  indexRowsPerStatement: { bulk: string; crest: string };
}

/**
 * Compares bulk-loaded statements with ones Crest wrote itself over HTTP: the same JSON paths and
 * types, about the same size, the same number of index rows, and index rows equal to Crest's own
 * `indexStatement` output.
 */
export async function checkShape(client: pg.Client, schema: string, crestFrom: number): Promise<ShapeCheck> {
  const s = schema;
  const sample = await client.query<{ seq: string; statement: Record<string, unknown> }>(
    `SELECT seq::text, statement FROM ${s}.statements
      WHERE seq IN (SELECT 1 + (hashint8(x) & 2147483647) % ($1 - 1) FROM generate_series(1, 200) AS x)`,
    [crestFrom],
  );
  // One pass over the index tables for the whole sample: they have no (seq) index (tenant migration 004).
  const seqs = sample.rows.map((r) => r.seq);
  const indexRows = await client.query<{ seq: string; x: string }>(
    `SELECT seq::text, 'agent ' || agent_key || ' ' || related AS x FROM ${s}.statement_agents WHERE seq = ANY($1::bigint[])
     UNION ALL SELECT seq::text, 'activity ' || activity_iri || ' ' || related FROM ${s}.statement_activities
      WHERE seq = ANY($1::bigint[])`,
    [seqs],
  );
  const haveBySeq = new Map<string, string[]>();
  for (const r of indexRows.rows) haveBySeq.set(r.seq, [...(haveBySeq.get(r.seq) ?? []), r.x]);
  let indexMatches = 0;
  for (const row of sample.rows) {
    const idx = indexStatement(row.statement);
    const want = [
      ...idx.agents.map((a) => `agent ${a.key} ${a.related}`),
      ...idx.activities.map((a) => `activity ${a.iri} ${a.related}`),
    ].sort();
    const got = (haveBySeq.get(row.seq) ?? []).sort();
    if (JSON.stringify(got) === JSON.stringify(want)) indexMatches++;
  }
  const paths = async (where: string) =>
    new Set(
      (
        await client.query<{ p: string }>(
          `WITH RECURSIVE t(path, v) AS (
             SELECT '', statement FROM (SELECT statement FROM ${s}.statements WHERE ${where} LIMIT 200) x
             UNION ALL
             SELECT t.path || CASE WHEN e.key IS NULL THEN '[]' ELSE '.' || e.key END, e.value
               FROM t, LATERAL (SELECT key, value FROM jsonb_each(CASE WHEN jsonb_typeof(t.v) = 'object' THEN t.v END)
                                UNION ALL
                                SELECT NULL, value FROM jsonb_array_elements(CASE WHEN jsonb_typeof(t.v) = 'array' THEN t.v END)) e)
           SELECT DISTINCT path || ':' || jsonb_typeof(v) AS p FROM t`,
          [],
        )
      ).rows.map((r) => r.p),
    );
  const bulk = await paths(`seq < ${crestFrom}`);
  const crest = await paths(`seq >= ${crestFrom}`);
  const pathDiff = [
    ...[...bulk].filter((p) => !crest.has(p)).map((p) => `only bulk: ${p}`),
    ...[...crest].filter((p) => !bulk.has(p)).map((p) => `only Crest: ${p}`),
  ];
  // Per-statement index row counts by one hashed pass over each index table (no (seq) index there).
  const stats = await client.query<{ crest: boolean; bytes: number; agents: string; activities: string }>(
    `WITH pick AS (
       (SELECT seq, statement FROM ${s}.statements WHERE seq < $1 ORDER BY seq DESC LIMIT 1000)
       UNION ALL SELECT seq, statement FROM ${s}.statements WHERE seq >= $1
     ), ag AS (
       SELECT seq, count(*) AS n FROM ${s}.statement_agents WHERE seq IN (SELECT seq FROM pick) GROUP BY seq
     ), ac AS (
       SELECT seq, count(*) AS n FROM ${s}.statement_activities WHERE seq IN (SELECT seq FROM pick) GROUP BY seq
     )
     SELECT p.seq >= $1 AS crest, avg(pg_column_size(p.statement))::float AS bytes,
            round(avg(coalesce(ag.n, 0)), 2)::text AS agents, round(avg(coalesce(ac.n, 0)), 2)::text AS activities
       FROM pick p LEFT JOIN ag USING (seq) LEFT JOIN ac USING (seq) GROUP BY 1`,
    [crestFrom],
  );
  const b = stats.rows.find((r) => !r.crest)!;
  const c = stats.rows.find((r) => r.crest)!;
  return {
    indexMatches,
    sampled: sample.rows.length,
    pathDiff,
    avgBytes: { bulk: b.bytes, crest: c.bytes },
    indexRowsPerStatement: {
      bulk: `${b.agents} agents + ${b.activities} activities`,
      crest: `${c.agents} agents + ${c.activities} activities`,
    },
  };
}
