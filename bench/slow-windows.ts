import type { WritebackSample } from './writeback.ts';

export interface Timeline {
  /** Epoch ms each request was due (paced-load.ts times it from then). */
  dueAt: number[];
  /** Its latency, ms. */
  ms: number[];
}

export interface SlowWindow {
  /** Start of the window, ms after the level's first request was due. */
  startMs: number;
  slow: number;
  maxMs: number;
  /** Dirty page cache written back around the window (the drop from the highest reading in the half second
   * before it to the lowest in the half second after its start), MiB; 0 when none was sampled. */
  flushedMiB: number;
  /** How long before the window's start the latest checkpoint began, ms, when one began within
   * CHECKPOINT_WAKE_MS before it (or inside it: 0); undefined otherwise or when none was sampled. */
  afterCheckpointMs?: number;
}

/**
 * How long after a checkpoint begins a stall is put down to it. The first change to each page after a checkpoint
 * begins writes the whole page to the WAL; at a commit peak nearly every page a commit touches is such a page for
 * the first seconds, and the WAL (and its fdatasync) swells until most have been written once.
 */
export const CHECKPOINT_WAKE_MS = 3000;

export interface SlowWindows {
  thresholdMs: number;
  windowMs: number;
  /** Requests over thresholdMs in the whole level. */
  slow: number;
  /** Windows holding at least one of them, the most crowded first. */
  windows: SlowWindow[];
}

/**
 * Where in a level its slow requests were: spread evenly (the server is short of capacity all the time) or
 * bunched in a few windows (something stalled it for a while). Each window is set beside the kernel's
 * write-back at that moment, the usual stall on a machine whose WAL and data share one disk, and beside the
 * latest checkpoint's start (`checkpointStarts`, epoch ms, from bench/checkpoints.ts).
 */
export function slowWindows(
  timeline: Timeline,
  writeback: readonly WritebackSample[],
  thresholdMs = 100,
  windowMs = 250,
  checkpointStarts: readonly number[] = [],
): SlowWindows {
  const start = timeline.dueAt.length ? Math.min(...timeline.dueAt) : 0;
  const byWindow = new Map<number, { slow: number; maxMs: number }>();
  let slow = 0;
  for (const [i, due] of timeline.dueAt.entries()) {
    const ms = timeline.ms[i]!;
    if (ms <= thresholdMs) continue;
    slow++;
    const k = Math.floor((due - start) / windowMs);
    const w = byWindow.get(k) ?? { slow: 0, maxMs: 0 };
    w.slow++;
    w.maxMs = Math.max(w.maxMs, ms);
    byWindow.set(k, w);
  }
  const flushed = (from: number): number => {
    const before = writeback.filter((s) => s.at >= from - 500 && s.at < from).map((s) => s.dirtyKiB);
    const after = writeback.filter((s) => s.at >= from && s.at < from + 500).map((s) => s.dirtyKiB);
    if (!before.length || !after.length) return 0;
    return Math.max(0, Math.max(...before) - Math.min(...after)) / 1024;
  };
  const afterCheckpoint = (from: number): number | undefined => {
    const began = checkpointStarts.filter((c) => c < from + windowMs && c >= from - CHECKPOINT_WAKE_MS);
    return began.length ? Math.max(0, from - Math.max(...began)) : undefined;
  };
  const windows = [...byWindow]
    .map(([k, w]) => {
      const from = start + k * windowMs;
      return {
        startMs: k * windowMs,
        ...w,
        flushedMiB: flushed(from),
        afterCheckpointMs: afterCheckpoint(from),
      };
    })
    .sort((a, b) => b.slow - a.slow || a.startMs - b.startMs);
  return { thresholdMs, windowMs, slow, windows };
}

/**
 * A sentence for RESULTS.md: how bunched the slow requests were, what the kernel flushed meanwhile, and how soon
 * after a checkpoint began.
 */
export function formatSlowWindows(s: SlowWindows, levelMs: number): string {
  if (s.slow === 0) return `No commit took over ${s.thresholdMs} ms`;
  const all = Math.ceil(levelMs / s.windowMs);
  const top = s.windows.slice(0, 3);
  const inTop = top.reduce((a, w) => a + w.slow, 0);
  const flushing = s.windows.filter((w) => w.flushedMiB >= 100);
  const share = (n: number) => `${Math.round((n / s.slow) * 100)}%`;
  const afterCheckpoint = s.windows.filter((w) => w.afterCheckpointMs !== undefined);
  const when = top
    .map((w) => {
      const notes = [
        w.flushedMiB >= 1 ? `${Math.round(w.flushedMiB)} MiB written back` : '',
        w.afterCheckpointMs !== undefined
          ? `${(w.afterCheckpointMs / 1000).toFixed(1)} s after a checkpoint began`
          : '',
      ].filter(Boolean);
      return `${(w.startMs / 1000).toFixed(2)} s${notes.length ? ` (${notes.join('; ')})` : ''}`;
    })
    .join(', ');
  return (
    `The ${s.slow.toLocaleString('en')} commits over ${s.thresholdMs} ms fell in ${s.windows.length} of the level's ` +
    `${all} windows of ${s.windowMs} ms; ${share(inTop)} in the ${top.length === 1 ? 'one' : `${top.length} worst`} at ${when}` +
    (flushing.length
      ? `; ${share(flushing.reduce((a, w) => a + w.slow, 0))} in windows where the kernel wrote back ≥ 100 MiB of dirty page cache`
      : '') +
    (afterCheckpoint.length
      ? `; ${share(afterCheckpoint.reduce((a, w) => a + w.slow, 0))} within ${CHECKPOINT_WAKE_MS / 1000} s after a checkpoint began`
      : '')
  );
}
