import type { Tx } from '../../db/database.ts';

export interface CourseVersion {
  version: number;
  standard: string;
  title: string;
  launchPath: string | null;
  files: number;
  bytes: number;
  createdAt: string;
  report: unknown;
}

export interface Course {
  id: string;
  title: string;
  kind: string | null;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
  versions: CourseVersion[];
}

interface CourseRow {
  id: string;
  title: string;
  kind: string | null;
  latest_version: number;
  created_at: Date;
  updated_at: Date;
}

function toCourse(r: CourseRow, versions: CourseVersion[]): Course {
  return {
    id: r.id,
    title: r.title,
    kind: r.kind,
    latestVersion: r.latest_version,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    versions,
  };
}

/** A course with every version (newest first), for the tenant in scope. */
export async function getCourse(tx: Tx, courseId: string): Promise<Course | undefined> {
  const c = await tx.query<CourseRow>('SELECT * FROM courses WHERE id = $1', [courseId]);
  if (!c.rows[0]) return undefined;
  const v = await tx.query<{
    version: number;
    standard: string;
    title: string;
    launch_path: string | null;
    files: number;
    bytes: string | number;
    created_at: Date;
    report: unknown;
  }>(
    'SELECT version, standard, title, launch_path, files, bytes, created_at, report FROM course_versions WHERE course_id = $1 ORDER BY version DESC',
    [courseId],
  );
  return toCourse(
    c.rows[0],
    v.rows.map((r) => ({
      version: r.version,
      standard: r.standard,
      title: r.title,
      launchPath: r.launch_path,
      files: r.files,
      bytes: Number(r.bytes),
      createdAt: new Date(r.created_at).toISOString(),
      report: r.report,
    })),
  );
}

/** The tenant's courses that have at least one version, newest first. */
export async function listCourses(tx: Tx, opts: { limit: number }): Promise<Omit<Course, 'versions'>[]> {
  const res = await tx.query<CourseRow>(
    'SELECT * FROM courses WHERE latest_version > 0 ORDER BY updated_at DESC, id LIMIT $1',
    [opts.limit],
  );
  return res.rows.map((r) => {
    const { versions: _versions, ...course } = toCourse(r, []);
    return course;
  });
}
