import { AppError } from '../../core/errors.ts';
import type { Tx } from '../../db/database.ts';

export interface CourseRuntimeSettings {
  courseId: string;
  /** Attempts a new registration on this course may use; null: the runtime's default. */
  maxAttempts: number | null;
}

/**
 * Sets a course's runtime settings. They apply to registrations created afterwards (each registration copies
 * them), so a learner's limit never changes under them, as their course version never does.
 */
export async function putCourseSettings(
  tx: Tx,
  settings: CourseRuntimeSettings,
): Promise<CourseRuntimeSettings> {
  const course = await tx.query('SELECT 1 FROM courses WHERE id = $1', [settings.courseId]);
  if (course.rows.length === 0) throw new AppError('NOT_FOUND', `No course ${settings.courseId}.`);
  await tx.query(
    `INSERT INTO course_runtime_settings (course_id, max_attempts) VALUES ($1, $2)
     ON CONFLICT (course_id) DO UPDATE SET max_attempts = EXCLUDED.max_attempts, updated_at = now()`,
    [settings.courseId, settings.maxAttempts],
  );
  return settings;
}
