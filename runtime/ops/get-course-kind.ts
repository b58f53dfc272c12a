import type { Tx } from '../../db/database.ts';

/** The kind (`scorm12`, `scorm2004`) of the course version a registration plays, or undefined for none. */
export async function getCourseKind(tx: Tx, registrationId: string): Promise<string | undefined> {
  const res = await tx.query<{ kind: string }>(
    `SELECT v.kind FROM registrations r
       JOIN course_versions v ON v.course_id = r.course_id AND v.version = r.version
     WHERE r.id = $1`,
    [registrationId],
  );
  return res.rows[0]?.kind;
}
