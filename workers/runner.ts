import type { Job, JobQueue } from '../queue/job-queue.ts';

export interface JobHandler<P = unknown> {
  queue: string;
  /** How long a job stays invisible to other workers while this one runs it. */
  visibilityMs: number;
  /** Jobs of this queue run at once in this process. */
  concurrency: number;
  /** Must be idempotent: delivery is at-least-once. */
  handle(job: Job<P>): Promise<void>;
}

export interface WorkerPool {
  stop(): Promise<void>;
}

export interface RunnerOptions {
  /** How long one receive call waits for a job before looping. */
  waitMs?: number;
  onError?(queue: string, job: Job | undefined, err: unknown): void;
}

/** Backoff before the next delivery of a failed job: 1 s, 2 s, 4 s … capped at 5 minutes. */
export function retryDelayMs(attempt: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attempt - 1), 300_000);
}

/**
 * Consumes queues with the given handlers. A job that throws is retried with backoff; the queue
 * adapter moves it to the dead letters after its attempt limit. `stop()` stops receiving and waits
 * for the jobs in hand to finish (their ack or retry included).
 */
export function startWorkers(
  queue: JobQueue,
  handlers: JobHandler[],
  options: RunnerOptions = {},
): WorkerPool {
  let stopping = false;
  const inFlight = new Set<Promise<void>>();
  const loops: Promise<void>[] = [];
  const onError =
    options.onError ??
    ((q: string, job: Job | undefined, err: unknown) =>
      console.error(`worker ${q}${job ? ` job ${job.id} (attempt ${job.attempt})` : ''} failed:`, err));

  async function run(handler: JobHandler, job: Job): Promise<void> {
    try {
      await handler.handle(job);
      await queue.ack(job);
    } catch (err) {
      onError(handler.queue, job, err);
      await queue
        .retry(job, { delayMs: retryDelayMs(job.attempt), error: (err as Error).message ?? String(err) })
        .catch((e) => onError(handler.queue, job, e));
    }
  }

  async function loop(handler: JobHandler): Promise<void> {
    const running = new Set<Promise<void>>();
    while (!stopping) {
      const free = handler.concurrency - running.size;
      if (free <= 0) {
        await Promise.race(running);
        continue;
      }
      let jobs: Job[] = [];
      try {
        jobs = await queue.receive(handler.queue, {
          max: free,
          visibilityMs: handler.visibilityMs,
          waitMs: options.waitMs ?? 500,
        });
      } catch (err) {
        onError(handler.queue, undefined, err);
        await new Promise((r) => setTimeout(r, 1000));
      }
      for (const job of jobs) {
        const p = run(handler, job).finally(() => {
          running.delete(p);
          inFlight.delete(p);
        });
        running.add(p);
        inFlight.add(p);
      }
    }
  }

  for (const h of handlers) loops.push(loop(h));
  return {
    async stop() {
      stopping = true;
      await Promise.all(loops);
      await Promise.all(inFlight);
    },
  };
}
