import { LRUCache } from 'lru-cache';
import { AppError } from '../../core/errors.ts';
import type { Tx } from '../../db/database.ts';
import type { ScormCourseModel } from '../../packager/manifest/course-model.ts';
import {
  type ScormAgainSequencingSettings,
  toScormAgainSequencing,
} from '../../packager/manifest/scorm-again-sequencing.ts';
import { type CourseInfo, courseInfo } from '../course-info.ts';

export interface CourseVersionInfo extends CourseInfo {
  courseId: string;
  version: number;
  /** scorm-again's sequencing settings (SCORM 2004), mapped once per cached version; null for 1.2. */
  sequencing: ScormAgainSequencingSettings | null;
}

/** Course versions never change once imported, so their reduced models are cached by tenant + id + version. */
const cache = new LRUCache<string, CourseVersionInfo>({ max: 500 });

/** The SCORM course version a registration is on; 400 for kinds the SCORM runtime does not launch. */
export async function loadCourseVersion(
  tx: Tx,
  tenant: string,
  courseId: string,
  version: number,
): Promise<CourseVersionInfo | undefined> {
  const key = `${tenant}|${courseId}|${version}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const res = await tx.query<{ kind: string; model: ScormCourseModel }>(
    'SELECT kind, model FROM course_versions WHERE course_id = $1 AND version = $2',
    [courseId, version],
  );
  const row = res.rows[0];
  if (!row) return undefined;
  if (row.kind !== 'scorm12' && row.kind !== 'scorm2004') {
    throw new AppError(
      'BAD_REQUEST',
      `Course ${courseId} is a ${row.kind} course; the SCORM runtime launches SCORM 1.2 and 2004 courses only.`,
    );
  }
  const info: CourseVersionInfo = {
    ...courseInfo(row.model),
    courseId,
    version,
    sequencing: toScormAgainSequencing(row.model).sequencing,
  };
  cache.set(key, info);
  return info;
}
