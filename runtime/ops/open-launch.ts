import { AppError } from '../../core/errors.ts';
import type { Tx } from '../../db/database.ts';
import { type Attempt, type Registration, SCO_STATE_COLUMNS, type ScoState, toScoState } from '../model.ts';
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
  const states = await tx.query(`SELECT ${SCO_STATE_COLUMNS} FROM sco_states WHERE attempt_id = $1`, [
    attempt.id,
  ]);
  return { registration, attempt, course, states: states.rows.map(toScoState) };
}
