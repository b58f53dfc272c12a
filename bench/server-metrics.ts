import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface StallShare {
  /** Commits Crest itself took longer than 100 ms over (request read → response sent, its /metrics histogram). */
  serverOver100ms: number;
  serverCommits: number;
  /** The longest block of Crest's event loop (prom-client's lag monitor, 10 ms grain). */
  crestLagMaxMs: number;
  /** The longest block of the load generator's own event loop: requests it sends late count against Crest. */
  clientLagMaxMs: number;
}

const COMMIT_ROUTE = '/runtime/v1/sessions/:token/commits';

async function scrape(url: string): Promise<{ le100: number; count: number; lagMax: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let le100 = 0;
  let count = 0;
  let lagMax = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('crest_nodejs_eventloop_lag_max_seconds ')) lagMax = Number(line.split(' ')[1]);
    if (!line.includes(`route="${COMMIT_ROUTE}"`) || !line.includes('status="200"')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('crest_http_request_duration_seconds_bucket') && line.includes('le="0.1"'))
      le100 += value;
    if (line.startsWith('crest_http_request_duration_seconds_count')) count += value;
  }
  return { le100, count, lagMax };
}

/**
 * Where a level's slow commits were: inside Crest (its own request timing and event-loop blocks) or before
 * it (the load generator's event loop). Reading /metrics resets prom-client's lag monitor, so the second
 * reading covers the level alone.
 */
export async function stallAccount(url: string): Promise<() => Promise<StallShare>> {
  const before = await scrape(url);
  const client = monitorEventLoopDelay({ resolution: 10 });
  client.enable();
  return async () => {
    client.disable();
    const after = await scrape(url);
    const commits = after.count - before.count;
    return {
      serverOver100ms: commits - (after.le100 - before.le100),
      serverCommits: commits,
      crestLagMaxMs: after.lagMax * 1000,
      clientLagMaxMs: client.max / 1e6,
    };
  };
}

export function formatStalls(s: StallShare): string {
  const share = s.serverCommits ? (s.serverOver100ms / s.serverCommits) * 100 : 0;
  return (
    `Inside Crest, ${share.toFixed(1)}% of commits took over 100 ms; the longest event-loop block was ` +
    `${s.crestLagMaxMs.toFixed(0)} ms in Crest and ${s.clientLagMaxMs.toFixed(0)} ms in the load generator`
  );
}
