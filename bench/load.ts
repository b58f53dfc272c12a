import autocannon from 'autocannon';
import type { Timeline } from './slow-windows.ts';

export interface LoadOptions {
  label: string;
  url: string;
  connections: number;
  /** Run for this many seconds (requests in flight at the end are abandoned)… */
  durationS?: number;
  /** …or send exactly this many requests; every one gets its response, so counts are exact. */
  amount?: number;
  /** An open-loop target: at most this many requests per second across all connections. */
  overallRate?: number;
  /** A hard stop whatever happens (autocannon's `stop()`). */
  maxSeconds: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  requests?: autocannon.Request[];
  log: (line: string) => void;
}

export interface LoadSummary {
  label: string;
  connections: number;
  /** From the first request to the last response. */
  seconds: number;
  responses: number;
  rps: number;
  /** Latency in ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  hardStopped: boolean;
  /** Each response's due time and latency (paced-load.ts only). */
  timeline?: Timeline;
}

/** One autocannon run with a progress line every 5 s and a summary measured by wall clock. */
export function runLoad(o: LoadOptions): Promise<LoadSummary> {
  return new Promise((resolve, reject) => {
    let responses = 0;
    let first = 0;
    let last = 0;
    let hardStopped = false;
    const instance = autocannon(
      {
        url: o.url,
        connections: o.connections,
        ...(o.amount !== undefined ? { amount: o.amount } : { duration: o.durationS ?? 10 }),
        ...(o.overallRate !== undefined ? { overallRate: o.overallRate } : {}),
        method: o.method ?? 'GET',
        headers: o.headers,
        requests: o.requests,
        timeout: 10,
      },
      (err, result) => {
        clearInterval(progress);
        clearTimeout(hardStop);
        if (err) return reject(err);
        const seconds = Math.max(0.001, (last - first) / 1000);
        const statusCodes: Record<string, number> = {};
        for (const [code, v] of Object.entries(result.statusCodeStats ?? {}))
          statusCodes[code] = v?.count ?? 0;
        resolve({
          label: o.label,
          connections: o.connections,
          seconds,
          responses,
          rps: responses / seconds,
          p50: result.latency.p50,
          p90: result.latency.p90,
          p99: result.latency.p99,
          max: result.latency.max,
          mean: result.latency.mean,
          ok: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
          hardStopped,
        });
      },
    );
    instance.on('start', () => {
      first = Date.now();
    });
    instance.on('response', () => {
      responses++;
      last = Date.now();
    });
    const progress = setInterval(() => {
      const s = (Date.now() - first) / 1000;
      o.log(`  ${o.label}: ${s.toFixed(0)} s, ${responses.toLocaleString('en')} responses`);
    }, 5000);
    const hardStop = setTimeout(() => {
      hardStopped = true;
      o.log(`  ${o.label}: hard stop after ${o.maxSeconds} s`);
      instance.stop();
    }, o.maxSeconds * 1000);
  });
}
