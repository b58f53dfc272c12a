import { AppError } from '../../core/errors.ts';
import { agentKey } from '../../lrs/input/agent-key.ts';
import type { Json } from '../../lrs/model/statement-index.ts';
import { documentEtag } from '../../lrs/ops/put-document.ts';
import type { OutboxEntry } from '../../queue/outbox.ts';
import type { CmiTree } from '../cmi/data-model.ts';
import { type CourseStatus, rollupCourse, type ScoOutcome, withRootActivity } from '../cmi/rollup.ts';
import { applyLmsStatus12, type ScoStatus, scoStatus } from '../cmi/sco-status.ts';
import { valueAt } from '../cmi/tree.ts';
import { dataModelFor, validateCmi } from '../cmi/validate-cmi.ts';
import type { ScoState } from '../model.ts';
import { attemptIri, courseIri, scoIri } from '../xapi/activity-iris.ts';
import { attemptStateDocument } from '../xapi/attempt-state-document.ts';
import {
  courseCompletedStatement,
  deriveStatements,
  type StatementScope,
} from '../xapi/profile-statements.ts';
import type { AttemptStateEntry } from './append-attempt-states.ts';
import { type AttemptRow, suspendDataSha1 } from './attempt-snapshots.ts';
import type { CourseVersionInfo } from './load-course-version.ts';

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
  sequencingState?: Json;
  /**
   * SHA-256 of the commit body's text as sent (http/request-bodies.ts), to tell a retry of the stored commit
   * from a different one.
   */
  hash: string;
}

export interface CommitAnswer {
  seq: number;
  sco: { completion: string; success: string; score: number | null };
  course: { completion: string; success: string; score: number | null; complete: boolean };
}

/** One attempt of a group as it is judged: its state before the group, and after each commit so far. */
export interface AttemptWork {
  row: AttemptRow;
  course: CourseVersionInfo;
  states: Map<string, ScoState>;
  dirty: boolean;
  status?: CourseStatus;
  completedAt: string | null;
  suspendedSco: string | null;
  sequencingState?: Json;
}

/** A suspend_data State document to write: the one copy of the SCO's suspend_data (tenant migration 007). */
export interface SuspendDataRow {
  attempt_id: string;
  sco: string;
  activity_iri: string;
  agent_key: string;
  registration: string;
  etag: string;
  /** Its body; it travels in the write's $16 (commit-cmi.ts), not in the row's JSON. */
  text: string;
}

/** A profile Attempt State document to write (registration NULL: the profile's document has none). */
export interface AttemptStateRow {
  attempt_id: string;
  activity_iri: string;
  agent_key: string;
  body: string;
  etag: string;
}

/** Everything a group's commits write besides the SCO states and attempts. */
export interface GroupWrites {
  statements: Json[];
  events: OutboxEntry[];
  suspendData: Map<string, SuspendDataRow>;
  attemptStateDocs: Map<string, AttemptStateRow>;
  /** First sessions of a SCO in an attempt: the SCORM Activity State's attempts list grows. */
  attemptStates: AttemptStateEntry[];
  /** The new SCO states by attempt|sco. */
  changed: Map<string, ScoState>;
}

export function emptyGroupWrites(): GroupWrites {
  return {
    statements: [],
    events: [],
    suspendData: new Map(),
    attemptStateDocs: new Map(),
    attemptStates: [],
    changed: new Map(),
  };
}

function outcomeOf(s: ScoState): ScoOutcome {
  return {
    completion: s.completion as ScoOutcome['completion'],
    success: s.success as ScoOutcome['success'],
    scoreScaled: s.scoreScaled,
    totalSeconds: s.totalSeconds,
  };
}

