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

/**
 * Snapshots by tenant and attempt, so a learner's next commit is judged without reading anything back: the
 * write checks the attempt's row version and raises if it moved (commit-sql.ts), so a snapshot that is stale
 * (another process wrote, a reset, a transaction that rolled back after this one was stored) is caught there,
 * never trusted. Bounded by the held trees' JSON size (heldState: without suspend_data): at the compliance
 * peak's 50,000 learners, a one-SCO course's ~2 KB tree with a quiz of 8 interactions takes ~100 MB.
 */
const snapshots = new LRUCache<string, AttemptSnapshot>({ maxSize: 192 * 1024 * 1024 });

/**
 * A SCO state as a snapshot holds it. suspend_data (up to 64,000 characters, often most of a tree) is only
 * compared with the next commit's (judge-commit.ts: is there a new State document to write?), so its SHA-1
 * stands in and a learner's snapshot is a few KB: enough for every learner of the peak in memory, where
 * whole trees held fewer than half of them.
 */
export function heldState(s: ScoState): ScoState {
  if (s.cmi === null || (s.suspendDataSha1 !== undefined && !('suspend_data' in s.cmi))) return s;
  const { suspend_data: _text, ...cmi } = s.cmi;
  return { ...s, cmi, suspendDataSha1: suspendDataSha1(s) };
}

/** suspend_data's SHA-1 hex, whether the state is held (heldState), judged (judge-commit.ts) or read whole. */
export function suspendDataSha1(s: ScoState): string {
  if (s.suspendDataSha1 !== undefined) return s.suspendDataSha1;
  const text = s.cmi?.suspend_data;
  return documentEtag(typeof text === 'string' ? text : '');
}

export function snapshotOf(tenant: string, attemptId: string): AttemptSnapshot | undefined {
  return snapshots.get(`${tenant}|${attemptId}`);
}

/** `cmiBytes`: the JSON size of the trees it holds, as far as known (the cache's budget). */
export function rememberSnapshot(tenant: string, snapshot: AttemptSnapshot, cmiBytes: number): void {
  snapshots.set(`${tenant}|${snapshot.row.id}`, snapshot, {
    size: cmiBytes + 512 * (snapshot.states.size + 1),
  });
}

export function forgetSnapshots(tenant: string, attemptIds: readonly string[]): void {
  for (const id of attemptIds) snapshots.delete(`${tenant}|${id}`);
}

/** Empties the cache (tests: the next commits are judged from the database, as in another process). */
export function forgetAllSnapshots(): void {
  snapshots.clear();
}
