import test from 'ava';
import { backoffDelay, CommitQueue, type QueueDeps, type SaveState } from './commit-queue.ts';
import type { CommitBody } from './contract.ts';

class MemoryStorage {
  map = new Map<string, string>();
  get length() {
    return this.map.size;
  }
  key(i: number) {
    return [...this.map.keys()][i] ?? null;
  }
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
}

type Reply = { status: number; body?: unknown } | 'network';

function harness(replies: Reply[] = [], storage = new MemoryStorage()) {
  const sent: CommitBody[] = [];
  const states: SaveState[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const beacons: string[] = [];
  const deps: QueueDeps = {
    storage,
    fetch: async (_url, init) => {
      const body = JSON.parse(init.body as string) as CommitBody;
      sent.push(body);
      const r = replies.shift() ?? { status: 200, body: { seq: body.seq, course: { complete: false } } };
      if (r === 'network') throw new TypeError('Failed to fetch');
      return new Response(JSON.stringify(r.body ?? {}), { status: r.status });
    },
    beacon: (_url, body) => {
      beacons.push(body);
      return true;
    },
    random: () => 0.5,
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => {},
    onState: (s) => states.push(s),
  };
  return { deps, sent, states, timers, beacons, storage };
}

const body = (seq: number, extra: Partial<CommitBody> = {}): CommitBody => ({
  attemptId: 'att',
  sco: 's1',
  seq,
  cmi: { location: `p${seq}` },
  terminated: false,
  navRequest: null,
  ...extra,
});

const settle = () => new Promise((r) => setTimeout(r, 10));

test('backoff doubles from 0.5 s to a 30 s cap, with jitter in its upper half', (t) => {
  // [failures, random(), delay in ms]
  const cases = [
    [1, 0, 250],
    [1, 1, 500],
    [2, 1, 1000],
    [7, 1, 30_000],
    [20, 0, 15_000],
  ] as const;
  for (const [failures, random, ms] of cases)
    t.is(
      backoffDelay(failures, () => random),
      ms,
      `${failures} failures, random ${random}`,
    );
});

test('a commit is in storage before add() returns, and gone once acknowledged', async (t) => {
  const h = harness();
  const q = new CommitQueue(h.deps);
  q.add('u', body(1));
  t.is(h.storage.length, 1, 'written synchronously');
  await settle();
  t.is(h.storage.length, 0);
  t.deepEqual(h.states, ['saving', 'saved']);
});

test('network failures retry with backoff and keep the commit; a newer commit replaces an unsent one', async (t) => {
  const h = harness(['network', 'network']);
  const q = new CommitQueue(h.deps);
  q.add('u', body(1));
  await settle();
  t.is(h.timers.length, 1);
  t.is(h.timers[0]!.ms, 375);
  t.true(h.states.includes('retrying'));
  q.add('u', body(2));
  h.timers.shift()!.fn();
  await settle();
  t.is(h.timers[0]!.ms, 750, 'the second failure waits longer');
  h.timers.shift()!.fn();
  await settle();
  t.deepEqual(
    h.sent.map((b) => b.seq),
    [1, 2, 2],
  );
  t.is(q.pending.length, 0);
  t.is(h.states.at(-1), 'saved');
});

test('a terminated commit is never replaced: the runtime must see the session end', async (t) => {
  const h = harness(['network']);
  const q = new CommitQueue(h.deps);
  q.add('u', body(1, { terminated: true }));
  q.add('u', body(2));
  q.add('u', body(3));
  t.deepEqual(
    q.pending.map((e) => e.body.seq),
    [1, 3],
  );
  await settle();
  h.timers.shift()!.fn();
  await settle();
  t.deepEqual(
    h.sent.map((b) => b.seq),
    [1, 1, 3],
  );
});

test('commits left in storage by an earlier page are sent by the next one', async (t) => {
  const storage = new MemoryStorage();
  const first = harness(['network'], storage);
  new CommitQueue(first.deps).add('u', body(4));
  await settle();
  t.is(storage.length, 1);
  const second = harness([], storage);
  const q = new CommitQueue(second.deps);
  t.is(q.highestSeq('att', 's1'), 4);
  t.deepEqual(q.latest('att', 's1')?.cmi, { location: 'p4' });
  await settle();
  t.deepEqual(
    second.sent.map((b) => b.seq),
    [4],
  );
  t.is(storage.length, 0);
});

test('STALE_COMMIT: the newest data goes again above the stored seq; refusals are dropped and reported', async (t) => {
  const h = harness([{ status: 409, body: { error: 'STALE_COMMIT', seq: 9 } }]);
  const rejected: string[] = [];
  const q = new CommitQueue({ ...h.deps, onRejected: (_b, status, e) => rejected.push(`${status} ${e}`) });
  q.add('u', body(3));
  await settle();
  t.deepEqual(
    h.sent.map((b) => b.seq),
    [3, 10],
  );
  const h2 = harness([{ status: 409, body: { error: 'ATTEMPT_CLOSED', message: 'closed' } }]);
  const q2 = new CommitQueue({ ...h2.deps, onRejected: (_b, status, e) => rejected.push(`${status} ${e}`) });
  q2.add('u', body(1));
  await settle();
  t.is(q2.pending.length, 0);
  t.deepEqual(rejected, ['409 ATTEMPT_CLOSED: closed']);
  t.is(h2.states.at(-1), 'error');
  t.is(q.pending.length, 0);
});

test('beaconAll sends what is unacknowledged as text, keeping it queued; oversized commits stay for later', async (t) => {
  const h = harness(['network']);
  const q = new CommitQueue(h.deps);
  q.add('u', body(1));
  q.add('u', body(1, { sco: 's2', cmi: { suspend_data: 'x'.repeat(70_000) } }));
  await settle();
  q.beaconAll();
  t.is(h.beacons.length, 1);
  t.is(JSON.parse(h.beacons[0]!).sco, 's1');
  t.is(q.pending.length, 2);
});

test('without storage (private mode, a refused third-party frame) the queue still works in memory', async (t) => {
  const h = harness();
  const q = new CommitQueue({ ...h.deps, storage: null });
  q.add('u', body(1));
  await settle();
  t.is(h.sent.length, 1);
  t.is(q.pending.length, 0);
});
