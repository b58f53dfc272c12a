import { randomUUID } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import type { Tx } from '../../db/database.ts';
import { agentKey } from '../../lrs/input/agent-key.ts';
import { type Learner, REGISTRATION_COLUMNS, type Registration, toRegistration } from '../model.ts';
import { getCourseSettings } from './get-course-settings.ts';
import { loadCourseVersion } from './load-course-version.ts';

export interface CreateRegistrationInput {
  tenant: string;
  courseId: string;
  learner: Learner;
  /** Defaults to the course's latest version. */
  version?: number;
  /** Defaults to the course's runtime setting, else DEFAULT_MAX_ATTEMPTS. */
  maxAttempts?: number;
  /** A second registration for the same learner, course and version instead of returning the first. */
  forceNew?: boolean;
}

export interface CreateRegistrationResult {
  registration: Registration;
  created: boolean;
}

/**
 * One learner on one course version. Without forceNew the same learner and course (and version, when named)
 * get their latest registration back, so an integrator can call this on every visit. The version is fixed here
 * and never moves: a later upload of the course only affects new learners, or forceNew.
 */
export async function createRegistration(
  tx: Tx,
  input: CreateRegistrationInput,
): Promise<CreateRegistrationResult> {
  const course = await tx.query<{ latest_version: number }>(
    'SELECT latest_version FROM courses WHERE id = $1',
    [input.courseId],
  );
  const latest = course.rows[0]?.latest_version ?? 0;
  if (latest === 0) throw new AppError('NOT_FOUND', `No course ${input.courseId}.`);
  const version = input.version ?? latest;
  const info = await loadCourseVersion(tx, input.tenant, input.courseId, version);
  if (!info) throw new AppError('NOT_FOUND', `Course ${input.courseId} has no version ${version}.`);
  const key = agentKey(input.learner)!;
  if (!input.forceNew) {
    // Without a version, any version the learner already started counts: they stay on it after a re-upload.
    const existing = await tx.query(
      `SELECT ${REGISTRATION_COLUMNS} FROM registrations
       WHERE course_id = $1 AND learner_key = $2 AND ($3::int IS NULL OR version = $3)
       ORDER BY created_at DESC LIMIT 1`,
      [input.courseId, key, input.version ?? null],
    );
    if (existing.rows[0]) return { registration: toRegistration(existing.rows[0]), created: false };
  }
  const settings = await getCourseSettings(tx, input.courseId);
  const res = await tx.query(
    `INSERT INTO registrations (id, course_id, version, learner, learner_key, max_attempts)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${REGISTRATION_COLUMNS}`,
    [
      randomUUID(),
      input.courseId,
      version,
      JSON.stringify(input.learner),
      key,
      input.maxAttempts ?? settings?.maxAttempts ?? null,
    ],
  );
  return { registration: toRegistration(res.rows[0]!), created: true };
}
