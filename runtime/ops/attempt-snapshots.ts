import { LRUCache } from 'lru-cache';
import type { Json } from '../../lrs/model/statement-index.ts';
import { documentEtag } from '../../lrs/ops/put-document.ts';
import type { Learner, ScoState } from '../model.ts';

/** An attempt as the commit path needs it, with its row version (xmin). */
export interface AttemptRow {
  id: string;
  registration_id: string;
  course_id: string;
  version: number;
  learner: Learner;
  completed_at: Date | string | null;
  suspended_sco: string | null;
  sequencing_state: Json | null;
  current: boolean;
  xmin: string;
}

/**
 * What this process last wrote (or read) of an attempt: its row and every SCO state row of it. A state's
 * `cmi` is null where this process never held that SCO's tree. Nothing in a snapshot is mutated; a write
 * replaces it.
 */
export interface AttemptSnapshot {
  row: AttemptRow;
  states: ReadonlyMap<string, ScoState>;
}

/** A SCO state as the cache stores it: the tree as its JSON text, parsed when a commit looks at it. */
interface StoredState extends Omit<ScoState, 'cmi'> {
  cmiJson: string | null;
}

interface StoredSnapshot {
  row: AttemptRow;
  states: ReadonlyMap<string, StoredState>;
}

/**
 * Snapshots by tenant and attempt, so a learner's next commit is judged without reading anything back: the
 * write checks the attempt's row version and raises if it moved (commit-sql.ts), so a snapshot that is stale
 * (another process wrote, a reset, a transaction that rolled back after this one was stored) is caught there,
 * never trusted. Bounded by the held trees' JSON size (heldState: without suspend_data): at the compliance
 * peak's 50,000 learners, a one-SCO course's ~2 KB tree with a quiz of 8 interactions takes ~100 MB.
 *
 * Trees are kept as JSON text, one string each, not as objects. Held as objects, the cache was most of the
 * server's heap: ~150 MB of small objects that every major GC had to mark, and each commit left its
 * learner's old tree behind as hundreds of dead old-space objects. At 2,500 commits/s that meant a
 * Mark-Compact every ~5 s, and its concurrent marking took a core PostgreSQL needed: each was followed by
 * ~0.5 s of commits over 100 ms (bench F's slow windows beside --trace-gc). A string is one object to mark,
 * and the text is what the write already made (commit-cmi.ts scoStateRow); parsing it back costs a commit
 * that is judged from the snapshot about what parsing its body did.
 */
const snapshots = new LRUCache<string, string>({ maxSize: 192 * 1024 * 1024 });

/**
 * A snapshot as one string: the JSON of its row and its states' fields, then each held tree's JSON text on a line
 * of its own (JSON.stringify writes no raw newline). Kept as objects (trees already as text), a learner's row,
 * learner, sequencing state and SCO states were still a few dozen old-space objects, remade by every commit: at
 * 2,500 commits/s over 50,000 learners a Mark-Compact marked for 100–220 ms (45–108 ms of it on the event loop,
 * its final pause 10–36 ms) every 5–15 s, and the commits it held up were most of bench F's p99 (README,
 * "PostgreSQL at a commit peak"). Packed, each took 50–80 ms (3–24 ms on the event loop, 6–16 ms), the
 * live heap after one fell from ~175 to ~125 MB, and four levels at 2,500/s held p99 38–75 ms. Unpacking costs a
 * commit one JSON.parse of ~1 KB beside the tree's.
 */
function pack(snap: StoredSnapshot): string {
  const trees: string[] = [];
  const states = [...snap.states].map(([sco, { cmiJson, ...rest }]) => {
    if (cmiJson !== null) trees.push(cmiJson);
    return [sco, { ...rest, tree: cmiJson !== null }] as const;
  });
  return [JSON.stringify({ row: snap.row, states }), ...trees].join('\n');
}

function unpack(packed: string): StoredSnapshot {
  const lines = packed.split('\n');
  const meta = JSON.parse(lines[0]!) as {
    row: AttemptRow;
    states: [string, Omit<StoredState, 'cmiJson'> & { tree: boolean }][];
  };
  let next = 1;
  const states = new Map<string, StoredState>();
  for (const [sco, { tree, ...rest }] of meta.states)
    states.set(sco, { ...rest, cmiJson: tree ? lines[next++]! : null });
  return { row: meta.row, states };
}

