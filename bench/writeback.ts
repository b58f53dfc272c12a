import { readFile } from 'node:fs/promises';
import { every } from './every.ts';

export interface WritebackSample {
  /** Epoch ms. */
  at: number;
  /** The kernel's dirty page cache (/proc/meminfo Dirty), KiB: written by processes, not yet on disk. */
  dirtyKiB: number;
}

/**
 * Samples the kernel's dirty page cache every `everyMs` until stopped (or for `maxSeconds`). On Linux a sudden
 * drop is write-back: PostgreSQL's checkpoint fsyncing the data files its backends wrote into the page cache
 * flushes it at once, and a WAL fdatasync queued behind that flush waits for it. Elsewhere (no /proc/meminfo) it
 * returns nothing.
 */
export function sampleWriteback(everyMs = 100, maxSeconds = 1800): () => Promise<WritebackSample[]> {
  const samples: WritebackSample[] = [];
  let unavailable = false;
  const stop = every(everyMs, maxSeconds, async () => {
    if (unavailable) return;
    try {
      const m = /^Dirty:\s+(\d+) kB/m.exec(await readFile('/proc/meminfo', 'utf8'));
      if (m) samples.push({ at: Date.now(), dirtyKiB: Number(m[1]) });
    } catch {
      unavailable = true;
    }
  });
  return async () => {
    await stop();
    return samples;
  };
}
