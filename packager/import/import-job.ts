import type { Tx } from '../../db/database.ts';

export type ImportStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface ImportJob {
  id: string;
  courseId: string;
  status: ImportStatus;
  phase: string;
  progress: { files: number; totalFiles: number; bytes: number };
  fileName: string | null;
  version: number | null;
  report: unknown;
  error: { code: string; message: string; details?: unknown } | null;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  course_id: string;
  status: ImportStatus;
  phase: string;
  done: number;
  total: number;
  bytes: string | number;
  file_name: string | null;
  version: number | null;
  report: unknown;
  error: ImportJob['error'];
  created_at: Date;
  updated_at: Date;
  upload_key: string;
}

export function toImportJob(r: Row): ImportJob {
  return {
    id: r.id,
    courseId: r.course_id,
    status: r.status,
    phase: r.phase,
    progress: { files: r.done, totalFiles: r.total, bytes: Number(r.bytes) },
    fileName: r.file_name,
    version: r.version,
    report: r.report,
    error: r.error,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

/** One import job of the tenant in scope, or undefined. */
export async function getImportJob(
  tx: Tx,
  jobId: string,
): Promise<(ImportJob & { uploadKey: string }) | undefined> {
  const res = await tx.query<Row>('SELECT * FROM import_jobs WHERE id = $1', [jobId]);
  const row = res.rows[0];
  return row ? { ...toImportJob(row), uploadKey: row.upload_key } : undefined;
}

export async function updateImportJob(
  tx: Tx,
  jobId: string,
  fields: Partial<{
    status: ImportStatus;
    phase: string;
    done: number;
    total: number;
    bytes: number;
    version: number;
    report: unknown;
    error: unknown;
  }>,
): Promise<void> {
  const sets: string[] = ['updated_at = now()'];
  const params: unknown[] = [jobId];
  for (const [k, v] of Object.entries(fields)) {
    params.push(k === 'report' || k === 'error' ? JSON.stringify(v) : v);
    sets.push(`${k} = $${params.length}${k === 'report' || k === 'error' ? '::jsonb' : ''}`);
  }
  await tx.query(`UPDATE import_jobs SET ${sets.join(', ')} WHERE id = $1`, params);
}
