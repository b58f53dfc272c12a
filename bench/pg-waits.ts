import type pg from 'pg';
import { every } from './every.ts';

export interface WaitShare {
  /** e.g. "Lock:transactionid" or "CPU" (active, no wait event) or "idle in transaction" (waiting on Crest). */
  what: string;
  /** The statement it was in, first line, shortened. */
  query: string;
  /** Share of the sampled backend-time of the scratch database's busy sessions. */
  share: number;
}

/**
 * Samples pg_stat_activity of one database every `everyMs` while a run goes on, and returns where its
 * non-idle sessions spent their time: on CPU, waiting on a lock, on WAL fsync, or idle in transaction
 * (which is time spent in Crest between two statements of an open transaction). The sampler's own
 * session is left out. Sampling stops by itself after `maxSeconds`.
 */
export function sampleWaits(
  client: pg.Client,
  db: string,
  everyMs = 50,
  maxSeconds = 300,
): () => Promise<WaitShare[]> {
  const counts = new Map<string, { what: string; query: string; n: number }>();
  let total = 0;
  const stop = every(everyMs, maxSeconds, async () => {
    try {
      const r = await client.query<{ what: string; query: string }>(
        `SELECT CASE WHEN state = 'idle in transaction' THEN 'idle in transaction (waiting on Crest)'
                     WHEN wait_event IS NULL THEN 'CPU'
                     ELSE wait_event_type || ':' || wait_event END AS what,
                left(regexp_replace(query, '\\s+', ' ', 'g'), 70) AS query
           FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid() AND state <> 'idle' AND backend_type = 'client backend'`,
        [db],
      );
      for (const row of r.rows) {
        const key = `${row.what}|${row.query}`;
        const c = counts.get(key) ?? { what: row.what, query: row.query, n: 0 };
        c.n++;
        total++;
        counts.set(key, c);
      }
    } catch {
      // a sample lost is not worth failing the run for
    }
  });
  return async () => {
    await stop();
    return [...counts.values()]
      .sort((a, b) => b.n - a.n)
      .map((c) => ({ what: c.what, query: c.query, share: total ? c.n / total : 0 }));
  };
}

/** The top entries as a markdown list, grouped by what the sessions waited on. */
export function formatWaits(waits: WaitShare[], top = 6): string {
  const byWhat = new Map<string, number>();
  for (const w of waits) byWhat.set(w.what, (byWhat.get(w.what) ?? 0) + w.share);
  const summary = [...byWhat]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([what, share]) => `${what} ${(share * 100).toFixed(0)}%`)
    .join(' · ');
  const detail = waits
    .slice(0, top)
    .map((w) => `  - ${(w.share * 100).toFixed(0)}% ${w.what} — \`${w.query.replace(/`/g, "'")}\``)
    .join('\n');
  return `${summary}\n${detail}`;
}

/** What the wait events say, in a sentence or two. */
export function waitVerdict(waits: WaitShare[]): string {
  const share = (test: (w: WaitShare) => boolean) => waits.filter(test).reduce((a, w) => a + w.share, 0);
  const pc = (x: number) => `${(x * 100).toFixed(0)}%`;
  const out: string[] = [];
  const lock = share((w) => w.what.startsWith('Lock:'));
  if (lock > 0.1) {
    const top = waits.find((w) => w.what.startsWith('Lock:'))!;
    out.push(
      `${pc(lock)} of the sampled session time was spent waiting on locks, most of it (${pc(top.share)}) on ${top.what} in \`${top.query}…\`: concurrent transactions serialise on the same rows there, and hold the lock until COMMIT.`,
    );
  }
  const idle = share((w) => w.what.startsWith('idle in transaction'));
  if (idle > 0.3)
    out.push(
      `${pc(idle)} was "idle in transaction": an open transaction waiting for Crest to send its next statement (one round trip per statement of the commit, and Crest's event loop busy with other requests in between).`,
    );
  const wal = share((w) => w.what.startsWith('IO:WAL') || w.what.startsWith('LWLock:WAL'));
  if (wal > 0.1) out.push(`${pc(wal)} was WAL writing and fsync at COMMIT.`);
  const cpu = share((w) => w.what === 'CPU');
  if (cpu > 0.4) out.push(`${pc(cpu)} was executing SQL (CPU).`);
  return out.join(' ') || 'No single wait dominated.';
}
