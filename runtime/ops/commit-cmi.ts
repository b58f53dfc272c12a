import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { AppError } from '../../core/errors.ts';
import { type QueryResult, runScript, type Tx } from '../../db/database.ts';
import { agentKey } from '../../lrs/input/agent-key.ts';
import { prepareStatement } from '../../lrs/model/prepare-statement.ts';
import type { Json } from '../../lrs/model/statement-index.ts';
import {
  FastPathConflict,
  fastPathApplies,
  statementInsertCtes,
  statementInsertParams,
} from '../../lrs/ops/insert-statements-fast.ts';
import { storeStatementRequests } from '../../lrs/ops/store-statements.ts';
import { enqueueManyInTx, type OutboxEntry } from '../../queue/outbox.ts';
import type { CmiTree } from '../cmi/data-model.ts';
import { type CourseStatus, rollupCourse, type ScoOutcome, withRootActivity } from '../cmi/rollup.ts';
import { applyLmsStatus12, type ScoStatus, scoStatus } from '../cmi/sco-status.ts';
import { valueAt } from '../cmi/tree.ts';
import { dataModelFor, validateCmi } from '../cmi/validate-cmi.ts';
import { type Learner, type ScoState, toScoState } from '../model.ts';
import { attemptIri, courseIri, SUSPEND_DATA_STATE_ID, scoIri } from '../xapi/activity-iris.ts';
import {
  courseCompletedStatement,
  deriveStatements,
  type StatementScope,
} from '../xapi/profile-statements.ts';
import { type AttemptStateEntry, appendAttemptStates } from './append-attempt-states.ts';
import { type CourseVersionInfo, loadCourseVersion } from './load-course-version.ts';

/** The outbox queue of course completions (certificates, notifications, compliance). */
export const COURSE_COMPLETED_QUEUE = 'course-completed';

export interface CommitInput {
  tenant: string;
  /** From the launch token: the only registration this commit may touch. */
  registrationId: string;
  attemptId: string;
  sco: string;
  seq: number;
  /** The CMI tree as the player sent it; validated here. */
  cmi: unknown;
  terminated: boolean;
  navRequest: string | null;
  sequencingState: Json | undefined;
  /** SHA-256 of the canonical commit, to tell a retry of the stored commit from a different one. */
  hash: string;
}

export interface CommitAnswer {
  seq: number;
  sco: { completion: string; success: string; score: number | null };
  course: { completion: string; success: string; score: number | null; complete: boolean };
}

export interface CommitOptions {
  /** CREST_PUBLIC_URL, for activity IRIs and the statements' authority; URNs without it. */
  publicUrl: string | undefined;
  now?: () => Date;
  /** Statements through lrs/ops insertStatementsFast (default); false for the careful storeStatementRequests. */
  fastStatements?: boolean;
}

interface AttemptRow {
  id: string;
  registration_id: string;
  course_id: string;
  version: number;
  learner: Learner;
  completed_at: Date | null;
  suspended_sco: string | null;
  sequencing_state: Json | null;
  current: boolean;
}

interface AttemptWork {
  row: AttemptRow;
  course: CourseVersionInfo;
  states: Map<string, ScoState>;
  dirty: boolean;
  status?: CourseStatus;
  completedAt: string | null;
  suspendedSco: string | null;
  sequencingState?: Json;
}

/** A suspend_data State document to write; its body is the suspend_data of the SCO state row written with it. */
interface SuspendDataRow {
  attempt_id: string;
  sco: string;
  activity_iri: string;
  agent_key: string;
  registration: string;
  etag: string;
}

/**
 * The CMI tree this process last stored per tenant, attempt and SCO, with the seq and commit hash it was stored
 * under: the next commit of that SCO diffs against it instead of reading the 5–10 KB tree back. Bounded by the
 * size of the trees as JSON (about 20,000 learners' trees in 128 MB).
 */