/**
 * On a held state: the stored state it was read from (snapshotOf), or the JSON text of its tree that the
 * write made (heldState's `json`), so storing it again neither parses nor serialises its tree.
 */
const HELD = Symbol('held');
type Held = ScoState & { [HELD]?: StoredState | string };

/**
 * A SCO state as a snapshot holds it. suspend_data (up to 64,000 characters, often most of a tree) is only
 * compared with the next commit's (judge-commit.ts: is there a new State document to write?), so its SHA-1
 * stands in and a learner's snapshot is a few KB: enough for every learner of the peak in memory, where
 * whole trees held fewer than half of them. `json`: the held tree's JSON text, where the caller has it.
 */
export function heldState(s: ScoState, json?: string): ScoState {
  if ((s as Held)[HELD] !== undefined) return s;
  if (s.cmi === null || (s.suspendDataSha1 !== undefined && !('suspend_data' in s.cmi)))
    return json === undefined ? s : mark({ ...s }, json);
  const { suspend_data: _text, ...cmi } = s.cmi;
  const held = { ...s, cmi, suspendDataSha1: suspendDataSha1(s) };
  return json === undefined ? held : mark(held, json);
}

function mark(s: ScoState, held: StoredState | string): ScoState {
  Object.defineProperty(s, HELD, { value: held, enumerable: false, configurable: true });
  return s;
}

function stored(s: ScoState): StoredState {
  const held = (s as Held)[HELD];
  if (typeof held === 'object') return held;
  const { cmi, ...rest } = s;
  return { ...rest, cmiJson: cmi === null ? null : (held ?? JSON.stringify(cmi)) };
}

/** A stored state as commits use it: its tree is parsed on first use. */
function materialized(s: StoredState): ScoState {
  const { cmiJson, ...rest } = s;
  const state = rest as ScoState;
  if (cmiJson === null) {
    state.cmi = null as never;
    return mark(state, s);
  }
  let tree: ScoState['cmi'] | undefined;
  Object.defineProperty(state, 'cmi', {
    enumerable: true,
    configurable: true,
    get: () => {
      tree ??= JSON.parse(cmiJson) as ScoState['cmi'];
      return tree;
    },
    set: (value: ScoState['cmi']) => {
      // Replaced: the stored state no longer describes it.
      Object.defineProperty(state, 'cmi', { value, enumerable: true, writable: true, configurable: true });
      delete (state as Held)[HELD];
    },
  });
  return mark(state, s);
}

/** Whether a state holds its tree, without parsing a held one. */
export function holdsTree(s: ScoState): boolean {
  const held = (s as Held)[HELD];
  return typeof held === 'object' ? held.cmiJson !== null : s.cmi !== null;
}

/** suspend_data's SHA-1 hex, whether the state is held (heldState), judged (judge-commit.ts) or read whole. */
export function suspendDataSha1(s: ScoState): string {
  if (s.suspendDataSha1 !== undefined) return s.suspendDataSha1;
  const text = s.cmi?.suspend_data;
  return documentEtag(typeof text === 'string' ? text : '');
}

export function snapshotOf(tenant: string, attemptId: string): AttemptSnapshot | undefined {
  const packed = snapshots.get(`${tenant}|${attemptId}`);
  if (packed === undefined) return undefined;
  const snap = unpack(packed);
  return { row: snap.row, states: new Map([...snap.states].map(([sco, s]) => [sco, materialized(s)])) };
}

/** One SCO's state of a snapshot, without materialising the attempt's other SCOs. */
export function heldStateOf(tenant: string, attemptId: string, sco: string): ScoState | undefined {
  const packed = snapshots.get(`${tenant}|${attemptId}`);
  const s = packed === undefined ? undefined : unpack(packed).states.get(sco);
  return s && materialized(s);
}

export function rememberSnapshot(tenant: string, snapshot: AttemptSnapshot): void {
  const states = new Map([...snapshot.states].map(([sco, s]) => [sco, stored(heldState(s))]));
  const packed = pack({ row: snapshot.row, states });
  snapshots.set(`${tenant}|${snapshot.row.id}`, packed, { size: packed.length + 64 });
}

export function forgetSnapshots(tenant: string, attemptIds: readonly string[]): void {
  for (const id of attemptIds) snapshots.delete(`${tenant}|${id}`);
}

/** Empties the cache (tests: the next commits are judged from the database, as in another process). */
export function forgetAllSnapshots(): void {
  snapshots.clear();
}
