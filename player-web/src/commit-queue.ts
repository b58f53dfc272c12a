import type { CommitAnswer, CommitBody } from './contract.ts';

/*
 * Every commit is written to localStorage before anything is sent, and removed only when the runtime
 * acknowledges it (API.md: 200 after the commit is durable). So a commit survives a dead network, a
 * crashed tab and a closed laptop: the next launch of this player on this origin sends it.
 *
 * Each commit carries the whole CMI tree, so a newer commit for the same (attempt, SCO) replaces an unsent
 * older one, unless the older one ended a session (terminated), which the runtime must still see.
 */

export type SaveState = 'idle' | 'saving' | 'saved' | 'retrying' | 'error';

export interface Entry {
  url: string;
  body: CommitBody;
  /** Enqueue order, across reloads. */
  order: number;
}

export interface QueueDeps {
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem' | 'key' | 'length'> | null;
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  beacon?: (url: string, body: string) => boolean;
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  onState?: (state: SaveState, detail?: string) => void;
  onAnswer?: (body: CommitBody, answer: CommitAnswer) => void;
  onRejected?: (body: CommitBody, status: number, error: string) => void;
}

const PREFIX = 'crest-commits:';
const BEACON_LIMIT = 60_000; // sendBeacon and keepalive fetch share a 64 KiB in-flight budget.