const storedCmi = new LRUCache<string, { seq: number; hash: string; cmi: CmiTree }>({
  maxSize: 128 * 1024 * 1024,
});

/** Empties the cache of stored CMI trees (tests: the next commits read them back, as another process would). */
export function forgetStoredCmi(): void {
  storedCmi.clear();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const LOCK_ATTEMPTS_SQL = `SELECT a.id::text, a.registration_id::text, r.course_id::text, r.version, r.learner,
       a.completed_at, a.suspended_sco, a.sequencing_state,
       a.number = (SELECT max(x.number) FROM attempts x WHERE x.registration_id = a.registration_id) AS current
     FROM attempts a JOIN registrations r ON r.id = a.registration_id
     WHERE a.id = ANY($1::uuid[]) ORDER BY a.id FOR UPDATE OF a`;

/**
 * After the lock, in a statement of its own (a new snapshot in READ COMMITTED: it sees the commit that held the
 * lock before). $1: the attempts; $2: per SCO being committed, the seq and hash of the cached tree (or nulls).
 * Both are inlined as literals (runScript takes no parameters).
 */
const READ_STATES_SQL = `SELECT s.attempt_id::text, s.sco, s.seq, s.commit_hash,
       CASE WHEN k.attempt_id IS NOT NULL AND (k.seq IS DISTINCT FROM s.seq OR k.hash IS DISTINCT FROM s.commit_hash)
            THEN s.cmi END AS cmi,
       s.completion, s.success, s.score_scaled, s.total_seconds, s.session_seconds, s.terminated, s.suspended,
       s.updated_at
     FROM sco_states s
     LEFT JOIN jsonb_to_recordset($2::jsonb) AS k(attempt_id uuid, sco text, seq bigint, hash text)
       ON k.attempt_id = s.attempt_id AND k.sco = s.sco
     WHERE s.attempt_id = ANY($1::uuid[])`;

const DOCUMENT_CONFLICT = `(kind, activity_iri, agent_key, (coalesce(registration, '00000000-0000-0000-0000-000000000000'::uuid)), doc_id)`;

/**
 * Every write of a group in one SQL statement (one round trip): the SCO states, the attempts, the suspend_data
 * State documents and the statements (lrs/ops statementInsertCtes, $5–$10); $11 the attempts' ids. The State
 * documents follow the LRS's conventions (bytes as sent, Content-Type, ETag = SHA-1 hex of the bytes), so GET
 * /xapi/activities/state serves them like any other; their bodies are taken from the SCO state rows written here.
 * lrs/ops putDocument would cost two round trips per document, with precondition checks these documents never
 * need: the runtime is their only writer, inside the attempt lock its commit holds. Returns how many statements
 * and documents were written.
 */
const WRITE_COMMITS_SQL = `WITH ss AS (
       INSERT INTO sco_states (attempt_id, sco, seq, commit_hash, cmi, completion, success, score_scaled,
         total_seconds, session_seconds, terminated, suspended)
       SELECT r.attempt_id, r.sco, r.seq, r.commit_hash, r.cmi, r.completion, r.success, r.score_scaled,
         r.total_seconds, r.session_seconds, r.terminated, r.suspended
       FROM jsonb_to_recordset($1::jsonb) AS r(attempt_id uuid, sco text, seq bigint, commit_hash text, cmi jsonb,
         completion text, success text, score_scaled numeric, total_seconds numeric, session_seconds numeric,
         terminated boolean, suspended boolean)
       ORDER BY r.attempt_id, r.sco
       ON CONFLICT (attempt_id, sco) DO UPDATE SET seq = EXCLUDED.seq, commit_hash = EXCLUDED.commit_hash,
         cmi = EXCLUDED.cmi, completion = EXCLUDED.completion, success = EXCLUDED.success,
         score_scaled = EXCLUDED.score_scaled, total_seconds = EXCLUDED.total_seconds,
         session_seconds = EXCLUDED.session_seconds, terminated = EXCLUDED.terminated,
         suspended = EXCLUDED.suspended, updated_at = now()
       RETURNING attempt_id, sco, cmi->>'suspend_data' AS suspend_data
     ), att AS (
       UPDATE attempts a SET completion = r.completion, success = r.success, score = r.score,
         total_seconds = r.total_seconds, completed_at = r.completed_at, suspended_sco = r.suspended_sco,
         sequencing_state = CASE WHEN r.has_sequencing_state THEN r.sequencing_state ELSE a.sequencing_state END,
         updated_at = now()
       FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, completion text, success text, score numeric,
         total_seconds numeric, completed_at timestamptz, suspended_sco text, has_sequencing_state boolean,
         sequencing_state jsonb)
       -- The ids again as an array: joined to the recordset alone, the planner hashes the whole attempts table.
       WHERE a.id = r.id AND a.id = ANY($11::uuid[])
     ), sd AS (
       INSERT INTO documents (kind, activity_iri, agent_key, registration, doc_id, content_type, body, etag)
       SELECT 'state', d.activity_iri, d.agent_key, d.registration, $4, 'text/plain; charset=utf-8',
              convert_to(coalesce(ss.suspend_data, ''), 'UTF8'), d.etag
       FROM ROWS FROM (jsonb_to_recordset($3::jsonb) AS (attempt_id uuid, sco text, activity_iri text,
         agent_key text, registration uuid, etag text)) WITH ORDINALITY AS d(attempt_id, sco, activity_iri,
         agent_key, registration, etag, ord)
       JOIN ss ON ss.attempt_id = d.attempt_id AND ss.sco = d.sco
       ORDER BY d.ord
       ON CONFLICT ${DOCUMENT_CONFLICT}
       DO UPDATE SET content_type = EXCLUDED.content_type, body = EXCLUDED.body, etag = EXCLUDED.etag,
         updated_at = now()
       RETURNING 1
     ), ${statementInsertCtes(5)}
     SELECT (SELECT count(*) FROM ins)::int AS statements, (SELECT count(*) FROM sd)::int AS documents`;

function outcomeOf(s: ScoState): ScoOutcome {
  return {
    completion: s.completion as ScoOutcome['completion'],
    success: s.success as ScoOutcome['success'],
    scoreScaled: s.scoreScaled,
    totalSeconds: s.totalSeconds,
  };
}

function courseStatusOf(work: AttemptWork): CourseStatus {
  const scoIds = work.course.rollupScoIds;
  const course = rollupCourse(scoIds, new Map([...work.states].map(([k, v]) => [k, outcomeOf(v)])));
  if (work.course.standard !== 'scorm2004') return course;
  return withRootActivity(
    course,
    work.sequencingState ?? work.row.sequencing_state,
    work.course.organizationId,
  );
}

function answerOf(state: ScoState, course: CourseStatus): CommitAnswer {
  return {
    seq: state.seq,
    sco: { completion: state.completion, success: state.success, score: state.scoreScaled },
    course: {
      completion: course.completion,
      success: course.success,
      score: course.score,
      complete: course.complete,
    },
  };
}

/**
 * Applies a group of CMI commits in the caller's tenant transaction, each judged alone (an AppError in its
 * slot stores nothing of that commit), in order, so two commits of one SCO in a group behave as if sent one
 * after the other. Per commit: the attempt must be the registration's current one (ATTEMPT_CLOSED), the seq
 * must be new (STALE_COMMIT; the same seq with the same content answers again as a retry), and the CMI must
 * pass the data model (CMI_INVALID). Then, in this same transaction: the SCO state, the xAPI SCORM Profile
 * statements of what changed, the suspend_data State document, the course rollup, and, the first time the
 * course is completed or passed in the attempt, the course statement and a course.completed outbox row.
 * The attempts are locked in id order, so concurrent groups cannot deadlock and commits of one attempt
 * serialise.
 */
export async function commitCmi(
  tx: Tx,
  commits: readonly CommitInput[],
  options: CommitOptions,
): Promise<(CommitAnswer | AppError)[]> {
  const now = (options.now ?? (() => new Date()))();
  const timestamp = now.toISOString();
  const tenant = commits[0]?.tenant ?? '';
  const attemptIds = [...new Set(commits.map((c) => c.attemptId))].sort();
  // The CMI of a SCO being committed is sent back only when this process does not hold the stored one: a
  // cached tree is used only if the row's seq and commit hash are the ones it was cached with (a hash names
  // the commit's content, so this holds with any number of processes). Other SCOs' rows come without CMI.
  const known = new Map<
    string,
    { attempt_id: string; sco: string; seq: number | null; hash: string | null }
  >();
  for (const c of commits) {
    const key = `${c.attemptId}|${c.sco}`;
    if (known.has(key)) continue;
    const hit = storedCmi.get(`${tenant}|${key}`);
    known.set(key, { attempt_id: c.attemptId, sco: c.sco, seq: hit?.seq ?? null, hash: hit?.hash ?? null });
  }
  // One round trip (with BEGIN when this is the transaction's start): lock the attempts, then read their SCO
  // states in a statement of its own, whose snapshot sees the commit that held a lock before.
  for (const id of attemptIds)
    if (!UUID.test(id)) throw new AppError('BAD_REQUEST', 'attemptId must be a UUID.');
  const ids = `'{${attemptIds.join(',')}}'::uuid[]`;
  const knownJson = Buffer.from(JSON.stringify([...known.values()]), 'utf8').toString('base64');
  const [locked, stateRows] = await runScript(tx, [
    LOCK_ATTEMPTS_SQL.replace('$1::uuid[]', ids),
    READ_STATES_SQL.replace('$1::uuid[]', ids).replace(
      '$2::jsonb',
      `convert_from(decode('${knownJson}', 'base64'), 'UTF8')::jsonb`,
    ),
  ]);
  const attemptRows = locked as unknown as QueryResult<AttemptRow>;
  const work = new Map<string, AttemptWork>();
  for (const row of attemptRows.rows) {
    const course = await loadCourseVersion(tx, tenant, row.course_id, row.version);
    if (!course) continue;
    work.set(row.id, {
      row,
      course,
      states: new Map(),
      dirty: false,
      completedAt: row.completed_at ? new Date(row.completed_at).toISOString() : null,
      suspendedSco: row.suspended_sco,
    });
  }
  for (const r of stateRows!.rows) {
    const s = toScoState(r);
    if (r.cmi === null) {
      const hit = storedCmi.get(`${tenant}|${s.attemptId}|${s.sco}`);
      // Not asked for (another SCO: its CMI is not needed), or the cached tree of exactly this commit.
      if (hit && hit.seq === s.seq && hit.hash === s.commitHash) s.cmi = hit.cmi;
    }
    work.get(s.attemptId)?.states.set(s.sco, s);
  }

  const statements: Json[] = [];
  const events: OutboxEntry[] = [];
  const documents = new Map<string, SuspendDataRow>();
  const attemptStates: AttemptStateEntry[] = [];
  const changed = new Map<string, ScoState>();

  const outcomes = commits.map((c): CommitAnswer | AppError => {
    try {
      const w = work.get(c.attemptId);
      if (!w || w.row.registration_id !== c.registrationId || !w.row.current) {
        throw new AppError(
          'ATTEMPT_CLOSED',
          `Attempt ${c.attemptId} is not the current attempt of this registration; launch again.`,
        );
      }
      const sco = w.course.scos.get(c.sco);
      if (sco?.scormType !== 'sco') {
        throw new AppError('BAD_REQUEST', `The course has no SCO "${c.sco}".`, { sco: c.sco });
      }
      const prev = w.states.get(c.sco);
      if (prev && c.seq <= prev.seq) {
        if (c.seq === prev.seq && c.hash === prev.commitHash)
          return answerOf(prev, w.status ?? courseStatusOf(w));
        throw new AppError(
          'STALE_COMMIT',
          `Commit ${c.seq} is not newer than the stored commit ${prev.seq}.`,
          {
            seq: prev.seq,
          },
        );
      }
      const model = dataModelFor(w.course.standard);
      const valid: CmiTree = validateCmi(model, c.cmi);
      const cmi = w.course.standard === 'scorm12' ? applyLmsStatus12(valid, sco, c.terminated) : valid;
      const status: ScoStatus = scoStatus(w.course.standard, cmi, sco, c.terminated);
      const base = prev ? (prev.terminated ? prev.totalSeconds : prev.totalSeconds - prev.sessionSeconds) : 0;
      const next: ScoState = {
        attemptId: c.attemptId,
        sco: c.sco,
        seq: c.seq,
        commitHash: c.hash,
        cmi,
        completion: status.completion,
        success: status.success,
        scoreScaled: status.scoreScaled,
        totalSeconds: base + status.sessionSeconds,
        sessionSeconds: status.sessionSeconds,
        terminated: c.terminated,
        suspended: status.suspended,
        updatedAt: timestamp,
      };

      const course = { iri: courseIri(options.publicUrl, w.course.courseId), title: w.course.title };
      const scope: StatementScope = {
        actor: w.row.learner,
        registration: w.row.registration_id,
        attemptId: c.attemptId,
        course,
        sco: { id: sco.id, title: sco.title },
        timestamp,
      };
      const prevSnapshot = prev
        ? {
            cmi: prev.cmi,
            terminated: prev.terminated,
            status: { ...scoStatus(w.course.standard, prev.cmi, sco, prev.terminated), suspended: prev.suspended },
          }
        : undefined;
      const mine = deriveStatements(w.course.standard, scope, c.seq, prevSnapshot, {
        cmi,
        status,
        terminated: c.terminated,
      });

      if (!prev) {
        // The SCO's first session in this attempt: Profile §5 "Initializing an attempt".
        const scoActivity = scoIri(course.iri, sco.id);
        attemptStates.push({
          scoIri: scoActivity,
          agentKey: agentKey(w.row.learner)!,
          attemptIri: attemptIri(scoActivity, c.attemptId),
        });
      }
      // Profile §6 "Suspend Data": suspend_data is also the State document of the attempt activity.
      const suspendData = valueAt(cmi, 'suspend_data');
      if (suspendData !== (prev ? valueAt(prev.cmi, 'suspend_data') : '')) {
        const activityIri = attemptIri(scoIri(course.iri, sco.id), c.attemptId);
        // The body is taken in SQL from the SCO state row written with it, so it travels once.
        documents.set(activityIri, {
          attempt_id: c.attemptId,
          sco: c.sco,
          activity_iri: activityIri,
          agent_key: agentKey(w.row.learner)!,
          registration: w.row.registration_id,
          etag: createHash('sha1').update(suspendData, 'utf8').digest('hex'),
        });
      }

      w.states.set(c.sco, next);
      if (c.terminated) {
        if (status.suspended) w.suspendedSco = c.sco;
        else if (w.suspendedSco === c.sco) w.suspendedSco = null;
      }
      if (c.sequencingState !== undefined) w.sequencingState = c.sequencingState;
      const courseStatus = courseStatusOf(w);
      w.status = courseStatus;
      w.dirty = true;
      if (courseStatus.complete && w.completedAt === null) {
        w.completedAt = timestamp;
        mine.push(courseCompletedStatement(scope, courseStatus));
        events.push({
          queue: COURSE_COMPLETED_QUEUE,
          dedupeKey: `course.completed:${c.attemptId}`,
          payload: {
            kind: 'course.completed',
            tenant,
            registration: w.row.registration_id,
            attempt: c.attemptId,
            learner: w.row.learner,
            course: w.course.courseId,
            version: w.course.version,
            completion: courseStatus.completion,
            success: courseStatus.success,
            score: courseStatus.score,
            totalSeconds: courseStatus.totalSeconds,
            completedAt: timestamp,
          },
        });
      }
      statements.push(...mine);
      changed.set(`${c.attemptId}|${c.sco}`, next);
      return answerOf(next, courseStatus);
    } catch (err) {
      if (err instanceof AppError) return err;
      throw err;
    }
  });

  const dirty = [...work.values()].filter((w) => w.dirty);
  let prepared: Json[] = [];
  if (statements.length > 0) {
    const authority = {
      objectType: 'Agent',
      account: { homePage: options.publicUrl ?? 'urn:crest', name: 'crest-runtime' },
    };
    prepared = statements.map((s) => prepareStatement(s, { stored: timestamp, authority, version: '2.0.0' }));
  }
  const request = { statements: prepared, credential: 'runtime' };
  // Fresh ids (name-based on a seq this transaction holds locked): written with everything else below.
  const fast = options.fastStatements !== false && fastPathApplies([request]);
  if (changed.size > 0 || (fast && prepared.length > 0)) {
    const states = [...changed.values()].sort((a, b) =>
      a.attemptId === b.attemptId ? (a.sco < b.sco ? -1 : 1) : a.attemptId < b.attemptId ? -1 : 1,
    );
    const stateJson = states.map(scoStateRowJson);
    const docs = [...documents.values()].sort((a, b) => a.activity_iri.localeCompare(b.activity_iri));
    const res = await tx.query<{ statements: number; documents: number }>(
      WRITE_COMMITS_SQL,
      [
        `[${stateJson.join(',')}]`,
        JSON.stringify(dirty.map(attemptRowOf)),
        JSON.stringify(docs),
        SUSPEND_DATA_STATE_ID,
        ...statementInsertParams(fast ? [request] : []),
        dirty.map((w) => w.row.id),
      ],
      { prepare: 'crest-runtime-write-commits' },
    );
    const written = res.rows[0]!;
    if (written.documents !== docs.length)
      throw new Error(`commitCmi: ${written.documents} of ${docs.length} State documents written`);
    // A clash rolls the transaction back, and the writer reruns the group on the careful path.
    if (fast && written.statements !== prepared.length) throw new FastPathConflict();
    for (const [i, s] of states.entries())
      storedCmi.set(
        `${tenant}|${s.attemptId}|${s.sco}`,
        { seq: s.seq, hash: s.commitHash, cmi: s.cmi },
        { size: stateJson[i]!.length + 256 },
      );
  }
  if (!fast && prepared.length > 0) {
    const [stored] = await storeStatementRequests(tx, [{ ...request, events }]);
    // On the careful path a clash is a 409 for the whole group, rather than CMI acknowledged without its
    // statements; the writer then retries each commit alone.
    if (stored instanceof AppError) throw stored;
  } else await enqueueManyInTx(tx, events);
  await appendAttemptStates(tx, attemptStates);
  return outcomes;
}

function scoStateRowJson(s: ScoState): string {
  return JSON.stringify({
    attempt_id: s.attemptId,
    sco: s.sco,
    seq: s.seq,
    commit_hash: s.commitHash,
    cmi: s.cmi,
    completion: s.completion,
    success: s.success,
    score_scaled: s.scoreScaled,
    total_seconds: s.totalSeconds,
    session_seconds: s.sessionSeconds,
    terminated: s.terminated,
    suspended: s.suspended,
  });
}

function attemptRowOf(w: AttemptWork): Json {
  return {
    id: w.row.id,
    completion: w.status!.completion,
    success: w.status!.success,
    score: w.status!.score,
    total_seconds: w.status!.totalSeconds,
    completed_at: w.completedAt,
    suspended_sco: w.suspendedSco,
    has_sequencing_state: w.sequencingState !== undefined,
    sequencing_state: w.sequencingState ?? null,
  };
}
