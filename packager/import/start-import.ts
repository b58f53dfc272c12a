import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { AppError } from '../../core/errors.ts';
import type { Database } from '../../db/database.ts';
import { withTenant } from '../../db/with-tenant.ts';
import { enqueueInTx } from '../../queue/outbox.ts';
import { type BlobStore, tenantKey } from '../../storage/blob-store.ts';
import { getImportJob, type ImportJob } from './import-job.ts';

export const IMPORT_QUEUE = 'course-import';

export interface StartImportInput {
  tenant: string;
  /** Upload a new version of this course; absent for a new course. */
  courseId?: string;
  fileName: string | null;
  upload: Readable;
  /** Largest upload accepted, in bytes. */
  maxBytes: number;
  /** Queue the job for a worker (the server), or leave it for the caller to run now (the CLI). */
  enqueue: boolean;
}

/** Counts bytes and fails the stream as soon as an upload passes its limit. */
function limitBytes(maxBytes: number): Transform & { bytes: number } {
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      t.bytes += chunk.length;
      if (t.bytes > maxBytes) {
        done(
          new AppError('PAYLOAD_TOO_LARGE', `The upload exceeds ${maxBytes} bytes (CREST_UPLOAD_LIMIT).`, {
            limit: maxBytes,
          }),
        );
        return;
      }
      done(null, chunk);
    },
  }) as Transform & { bytes: number };
  t.bytes = 0;
  return t;
}

/**
 * Accepts an upload: streams it to the BlobStore (never buffering it), then registers the course (when
 * new) and a queued import job in one transaction, with the queue job in the same transaction's outbox.
 * The caller answers 202 with the job; the import itself runs in `runImport`.
 */
export async function startImport(
  deps: { db: Database; blobs: BlobStore },
  input: StartImportInput,
): Promise<ImportJob> {
  const jobId = randomUUID();
  const courseId = input.courseId ?? randomUUID();
  if (input.courseId) {
    const exists = await withTenant(deps.db, input.tenant, (tx) =>
      tx.query('SELECT 1 FROM courses WHERE id = $1', [input.courseId]),
    );
    if (exists.rows.length === 0) throw new AppError('NOT_FOUND', `No course ${input.courseId}.`);
  }
  const uploadKey = tenantKey(input.tenant, 'uploads', `${jobId}.zip`);
  const counter = limitBytes(input.maxBytes);
  try {
    await deps.blobs.put(uploadKey, input.upload.pipe(counter), { contentType: 'application/zip' });
  } catch (err) {
    input.upload.destroy();
    await deps.blobs.delete(uploadKey).catch(() => undefined);
    throw counter.errored ?? err;
  }
  if (counter.bytes === 0) {
    await deps.blobs.delete(uploadKey);
    throw new AppError('BAD_REQUEST', 'The upload is empty: send a .zip package (or an .mp4 video).');
  }
  try {
    return await withTenant(deps.db, input.tenant, async (tx) => {
      if (!input.courseId) {
        await tx.query('INSERT INTO courses (id, title) VALUES ($1, $2)', [
          courseId,
          input.fileName ?? 'Untitled course',
        ]);
      }
      await tx.query(
        `INSERT INTO import_jobs (id, course_id, status, upload_key, file_name, bytes) VALUES ($1, $2, 'queued', $3, $4, $5)`,
        [jobId, courseId, uploadKey, input.fileName, counter.bytes],
      );
      if (input.enqueue) await enqueueInTx(tx, IMPORT_QUEUE, { tenant: input.tenant, jobId }, jobId);
      return (await getImportJob(tx, jobId))!;
    });
  } catch (err) {
    await deps.blobs.delete(uploadKey).catch(() => undefined);
    throw err;
  }
}
