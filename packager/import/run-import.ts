import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isAppError } from '../../core/errors.ts';
import type { Database } from '../../db/database.ts';
import { withTenant } from '../../db/with-tenant.ts';
import { type BlobStore, tenantKey } from '../../storage/blob-store.ts';
import { extractToStore, readArchiveFile } from '../archive/extract-to-store.ts';
import { type ArchiveLimits, inspectArchive } from '../archive/inspect-archive.ts';
import { parseCmi5Course } from '../manifest/cmi5-course.ts';
import { detectPackage } from '../manifest/detect-package.ts';
import { parseScormManifest } from '../manifest/scorm-manifest.ts';
import type { ValidationReport } from '../manifest/validation-report.ts';
import { isMp4, readHead } from '../video/detect-video.ts';
import { importVideo } from '../video/import-video.ts';
import { getImportJob, type ImportJob, updateImportJob } from './import-job.ts';
import { launchPathOf } from './launch-path.ts';

export interface RunImportDeps {
  db: Database;
  blobs: BlobStore;
  limits?: ArchiveLimits;
}

export type ImportProgress = (job: Pick<ImportJob, 'phase' | 'progress'>) => void;

const PROGRESS_WRITE_MS = 500;

/**
 * Runs one import job to its end: inspect the archive (nothing extracted yet), detect the package,
 * parse and validate the manifest, then stream the files to `tenants/<t>/courses/<course>/v<n>/` and
 * record the version. A refused package ends the job as `failed` with the report or the reason, and
 * leaves no files and no version behind. Safe to run again for the same job (the queue delivers at
 * least once): a finished job is returned as it is.
 */
