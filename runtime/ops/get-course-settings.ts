import type { Tx } from '../../db/database.ts';
import type { CourseRuntimeSettings } from './put-course-settings.ts';

/** A course's runtime settings (defaults when none were set); undefined when the course does not exist. */
export async function getCourseSettings(
  tx: Tx,
  courseId: string,
): Promise<CourseRuntimeSettings | undefined> {
  const res = await tx.query<{ max_attempts: number | null }>(
    `SELECT s.max_attempts FROM courses c LEFT JOIN course_runtime_settings s ON s.course_id = c.id WHERE c.id = $1`,
    [courseId],
  );
  const row = res.rows[0];
  return row ? { courseId, maxAttempts: row.max_attempts ?? null } : undefined;
}