/** Exponential backoff, 0.5 s doubling to 30 s, with "equal jitter" (half fixed, half random). */
export function backoffDelay(failures: number, random: () => number = Math.random): number {
  const cap = Math.min(30_000, 500 * 2 ** Math.max(0, failures - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

export class CommitQueue {
  private entries: Entry[] = [];
  private order = 0;
  private sending = false;
  private failures = 0;
  private timer: unknown;
  /** A refusal stays on the shell until a later commit is acknowledged. */
  private refused: string | undefined;
  private readonly d: Required<Omit<QueueDeps, 'storage' | 'beacon'>> & Pick<QueueDeps, 'storage' | 'beacon'>;

  constructor(deps: QueueDeps) {
    this.d = {
      random: Math.random,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      onState: () => {},
      onAnswer: () => {},
      onRejected: () => {},
      ...deps,
    };
    this.restore();
  }

  get pending(): readonly Entry[] {
    return this.entries;
  }

  /** The highest seq queued for (attempt, sco), or 0. */
  highestSeq(attemptId: string, sco: string): number {
    let max = 0;
    for (const e of this.entries)
      if (e.body.attemptId === attemptId && e.body.sco === sco) max = Math.max(max, e.body.seq);
    return max;
  }

  /** The newest queued CMI for (attempt, sco): newer than the runtime's copy until acknowledged. */
  latest(attemptId: string, sco: string): CommitBody | undefined {
    let best: CommitBody | undefined;
    for (const e of this.entries)
      if (e.body.attemptId === attemptId && e.body.sco === sco && (!best || e.body.seq > best.seq))
        best = e.body;
    return best;
  }

  /** Synchronous: the commit is in localStorage (when there is one) before this returns. */
  add(url: string, body: CommitBody): void {
    this.entries = this.entries.filter(
      (e) => !(e.body.attemptId === body.attemptId && e.body.sco === body.sco && !e.body.terminated),
    );
    this.entries.push({ url, body, order: ++this.order });
    this.persist(body.attemptId, body.sco);
    this.d.onState('saving');
    void this.pump();
  }

  /**
   * Sends what is unacknowledged by navigator.sendBeacon (text/plain, which needs no CORS preflight and
   * outlives the page). Entries stay queued: there is no answer to a beacon, and the runtime treats a
   * repeat of the same seq and content as an idempotent 200, so resending later is safe.
   */
  beaconAll(filter: (e: Entry) => boolean = () => true): void {
    if (!this.d.beacon) return;
    for (const e of this.entries) {
      if (!filter(e)) continue;
      const json = JSON.stringify(e.body);
      if (json.length <= BEACON_LIMIT) this.d.beacon(e.url, json);
    }
  }

  /** Retry now (the browser says it is online again). */
  kick(): void {
    if (this.timer !== undefined) {
      this.d.clearTimer(this.timer);
      this.timer = undefined;
    }
    this.failures = 0;
    void this.pump();
  }

  /** Resolves when nothing is queued, or after timeoutMs. */
  async drain(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (this.entries.length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    return this.entries.length === 0;
  }

  private async pump(): Promise<void> {
    if (this.sending || this.timer !== undefined) return;
    const next = this.entries.reduce<Entry | undefined>(
      (a, e) => (!a || e.order < a.order ? e : a),
      undefined,
    );
    if (!next) return;
    this.sending = true;
    let retry = false;
    try {
      const json = JSON.stringify(next.body);
      const res = await this.d.fetch(next.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: json,
        keepalive: json.length <= BEACON_LIMIT,
        credentials: 'omit',
      });
      const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (res.ok) {
        this.remove(next);
        this.failures = 0;
        this.refused = undefined;
        this.d.onAnswer(next.body, answer as unknown as CommitAnswer);
      } else if (res.status === 409 && answer.error === 'STALE_COMMIT') {
        this.remove(next);
        // The runtime holds a higher seq (another tab, or a beacon from an earlier page). If this is our
        // newest data for that SCO, it goes again above the stored seq: the learner's latest work wins.
        const stored = Number(answer.seq);
        const newer = this.entries.some(
          (e) => e.body.attemptId === next.body.attemptId && e.body.sco === next.body.sco,
        );
        if (!newer && Number.isFinite(stored)) this.add(next.url, { ...next.body, seq: stored + 1 });
      } else if (res.status >= 500 || res.status === 408 || res.status === 429) {
        retry = true;
      } else {
        this.remove(next);
        const message = typeof answer.message === 'string' ? answer.message : `HTTP ${res.status}`;
        this.refused = message;
        this.d.onRejected(next.body, res.status, `${String(answer.error ?? res.status)}: ${message}`);
      }
    } catch {
      retry = true;
    } finally {
      this.sending = false;
    }
    if (retry) {
      this.failures++;
      this.d.onState('retrying');
      this.timer = this.d.setTimer(
        () => {
          this.timer = undefined;
          void this.pump();
        },
        backoffDelay(this.failures, this.d.random),
      );
      return;
    }
    if (this.entries.length > 0) return this.pump();
    if (this.refused === undefined) this.d.onState('saved');
    else this.d.onState('error', this.refused);
  }

  private remove(entry: Entry): void {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e !== entry);
    if (this.entries.length !== before) this.persist(entry.body.attemptId, entry.body.sco);
  }

  private key(attemptId: string, sco: string): string {
    return `${PREFIX}${attemptId}:${sco}`;
  }

  private persist(attemptId: string, sco: string): void {
    const s = this.d.storage;
    if (!s) return;
    const mine = this.entries.filter((e) => e.body.attemptId === attemptId && e.body.sco === sco);
    try {
      if (mine.length === 0) s.removeItem(this.key(attemptId, sco));
      else s.setItem(this.key(attemptId, sco), JSON.stringify(mine));
    } catch {
      // Quota or private mode: the commit is still in memory and being sent; only crash-safety is lost.
    }
  }

  private restore(): void {
    const s = this.d.storage;
    if (!s) return;
    const keys: string[] = [];
    for (let i = 0; i < s.length; i++) {
      const k = s.key(i);
      if (k?.startsWith(PREFIX)) keys.push(k);
    }
    for (const k of keys) {
      try {
        const list = JSON.parse(s.getItem(k) ?? '[]') as Entry[];
        for (const e of list) if (e?.url && e.body) this.entries.push(e);
      } catch {
        s.removeItem(k);
      }
    }
    this.order = this.entries.reduce((m, e) => Math.max(m, e.order), 0);
    if (this.entries.length > 0) {
      this.d.onState('saving');
      void this.pump();
    }
  }
}
