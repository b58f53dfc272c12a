import { LRUCache } from 'lru-cache';
import type { Json } from '../../lrs/model/statement-index.ts';
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
 * never trusted. Bounded by the trees' JSON size: about 20,000 learners' 5 KB trees in 128 MB.
 */
const snapshots = new LRUCache<string, AttemptSnapshot>({ maxSize: 128 * 1024 * 1024 });

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
