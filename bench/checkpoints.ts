import type pg from 'pg';
import { every } from './every.ts';

/** What the checkpointer was doing at one moment: in its idle loop, or anything else (a checkpoint). */
export interface CheckpointerSample {
  /** Epoch ms. */
  at: number;
  busy: boolean;
}

/**
 * When checkpoints began, from samples of the checkpointer (epoch ms). Between checkpoints it waits in its
 * main loop (wait event `CheckpointerMain`); a checkpoint spreads its writes over seconds, sleeping in
 * `CheckpointWriteDelay` between them, and ends with the fsyncs. A single busy sample is the checkpointer
 * absorbing fsync requests between checkpoints, so a checkpoint is two busy samples in a row or more. A
 * checkpoint already running at the first sample has no known start and is left out.
 */
export function checkpointStarts(samples: readonly CheckpointerSample[]): number[] {
  const starts: number[] = [];
  let runStart: number | undefined;
  let runLength = 0;
  let sawIdle = false;
  const close = () => {
    if (runStart !== undefined && runLength >= 2) starts.push(runStart);
  };
  for (const s of samples) {
    if (s.busy) {
      if (runLength === 0 && sawIdle) runStart = s.at;
      runLength++;
    } else {
      close();
      runStart = undefined;
      runLength = 0;
      sawIdle = true;
    }
  }
  close();
  return starts;
}

/**
 * Samples pg_stat_activity's checkpointer every `everyMs` until stopped, and returns when checkpoints began
 * (checkpointStarts). PostgreSQL logs the same with log_checkpoints, but the bench reads no server log.
 */
export function sampleCheckpoints(
  client: pg.Client,
  everyMs = 50,
  maxSeconds = 300,
): () => Promise<number[]> {
  const samples: CheckpointerSample[] = [];
  const stop = every(everyMs, maxSeconds, async () => {
    try {
      const r = await client.query<{ wait_event: string | null }>(
        `SELECT wait_event FROM pg_stat_activity WHERE backend_type = 'checkpointer'`,
      );
      if (r.rows[0]) samples.push({ at: Date.now(), busy: r.rows[0].wait_event !== 'CheckpointerMain' });
    } catch {
      // a sample lost is not worth failing the run for
    }
  });
  return async () => {
    await stop();
    return checkpointStarts(samples);
  };
}
