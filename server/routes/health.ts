import type { FastifyInstance } from 'fastify';
import type { Database } from '../../db/database.ts';
import type { JobQueue } from '../../queue/job-queue.ts';
import type { BlobStore } from '../../storage/blob-store.ts';

const CHECK_TIMEOUT_MS = 3000;

async function check(fn: () => Promise<void>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

/** /healthz: the process is alive. /readyz: it can reach every part it needs to serve. */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { db: Database; blobs: BlobStore; queue: JobQueue },
) {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const [database, storage, queue] = await Promise.all([
      check(() => deps.db.ping()),
      check(() => deps.blobs.ping()),
      check(() => deps.queue.ping()),
    ]);
    const checks = { database, storage, queue };
    const ready = Object.values(checks).every((v) => v === 'ok');
    reply.status(ready ? 200 : 503);
    return { status: ready ? 'ok' : 'unavailable', checks };
  });
}
