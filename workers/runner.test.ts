import test from 'ava';
import { migrateControl } from '../db/migrate.ts';
import { createPgliteDatabase } from '../db/pglite.ts';
import { createPostgresJobQueue } from '../queue/postgres.ts';
import { retryDelayMs, startWorkers } from './runner.ts';

test('handlers get every job once; a failing job is retried and then succeeds', async (t) => {
  const db = await createPgliteDatabase({ dataDir: undefined, appRole: 'crest_runner_app' });
  await migrateControl(db);
  const queue = createPostgresJobQueue(db);
  await queue.send(
    'work',
    Array.from({ length: 10 }, (_, i) => ({ tenant: 'acme', payload: { n: i } })),
  );
  await queue.send('flaky', [{ tenant: null, payload: { n: 99 } }]);
  const seen: number[] = [];
  let flakyTries = 0;
  let flakyDone: () => void;
  const flakyFinished = new Promise<void>((r) => {
    flakyDone = r;
  });
  const errors: string[] = [];
  const pool = startWorkers(
    queue,
    [
      {
        queue: 'work',
        visibilityMs: 5000,
        concurrency: 3,
        handle: async (job) => void seen.push((job.payload as { n: number }).n),
      },
      {
        queue: 'flaky',
        visibilityMs: 5000,
        concurrency: 1,
        handle: async () => {
          flakyTries++;
          if (flakyTries === 1) throw new Error('transient');
          flakyDone();
        },
      },
    ],
    { waitMs: 50, onError: (_q, _j, err) => errors.push((err as Error).message) },
  );
  await flakyFinished;
  for (let i = 0; i < 100 && seen.length < 10; i++) await new Promise((r) => setTimeout(r, 50));
  await pool.stop();
  t.deepEqual(
    [...seen].sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  t.is(flakyTries, 2);
  t.deepEqual(errors, ['transient']);
  t.deepEqual(await queue.receive('work', { max: 10, visibilityMs: 1000 }), [], 'every job was acked');
  await queue.close();
  await db.close();
});

test('retry backoff doubles and is capped', (t) => {
  t.is(retryDelayMs(1), 1000);
  t.is(retryDelayMs(2), 2000);
  t.is(retryDelayMs(4), 8000);
  t.is(retryDelayMs(50), 300_000);
});
