export interface LaneBatcherOptions<I, R> {
  /** Batches of one lane run at once: 1 for a single-session database, a few on PostgreSQL. */
  concurrency: number;
  /** The most weight one batch takes; a batch always takes at least one input. */
  maxWeight: number;
  /**
   * While another batch of the lane is in flight, a free slot waits up to this long for more inputs before it
   * starts a batch (it starts at once when the lane goes idle or the queue reaches maxWeight). Fewer, larger
   * transactions cost the database less per input; an idle lane still adds no latency. Default 0.
   */
  lingerMs?: number;
  /** An input's weight (default 1), e.g. its statement count. */
  weight?: (input: I) => number;
  /**
   * Runs one batch (one transaction) and gives each input its outcome in order; an Error outcome fails
   * that input alone. If it throws, the batch failed as a whole: each input is then run again alone, so
   * one bad input cannot fail its neighbours.
   */
  run: (lane: string, inputs: I[]) => Promise<(R | Error)[]>;
}

export interface LaneBatcher<I, R> {
  /** Resolves with the input's outcome once the batch that carried it has finished. */
  submit(lane: string, input: I): Promise<R>;
}

interface Pending<I, R> {
  input: I;
  resolve(result: R): void;
  reject(err: unknown): void;
}

interface Lane<I, R> {
  queue: Pending<I, R>[];
  /** The queue's total weight. */
  queued: number;
  running: number;
  linger?: NodeJS.Timeout;
}

/**
 * Group commit's scheduling, shared by the LRS's statement writer and the runtime's CMI writer: inputs of
 * one lane (a tenant) that arrive while its batches are running are coalesced into the next batch. There is
 * no timer: an input that finds a free slot runs on the next tick, with whatever arrived in the same tick,
 * so an idle system adds no latency and a busy one batches more.
 */
export function createLaneBatcher<I, R>(options: LaneBatcherOptions<I, R>): LaneBatcher<I, R> {
  const lanes = new Map<string, Lane<I, R>>();
  const weight = options.weight ?? (() => 1);

  function take(lane: Lane<I, R>): Pending<I, R>[] {
    const batch: Pending<I, R>[] = [];
    let total = 0;
    while (lane.queue.length > 0) {
      const w = weight(lane.queue[0]!.input);
      if (batch.length > 0 && total + w > options.maxWeight) break;
      batch.push(lane.queue.shift()!);
      total += w;
      lane.queued -= w;
    }
    return batch;
  }

  async function runBatch(name: string, batch: Pending<I, R>[]): Promise<void> {
    const outcomes = await options.run(
      name,
      batch.map((p) => p.input),
    );
    for (const [i, p] of batch.entries()) {
      const outcome = outcomes[i];
      if (outcome instanceof Error) p.reject(outcome);
      else p.resolve(outcome as R);
    }
  }

  async function flush(name: string, lane: Lane<I, R>): Promise<void> {
    const batch = take(lane);
    if (batch.length === 0) return;
    try {
      await runBatch(name, batch);
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      for (const p of batch) {
        try {
          await runBatch(name, [p]);
        } catch (alone) {
          p.reject(alone);
        }
      }
    }
  }

  function schedule(name: string, lane: Lane<I, R>, lingered = false): void {
    if (lane.running >= options.concurrency || lane.queue.length === 0) return;
    const linger = options.lingerMs ?? 0;
    if (!lingered && linger > 0 && lane.running > 0 && lane.queued < options.maxWeight) {
      lane.linger ??= setTimeout(() => {
        lane.linger = undefined;
        schedule(name, lane, true);
      }, linger);
      return;
    }
    if (lane.linger) {
      clearTimeout(lane.linger);
      lane.linger = undefined;
    }
    lane.running++;
    setImmediate(async () => {
      try {
        await flush(name, lane);
      } finally {
        lane.running--;
        if (lane.queue.length > 0) schedule(name, lane);
        else if (lane.running === 0) lanes.delete(name);
      }
    });
  }

  return {
    submit(name, input) {
      return new Promise((resolve, reject) => {
        let lane = lanes.get(name);
        if (!lane) {
          lane = { queue: [], queued: 0, running: 0 };
          lanes.set(name, lane);
        }
        lane.queue.push({ input, resolve, reject });
        lane.queued += weight(input);
        schedule(name, lane);
      });
    },
  };
}
