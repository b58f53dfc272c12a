import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../core/config.ts';
import { AppError } from '../core/errors.ts';
import { migrateTenant } from '../db/migrate.ts';
import type { ImportJob } from '../packager/import/import-job.ts';
import { runImport } from '../packager/import/run-import.ts';
import { startImport } from '../packager/import/start-import.ts';
import { readAdminToken } from './admin-token.ts';
import { withCliTarget } from './cli-context.ts';
import { startProgress } from './progress.ts';

const PHASES: Record<string, string> = {
  queued: 'waiting for a worker',
  downloading: 'reading the upload',
  inspecting: 'checking the archive',
  extracting: 'unpacking',
  done: 'done',
};

/**
 * `crest import FILE --tenant T`: the same import the upload API runs, with a progress bar. Offline it
 * runs here; when a server holds the embedded data folder it uploads to that server and follows the job.
 */
export async function importCommand(config: Config, file: string, tenant: string): Promise<ImportJob> {
  const size = await stat(file).then(
    (s) => s.size,
    () => {
      throw new AppError('NOT_FOUND', `No such file: ${file}`);
    },
  );
  const fileName = path.basename(file);
  let bar: ReturnType<typeof startProgress> | undefined;
  let barPhase = '';
  const show = (phase: string, files: number, total: number) => {
    if (phase !== barPhase) {
      bar?.stop();
      barPhase = phase;
      bar = startProgress(`${fileName}: ${PHASES[phase] ?? phase}`, Math.max(total, 1));
    }
    bar?.update(total === 0 ? 0 : files);
  };
  try {
    return await withCliTarget(config, async (target) => {
      if (target.mode === 'remote') {
        const token = readAdminToken(config.dataDir, config.adminToken)!;
        const headers = { authorization: `Bearer ${token}` };
        const res = await fetch(
          new URL(`/admin/v1/tenants/${encodeURIComponent(tenant)}/courses`, target.url),
          {
            method: 'POST',
            headers: {
              ...headers,
              'content-type': 'application/zip',
              'x-file-name': encodeURIComponent(fileName),
              'content-length': String(size),
            },
            body: createReadStream(file) as unknown as BodyInit,
            duplex: 'half',
          } as RequestInit,
        );
        const body = (await res.json()) as ImportJob & { error?: { code: string; message: string } };
        if (res.status !== 202)
          throw new AppError(
            (body.error?.code as 'BAD_REQUEST') ?? 'INTERNAL',
            body.error?.message ?? `HTTP ${res.status}`,
          );
        for (;;) {
          const poll = await fetch(
            new URL(`/admin/v1/tenants/${encodeURIComponent(tenant)}/imports/${body.id}`, target.url),
            { headers },
          );
          const job = (await poll.json()) as ImportJob;
          show(job.phase, job.progress.files, job.progress.totalFiles);
          if (job.status === 'succeeded' || job.status === 'failed') return job;
          await new Promise((r) => setTimeout(r, 300));
        }
      }
      const { db, blobs } = target.adapters;
      const exists = await db.ownerTransaction((tx) =>
        tx.query('SELECT 1 FROM crest.tenants WHERE name = $1', [tenant]),
      );
      if (exists.rows.length === 0) {
        throw new AppError(
          'TENANT_NOT_FOUND',
          `No tenant named "${tenant}". Create it with "crest tenant create ${tenant}".`,
        );
      }
      await migrateTenant(db, tenant);
      const job = await startImport(
        { db, blobs },
        { tenant, fileName, upload: createReadStream(file), maxBytes: config.uploadLimit, enqueue: false },
      );
      return runImport({ db, blobs }, { tenant, jobId: job.id }, (p) =>
        show(p.phase, p.progress.files, p.progress.totalFiles),
      );
    });
  } finally {
    bar?.stop();
  }
}
