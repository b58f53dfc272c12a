import { AppError } from '../../core/errors.ts';
import type { Tx } from '../../db/database.ts';
import { type Attempt, type Registration, SCO_STATE_COLUMNS, type ScoState, toScoState } from '../model.ts';
import { heldState, rememberSnapshot } from './attempt-snapshots.ts';
import { getRegistration } from './get-registration.ts';
import { type CourseVersionInfo, loadCourseVersion } from './load-course-version.ts';
import { startAttempt } from './start-attempt.ts';

export interface OpenLaunchResult {
  registration: Registration;
  attempt: Attempt;
  course: CourseVersionInfo;
  states: ScoState[];
}

/**
 * What a launch needs, opening an attempt when due: the first launch opens attempt 1, and a launch after the
 * current attempt was completed or passed (and not left suspended) opens the next one, while attempts remain.
 * At the limit, the finished attempt is launched again (the learner can review it; commits still validate).
 */
export async function openLaunch(
  tx: Tx,
  input: { tenant: string; registrationId: string },
): Promise<OpenLaunchResult> {
  const current = await getRegistration(tx, input.registrationId, { lock: true });
  if (!current)
    throw new AppError('LAUNCH_TOKEN_INVALID', 'The registration of this launch link no longer exists.');
  const { registration } = current;
  const course = await loadCourseVersion(tx, input.tenant, registration.courseId, registration.version);
  if (!course) throw new AppError('NOT_FOUND', `Course version ${registration.version} is gone.`);
  let attempt = current.attempts.at(-1);
  const finished = attempt?.completedAt && attempt.suspendedSco === null;
  if (!attempt || (finished && attempt.number < registration.maxAttempts)) {
    attempt = await startAttempt(tx, current);
  }
  const [version, rows] = await Promise.all([
    tx.query<{ xmin: string }>('SELECT xmin::text FROM attempts WHERE id = $1', [attempt.id]),
    tx.query(`SELECT ${SCO_STATE_COLUMNS} FROM sco_states WHERE attempt_id = $1`, [attempt.id]),
  ]);
  const states = rows.rows.map(toScoState);
  primeSnapshot(input.tenant, registration, attempt, states, version.rows[0]!.xmin);
  return { registration, attempt, course, states };
}

/**
 * The learner's first commit after a launch is judged from what the launch just read, as every later commit is
 * from the last write: without this, each session's first commit paid a locking read round trip
 * (commit-sql.ts LOCK_ATTEMPTS_SQL and READ_STATES_SQL) before its write. The snapshot carries the attempt's
 * row version (xmin), and the commit write's guard refuses it if anything touched the attempt since, so it is
 * never trusted blindly; remembered before COMMIT for the same reason as commit-cmi.ts `remember`.
 */
function primeSnapshot(
  tenant: string,
  registration: Registration,
  attempt: Attempt,
  states: readonly ScoState[],
  xmin: string,
): void {
  const held = states.map((s) => {
    const h = heldState(s);
    // Held again with its text: h is already without suspend_data, so its SHA-1 is not taken twice.
    return h.cmi === null ? h : heldState(h, JSON.stringify(h.cmi));
  });
  rememberSnapshot(tenant, {
    row: {
      id: attempt.id,
      registration_id: registration.id,
      course_id: registration.courseId,
      version: registration.version,
      learner: registration.learner,
      completed_at: attempt.completedAt,
      suspended_sco: attempt.suspendedSco,
      sequencing_state: attempt.sequencingState,
      current: true,
      xmin,
    },
    states: new Map(held.map((s) => [s.sco, s])),
  });
}