export function courseStatusOf(work: AttemptWork): CourseStatus {
  const course = rollupCourse(
    work.course.rollupScoIds,
    new Map([...work.states].map(([k, v]) => [k, outcomeOf(v)])),
  );
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

const EMPTY_SHA1 = documentEtag('');

/** The profile's Attempt State of a SCO state (credit and mode as runtime/cmi launchCmi launches them). */
function attemptStateText(standard: 'scorm12' | 'scorm2004', cmi: CmiTree, totalSeconds: number): string {
  return JSON.stringify(
    attemptStateDocument(standard, cmi, { credit: 'credit', mode: 'normal', totalSeconds }),
  );
}

/**
 * Judges one commit against its attempt as the group has left it so far, and adds what it writes to `out`.
 * The attempt must be the registration's current one (ATTEMPT_CLOSED), the seq must be new (STALE_COMMIT; the
 * same seq with the same content answers again as a retry), and the CMI must pass the data model
 * (CMI_INVALID). Then: the SCO state, the xAPI SCORM Profile statements of what changed, the suspend_data and
 * Attempt State documents, the course rollup and, the first time the course is completed or passed in the
 * attempt, the course statement and a course.completed outbox event. Throws AppError for this commit alone.
 */
export function judgeCommit(
  w: AttemptWork | undefined,
  c: CommitInput,
  publicUrl: string | undefined,
  timestamp: string,
  out: GroupWrites,
): CommitAnswer {
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
    throw new AppError('STALE_COMMIT', `Commit ${c.seq} is not newer than the stored commit ${prev.seq}.`, {
      seq: prev.seq,
    });
  }
  const standard = w.course.standard;
  const valid: CmiTree = validateCmi(dataModelFor(standard), c.cmi);
  const cmi = standard === 'scorm12' ? applyLmsStatus12(valid, sco, c.terminated) : valid;
  const status: ScoStatus = scoStatus(standard, cmi, sco, c.terminated);
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

  const course = { iri: courseIri(publicUrl, w.course.courseId), title: w.course.title };
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
        status: { ...scoStatus(standard, prev.cmi, sco, prev.terminated), suspended: prev.suspended },
      }
    : undefined;
  const mine = deriveStatements(standard, scope, c.seq, prevSnapshot, {
    cmi,
    status,
    terminated: c.terminated,
  });

  const learnerKey = agentKey(w.row.learner)!;
  const scoActivity = scoIri(course.iri, sco.id);
  const attemptActivity = attemptIri(scoActivity, c.attemptId);
  // The SCO's first session in this attempt: Profile §5 "Initializing an attempt".
  if (!prev)
    out.attemptStates.push({ scoIri: scoActivity, agentKey: learnerKey, attemptIri: attemptActivity });
  // Profile §6 "Suspend Data": suspend_data is also the State document of the attempt activity.
  // Compared by SHA-1 (its ETag): a snapshot holds only that of the stored one (attempt-snapshots.ts heldState).
  const suspendData = valueAt(cmi, 'suspend_data');
  const suspendEtag = documentEtag(suspendData);
  next.suspendDataSha1 = suspendEtag;
  if (suspendEtag !== (prev ? suspendDataSha1(prev) : EMPTY_SHA1)) {
    out.suspendData.set(attemptActivity, {
      attempt_id: c.attemptId,
      sco: c.sco,
      activity_iri: attemptActivity,
      agent_key: learnerKey,
      registration: w.row.registration_id,
      etag: suspendEtag,
      text: suspendData,
    });
  }
  // Profile Appendix "SCORM Activity Attempt State": rewritten whenever its text changes.
  // Compared by ETag: the one the previous commit left on its state, else built from the stored tree.
  const attemptState = attemptStateText(standard, cmi, next.totalSeconds);
  next.attemptStateEtag = documentEtag(attemptState);
  const prevEtag =
    prev && (prev.attemptStateEtag ?? documentEtag(attemptStateText(standard, prev.cmi, prev.totalSeconds)));
  if (next.attemptStateEtag !== prevEtag) {
    out.attemptStateDocs.set(attemptActivity, {
      attempt_id: c.attemptId,
      activity_iri: attemptActivity,
      agent_key: learnerKey,
      body: attemptState,
      etag: next.attemptStateEtag,
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
    out.events.push({
      queue: COURSE_COMPLETED_QUEUE,
      dedupeKey: `course.completed:${c.attemptId}`,
      payload: {
        kind: 'course.completed',
        tenant: c.tenant,
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
  out.statements.push(...mine);
  out.changed.set(`${c.attemptId}|${c.sco}`, next);
  return answerOf(next, courseStatus);
}
