import { appendFileSync } from 'node:fs';
import net from 'node:net';
import type { LoadSummary } from './load.ts';

export interface PacedRequest {
  path: string;
  body: string;
  /** Called with the status once the whole response has arrived. */
  onResponse?: (status: number) => void;
}

export interface PacedLoadOptions {
  label: string;
  /** http://host:port */
  url: string;
  /** Arrivals per second, on average. */
  rate: number;
  /** Arrivals for this many seconds… */
  durationS?: number;
  /** …or exactly this many arrivals; every one gets its response either way. */
  amount?: number;
  /** Keep-alive connections; an arrival that finds them all busy waits for one, and that wait counts. */
  connections: number;
  headers: Record<string, string>;
  /** The next request to send (called when a connection takes it). */
  next: () => PacedRequest;
  /** A deterministic source of [0, 1) numbers for the arrival times. */
  random: () => number;
  log: (line: string) => void;
}

interface Conn {
  socket: net.Socket;
  buffer: Buffer;
  pending?: { dueAt: number; request: PacedRequest };
}

/**
 * An open-loop load generator with Poisson arrivals: many independent learners, each committing now and then,
 * arrive at exponentially distributed intervals, not in step. Each request is timed from the moment it was due,
 * not from when a connection took it, so a stalled server or a busy generator shows as latency (no coordinated
 * omission). It replaces autocannon's `overallRate` for fixed-rate scenarios: autocannon gives every connection
 * a per-second quota that a one-second interval resets (lib/httpClient.js, `reqsMadeThisSecond`), so a level's
 * whole second of requests leaves in one burst at each second's start; and its coordinated-omission correction
 * (lib/run.js, `recordValueWithExpectedInterval(responseTime, Math.ceil(1 / rate))`) takes 1/rate seconds as a
 * 1 ms interval, adding a synthetic sample for every millisecond of every response.
 *
 * Like autocannon it speaks HTTP/1.1 on raw keep-alive sockets, one request in flight on each, and reads only
 * what it needs of a response (status and Content-Length), so the generator costs the shared CPU little.
 */
export function runPacedLoad(o: PacedLoadOptions): Promise<LoadSummary> {
  const base = new URL(o.url);
  const head = Object.entries({ host: base.host, connection: 'keep-alive', ...o.headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const latencies: number[] = [];
  // When each answered request was due, epoch ms, beside its latency: bench/slow-windows.ts reads the pair.
  const dueAt: number[] = [];
  // BENCH_TRACE=file appends one line per response (label, when it was due as epoch ms, latency ms), to see
  // when in a level the slow ones came, beside other per-second readings.
  const tracePath = process.env.BENCH_TRACE;
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  let sent = 0;
  let done = 0;
  const total = o.amount ?? Math.round(o.rate * (o.durationS ?? 10));
  // Set when the connections are up: opening hundreds of sockets at once is not what is measured.
  let start = 0;
  let due = 0;
  let lastResponse = 0;
  const waiting: number[] = [];
  const idle: Conn[] = [];
  const conns: Conn[] = [];

  return new Promise((resolve) => {
    const finish = () => {
      if (tracePath)
        appendFileSync(
          tracePath,
          dueAt.map((d, i) => `${o.label}\t${d.toFixed(1)}\t${latencies[i]!.toFixed(1)}\n`).join(''),
        );
      if (progress) clearInterval(progress);
      for (const c of conns) c.socket.destroy();
      const sorted = Float64Array.from(latencies).sort();
      const at = (q: number) =>
        sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : 0;
      const seconds = Math.max(0.001, (lastResponse - start) / 1000);
      const ok = Object.entries(statusCodes)
        .filter(([c]) => c.startsWith('2'))
        .reduce((a, [, n]) => a + n, 0);
      resolve({
        label: o.label,
        connections: o.connections,
        seconds,
        responses: latencies.length,
        rps: latencies.length / seconds,
        p50: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        max: sorted.length ? sorted[sorted.length - 1]! : 0,
        mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
        ok,
        non2xx: latencies.length - ok,
        errors,
        timeouts: 0,
        statusCodes,
        hardStopped: false,
        timeline: { dueAt, ms: latencies },
      });
    };
    const settle = (c: Conn) => {
      c.pending = undefined;
      done++;
      if (done === total) return finish();
      const dueAt = waiting.shift();
      if (dueAt === undefined) idle.push(c);
      else send(c, dueAt);
    };
    const send = (c: Conn, dueAt: number) => {
      const request = o.next();
      const body = Buffer.from(request.body);
      c.pending = { dueAt, request };
      // One write, so a request is one segment as a browser's would be.
      c.socket.write(
        Buffer.concat([
          Buffer.from(`POST ${request.path} HTTP/1.1\r\n${head}content-length: ${body.length}\r\n\r\n`),
          body,
        ]),
      );
    };
    // A response is complete when its headers and Content-Length bytes of body are in (the server under test
    // always sends Content-Length).
    const onData = (c: Conn, chunk: Buffer) => {
      c.buffer = c.buffer.length ? Buffer.concat([c.buffer, chunk]) : chunk;
      for (;;) {
        const end = c.buffer.indexOf('\r\n\r\n');
        if (end < 0 || !c.pending) return;
        const headText = c.buffer.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(headText)?.[1] ?? 0);
        if (c.buffer.length < end + 4 + length) return;
        c.buffer = c.buffer.subarray(end + 4 + length);
        const status = Number(headText.slice(9, 12));
        lastResponse = performance.now();
        latencies.push(lastResponse - c.pending.dueAt);
        dueAt.push(performance.timeOrigin + c.pending.dueAt);
        statusCodes[status] = (statusCodes[status] ?? 0) + 1;
        c.pending.request.onResponse?.(status);
        settle(c);
      }
    };
    const connected: Promise<void>[] = [];
    for (let i = 0; i < o.connections; i++) {
      const c: Conn = { socket: net.connect(Number(base.port), base.hostname), buffer: Buffer.alloc(0) };
      connected.push(
        new Promise((resolve) => {
          c.socket.once('connect', () => resolve());
          c.socket.once('error', () => resolve());
        }),
      );
      c.socket.setNoDelay(true);
      c.socket.on('data', (chunk) => onData(c, chunk));
      c.socket.on('error', () => {
        if (c.pending) {
          errors++;
          settle(c);
        }
      });
      conns.push(c);
      idle.push(c);
    }
    // Sends everything due by now, then sleeps until the next arrival (timers have ~1 ms grain; an arrival
    // sent late is still timed from when it was due).
    const tick = () => {
      const now = performance.now();
      while (sent < total && due <= now) {
        const c = idle.pop();
        if (c) send(c, due);
        else waiting.push(due);
        sent++;
        due += (-Math.log(1 - o.random()) / o.rate) * 1000;
      }
      if (sent < total) setTimeout(tick, Math.max(0, due - performance.now()));
    };
    let progress: NodeJS.Timeout | undefined;
    void Promise.all(connected).then(() => {
      start = performance.now();
      due = start;
      lastResponse = start;
      progress = setInterval(() => {
        const s = (performance.now() - start) / 1000;
        o.log(`  ${o.label}: ${s.toFixed(0)} s, ${done.toLocaleString('en')} responses`);
      }, 5000);
      tick();
    });
  });
}