export async function runImport(
  deps: RunImportDeps,
  input: { tenant: string; jobId: string },
  onProgress?: ImportProgress,
): Promise<ImportJob> {
  const { db, blobs } = deps;
  const tenantTx = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(db, input.tenant, fn);
  const job = await tenantTx((tx) => getImportJob(tx, input.jobId));
  if (!job) throw new Error(`import job ${input.jobId} of tenant ${input.tenant} does not exist`);
  if (job.status === 'succeeded' || job.status === 'failed') return job;

  let lastWrite = 0;
  const progress = async (phase: string, files = 0, totalFiles = 0, bytes = 0, force = false) => {
    onProgress?.({ phase, progress: { files, totalFiles, bytes } });
    const now = Date.now();
    if (!force && now - lastWrite < PROGRESS_WRITE_MS) return;
    lastWrite = now;
    await tenantTx((tx) =>
      updateImportJob(tx, job.id, { status: 'running', phase, done: files, total: totalFiles, bytes }),
    );
  };

  const work = await mkdtemp(path.join(os.tmpdir(), 'crest-import-'));
  let zipPath = path.join(work, 'package.zip');
  let prefix: string | undefined;
  let report: ValidationReport | undefined;
  try {
    await progress('downloading', 0, 0, 0, true);
    // A store on this machine (the folder store) already holds the upload as a file: read it in place
    // rather than copying a package of up to 4 GiB first. Only this job deletes the upload, at its end.
    const local = await blobs.localFile?.(job.uploadKey);
    if (local) zipPath = local;
    else await pipeline((await blobs.get(job.uploadKey)).body, createWriteStream(zipPath));

    if (isMp4(await readHead(zipPath))) {
      const title = (job.fileName ?? 'Video').replace(/\.(mp4|m4v)$/i, '');
      return await importVideoCourse(deps, input.tenant, job, zipPath, title, (phase, done, total, bytes) =>
        progress(phase, done, total, bytes),
      );
    }
    await progress('inspecting', 0, 0, 0, true);
    const listing = await inspectArchive(zipPath, deps.limits);
    const paths = listing.entries.map((e) => e.path);
    // Detection reads the manifest too; reading it once spares a second pass over a large directory.
    const reads = new Map<string, Promise<Buffer>>();
    const read = (p: string) => {
      if (!reads.has(p)) reads.set(p, readArchiveFile(zipPath, listing, p));
      return reads.get(p)!;
    };
    const detected = await detectPackage(paths, read);
    const manifestXml = await read(detected.manifest);
    const archiveFiles = new Set(paths);
    const parsed =
      detected.kind === 'cmi5'
        ? parseCmi5Course(manifestXml, { file: detected.manifest, archiveFiles })
        : parseScormManifest(manifestXml, { file: detected.manifest, archiveFiles });
    report = parsed.report;
    if (!parsed.model || report.errors.length > 0) {
      return await finishFailed(
        deps,
        input.tenant,
        job,
        {
          code: 'VALIDATION_FAILED',
          message: `The package was refused: ${report.errors.length} error(s) in ${detected.manifest}. See the report.`,
        },
        report,
      );
    }
    const model = parsed.model;
    const launchPath = launchPathOf(model);

    const version = await reserveVersion(db, input.tenant, job.courseId);
    prefix = `${tenantKey(input.tenant, 'courses', job.courseId, `v${version}`)}/`;
    await progress('extracting', 0, listing.entries.length, 0, true);
    const extracted = await extractToStore(zipPath, listing, blobs, prefix, {
      onProgress: (files, totalFiles, bytes) => void progress('extracting', files, totalFiles, bytes),
    });

    const standard = model.standard === 'cmi5' ? 'cmi5' : model.version;
    const title =
      model.standard === 'cmi5' ? (model.course.title[0]?.value ?? 'Untitled course') : model.title;
    const finished = await recordVersion(db, input.tenant, job, {
      version,
      kind: detected.kind,
      standard,
      title,
      launchPath,
      model,
      report,
      prefix,
      files: extracted.files,
      bytes: extracted.bytes,
    });
    prefix = undefined;
    await blobs.delete(job.uploadKey).catch(() => undefined);
    onProgress?.({ phase: 'done', progress: finished.progress });
    return finished;
  } catch (err) {
    if (prefix) await blobs.deletePrefix(prefix).catch(() => undefined);
    if (isAppError(err) && err.status < 500) {
      return finishFailed(
        deps,
        input.tenant,
        job,
        { code: err.code, message: err.message, details: err.details },
        report,
      );
    }
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Ends a job as refused: keeps the report and reason, drops the upload and a course that never got a version. */
async function finishFailed(
  deps: RunImportDeps,
  tenant: string,
  job: ImportJob & { uploadKey: string },
  error: { code: string; message: string; details?: unknown },
  report: ValidationReport | undefined,
): Promise<ImportJob> {
  const done = await withTenant(deps.db, tenant, async (tx) => {
    await updateImportJob(tx, job.id, { status: 'failed', phase: 'refused', error, report: report ?? null });
    await tx.query(
      `DELETE FROM courses c WHERE c.id = $1 AND c.latest_version = 0
         AND NOT EXISTS (SELECT 1 FROM import_jobs j WHERE j.course_id = c.id AND j.status IN ('queued', 'running') AND j.id <> $2)`,
      [job.courseId, job.id],
    );
    return (await getImportJob(tx, job.id))!;
  });
  await deps.blobs.delete(job.uploadKey).catch(() => undefined);
  return done;
}

/** Reserves the course's next version number; a failed import leaves a gap, never a reused number. */
async function reserveVersion(db: Database, tenant: string, courseId: string): Promise<number> {
  const version = await withTenant(db, tenant, async (tx) => {
    const res = await tx.query<{ version: number }>(
      'UPDATE courses SET next_version = next_version + 1 WHERE id = $1 RETURNING next_version - 1 AS version',
      [courseId],
    );
    return res.rows[0]?.version;
  });
  if (version === undefined) throw new Error(`course ${courseId} disappeared during its import`);
  return version;
}

interface NewVersion {
  version: number;
  kind: string;
  standard: string;
  title: string;
  launchPath: string | null;
  model: unknown;
  report: ValidationReport;
  prefix: string;
  files: number;
  bytes: number;
}

/** Records a version, points the course at it and ends the job, in one transaction. */
async function recordVersion(
  db: Database,
  tenant: string,
  job: ImportJob,
  v: NewVersion,
): Promise<ImportJob> {
  return withTenant(db, tenant, async (tx) => {
    await tx.query(
      `INSERT INTO course_versions (course_id, version, kind, standard, title, launch_path, model, report, blob_prefix, files, bytes)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11)`,
      [
        job.courseId,
        v.version,
        v.kind,
        v.standard,
        v.title,
        v.launchPath,
        JSON.stringify(v.model),
        JSON.stringify(v.report),
        v.prefix,
        v.files,
        v.bytes,
      ],
    );
    await tx.query(
      'UPDATE courses SET title = $2, kind = $3, latest_version = greatest(latest_version, $4), updated_at = now() WHERE id = $1',
      [job.courseId, v.title, v.kind, v.version],
    );
    await updateImportJob(tx, job.id, {
      status: 'succeeded',
      phase: 'done',
      version: v.version,
      report: v.report,
      done: v.files,
      total: v.files,
      bytes: v.bytes,
    });
    return (await getImportJob(tx, job.id))!;
  });
}

/** An MP4 upload: an HLS ladder, the original as fallback, and the built-in video lesson. */
async function importVideoCourse(
  deps: RunImportDeps,
  tenant: string,
  job: ImportJob & { uploadKey: string },
  file: string,
  title: string,
  progress: (phase: string, done: number, total: number, bytes: number) => Promise<void>,
): Promise<ImportJob> {
  const version = await reserveVersion(deps.db, tenant, job.courseId);
  const prefix = `${tenantKey(tenant, 'courses', job.courseId, `v${version}`)}/`;
  const result = await importVideo({
    file,
    store: deps.blobs,
    prefix,
    title,
    onProgress: (p) =>
      void (p.phase === 'uploading'
        ? progress('uploading', p.files ?? 0, p.totalFiles ?? 0, p.bytes ?? 0)
        : progress(p.phase, Math.round(p.ratio * 1000), 1000, 0)),
  });
  try {
    const finished = await recordVersion(deps.db, tenant, job, {
      version,
      kind: 'video',
      standard: 'video',
      title,
      launchPath: result.launchPath,
      model: result.model,
      report: { errors: [], warnings: [] },
      prefix,
      files: result.files,
      bytes: result.bytes,
    });
    await deps.blobs.delete(job.uploadKey).catch(() => undefined);
    return finished;
  } catch (err) {
    await deps.blobs.deletePrefix(prefix).catch(() => undefined);
    throw err;
  }
}
