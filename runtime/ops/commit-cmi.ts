import { AppError } from '../../core/errors.ts';
import { type QueryResult, runScript, type Tx } from '../../db/database.ts';
import { prepareStatement } from '../../lrs/model/prepare-statement.ts';
import type { Json } from '../../lrs/model/statement-index.ts';
import {
  FastPathConflict,
  fastPathApplies,
  statementInsertParams,
} from '../../lrs/ops/insert-statements-fast.ts';
import { storeStatementRequests } from '../../lrs/ops/store-statements.ts';
import { enqueueManyInTx } from '../../queue/outbox.ts';
import { type ScoState, toScoState } from '../model.ts';
import { ATTEMPT_STATE_ID, SUSPEND_DATA_STATE_ID } from '../xapi/activity-iris.ts';
import { activityStateDocs, lockActivityStates, writeActivityStates } from './append-attempt-states.ts';
import {
  type AttemptRow,
  heldState,
  heldStateOf,
  holdsTree,
  rememberSnapshot,
  snapshotOf,
} from './attempt-snapshots.ts';
import {
  DOCUMENTS_NOT_WRITTEN,
  LOCK_ATTEMPTS_SQL,
  READ_STATES_SQL,
  STALE_ATTEMPT,
  STATEMENT_EXISTS,
  WRITE_COMMITS_SQL,
} from './commit-sql.ts';
import {
  type AttemptWork,
  type CommitAnswer,
  type CommitInput,
  emptyGroupWrites,
  judgeCommit,
} from './judge-commit.ts';
import { loadCourseVersion } from './load-course-version.ts';

export { COURSE_COMPLETED_QUEUE, type CommitAnswer, type CommitInput } from './judge-commit.ts';

export interface CommitOptions {
  /** CREST_PUBLIC_URL, for activity IRIs and the statements' authority; URNs without it. */
  publicUrl: string | undefined;
  now?: () => Date;
  /** Statements through lrs/ops insertStatementsFast (default); false for the careful storeStatementRequests. */
  fastStatements?: boolean;
}

/**
 * The attempts of a group moved on since this process's snapshot of them (the write's guard raised): nothing
 * was written; the writer forgets those snapshots and judges the group again from the database.
 */
export class StaleSnapshot extends Error {
  constructor(readonly attemptIds: readonly string[]) {
    super('an attempt changed since its snapshot; judge again from the database');
    this.name = 'StaleSnapshot';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Works = Map<string, AttemptWork>;

async function workOf(tx: Tx, tenant: string, row: AttemptRow, states: Map<string, ScoState>) {
  const course = await loadCourseVersion(tx, tenant, row.course_id, row.version);
  if (!course) return undefined;
  return {
    row,
    course,
    states,
    dirty: false,
    completedAt: row.completed_at ? new Date(row.completed_at).toISOString() : null,
    suspendedSco: row.suspended_sco,
  } satisfies AttemptWork;
}

/**
 * The group judged from this process's snapshots, with no round trip, when it holds every attempt and the
 * tree of every SCO being committed (a SCO with no state row yet needs none). The write's guard checks them.
 */
async function fromSnapshots(tx: Tx, tenant: string, ids: string[], commits: readonly CommitInput[]) {
  const works: Works = new Map();
  for (const id of ids) {
    const snap = snapshotOf(tenant, id);
    if (!snap) return undefined;
    const work = await workOf(tx, tenant, snap.row, new Map(snap.states));
    if (!work) return undefined;
    works.set(id, work);
  }
  for (const c of commits) if (works.get(c.attemptId)?.states.get(c.sco)?.cmi === null) return undefined;
  return works;
}

/**
 * One round trip (with BEGIN as the transaction's start): lock the attempts, then read their SCO states in a
 * statement of its own, whose snapshot sees the commit that held a lock before. A SCO's tree comes back only
 * where this process does not hold the stored one (same seq and commit hash: a hash names the content, so
 * this holds with any number of processes); other SCOs' rows come without CMI.
 */
async function lockAndRead(tx: Tx, tenant: string, ids: string[], commits: readonly CommitInput[]) {
  const known = new Map<
    string,
    { attempt_id: string; sco: string; seq: number | null; hash: string | null }
  >();
  for (const c of commits) {
    const key = `${c.attemptId}|${c.sco}`;
    if (known.has(key)) continue;
    const held = heldStateOf(tenant, c.attemptId, c.sco);
    // Compared by seq and hash only: its tree is parsed below, and only if the stored row is this one.
    const usable = held && holdsTree(held);
    known.set(key, {
      attempt_id: c.attemptId,
      sco: c.sco,
      seq: usable ? held.seq : null,
      hash: usable ? held.commitHash : null,
    });
  }
  const idArray = `'{${ids.join(',')}}'::uuid[]`;
  const knownJson = Buffer.from(JSON.stringify([...known.values()]), 'utf8').toString('base64');
  const [locked, stateRows] = await runScript(tx, [
    LOCK_ATTEMPTS_SQL.replace('$1::uuid[]', idArray),
    READ_STATES_SQL.replace('$1::uuid[]', idArray).replace(
      '$2::jsonb',
      `convert_from(decode('${knownJson}', 'base64'), 'UTF8')::jsonb`,
    ),
  ]);
  const works: Works = new Map();
  for (const row of (locked as unknown as QueryResult<AttemptRow>).rows) {
    const work = await workOf(tx, tenant, row, new Map());
    if (work) works.set(row.id, work);
  }
  for (const r of stateRows!.rows) {
    const s = toScoState(r);
    if (r.cmi === null) {
      const held = heldStateOf(tenant, s.attemptId, s.sco);
      // Not asked for (another SCO: its tree is not needed), or the held tree of exactly this commit.
      const same = held && held.seq === s.seq && held.commitHash === s.commitHash;
      s.cmi = same ? held.cmi : (null as never);
      if (same) {
        s.suspendDataSha1 = held.suspendDataSha1;
        s.attemptStateEtag = held.attemptStateEtag;
      }
    }
    works.get(s.attemptId)?.states.set(s.sco, s);
  }
  return works;
}

/**
 * Applies a group of CMI commits in the caller's tenant transaction, each judged alone (an AppError in its
 * slot stores nothing of that commit; judge-commit.ts), in order, so two commits of one SCO in a group behave
 * as if sent one after the other. A learner's next commit is usually judged from this process's snapshot of
 * the attempt, and then the group is one statement with COMMIT queued behind it: one round trip. Otherwise
 * the attempts are locked and read first (in id order, so concurrent groups cannot deadlock). Either way the
 * write checks each attempt's row version, so a stale snapshot fails the group (StaleSnapshot) rather than
 * overwrite. Commits that end a course or start a SCO's first session add their outbox rows and Activity State
 * appends after the write, in the same transaction.
 */
export async function commitCmi(
  tx: Tx,
  commits: readonly CommitInput[],
  options: CommitOptions,
): Promise<(CommitAnswer | AppError)[]> {
  const timestamp = (options.now ?? (() => new Date()))().toISOString();
  const tenant = commits[0]?.tenant ?? '';
  const ids = [...new Set(commits.map((c) => c.attemptId))].sort();
  for (const id of ids) if (!UUID.test(id)) throw new AppError('BAD_REQUEST', 'attemptId must be a UUID.');
  const works =
    (await fromSnapshots(tx, tenant, ids, commits)) ?? (await lockAndRead(tx, tenant, ids, commits));

  const out = emptyGroupWrites();
  const outcomes = commits.map((c): CommitAnswer | AppError => {
    try {
      return judgeCommit(works.get(c.attemptId), c, options.publicUrl, timestamp, out);
    } catch (err) {
      if (err instanceof AppError) return err;
      throw err;
    }
  });

  const dirty = [...works.values()].filter((w) => w.dirty);
  if (dirty.length === 0) return outcomes;
  const authority = {
    objectType: 'Agent',
    account: { homePage: options.publicUrl ?? 'urn:crest', name: 'crest-runtime' },
  };
  const prepared: Json[] = out.statements.map((s) =>
    prepareStatement(s, { stored: timestamp, authority, version: '2.0.0' }),
  );
  const request = { statements: prepared, credential: 'runtime' };
  // Fresh ids (name-based on a seq this transaction holds locked): written with everything else below.
  const fast = options.fastStatements !== false && fastPathApplies([request]);
  const careful = !fast && prepared.length > 0;
  const activityDocs = activityStateDocs(out.attemptStates);
  const last = !careful && out.events.length === 0 && activityDocs.length === 0;
  const states = [...out.changed.values()].sort((a, b) =>
    a.attemptId === b.attemptId ? (a.sco < b.sco ? -1 : 1) : a.attemptId < b.attemptId ? -1 : 1,
  );
  const texts = new TextSlices();
  const suspendIris = new Map(
    [...out.suspendData.values()].map((d) => [`${d.attempt_id}|${d.sco}`, d.activity_iri]),
  );
  const stateRows = states.map((st) => scoStateRow(st, texts, suspendIris.get(`${st.attemptId}|${st.sco}`)));
  const byIri = <T extends { activity_iri: string }>(m: Map<string, T>) =>
    [...m.values()].sort((a, b) => a.activity_iri.localeCompare(b.activity_iri));
  const write = tx.query<{ versions: { id: string; xmin: string }[] }>(
    WRITE_COMMITS_SQL,
    [
      `[${stateRows.map((r) => r.json).join(',')}]`,
      JSON.stringify(dirty.map(attemptRowOf)),
      JSON.stringify(
        byIri(out.suspendData).map(({ text, ...row }) => {
          const body = texts.add(text);
          return { ...row, sd_offset: body.offset, sd_length: body.length };
        }),
      ),
      SUSPEND_DATA_STATE_ID,
      ...statementInsertParams(fast ? [request] : []),
      dirty.map((w) => w.row.id),
      JSON.stringify(dirty.map((w) => ({ id: w.row.id, xmin: w.row.xmin }))),
      JSON.stringify(byIri(out.attemptStateDocs)),
      ATTEMPT_STATE_ID,
      fast ? prepared.length : 0,
      texts.bytes(),
    ],
    { prepare: 'crest-runtime-write-commits', commit: last },
  );
  // What does not depend on the write goes out behind it in the same round trip (pipeline mode). PostgreSQL runs
  // it after the write, so the guard's attempt locks are still taken first; should the write fail, it fails too,
  // and the write's error is the one reported.
  const behind = Promise.all([
    !careful && out.events.length > 0 ? enqueueManyInTx(tx, out.events) : undefined,
    activityDocs.length > 0 ? lockActivityStates(tx, activityDocs) : undefined,
  ]);
  behind.catch(() => undefined);
  let written: { versions: { id: string; xmin: string }[] };
  try {
    written = (await write).rows[0]!;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === STALE_ATTEMPT) throw new StaleSnapshot(dirty.map((w) => w.row.id));
    // A clash rolls the transaction back, and the writer reruns the group on the careful path.
    if (code === STATEMENT_EXISTS) throw new FastPathConflict();
    if (code === DOCUMENTS_NOT_WRITTEN) throw new Error(`commitCmi: ${(err as Error).message}`);
    throw err;
  }
  remember(tenant, dirty, written.versions, states, stateRows);
  if (last) return outcomes;
  const [, lockedDocs] = await behind;
  if (careful) {
    const [stored] = await storeStatementRequests(tx, [{ ...request, events: out.events }]);
    // On the careful path a clash is a 409 for the whole group, rather than CMI acknowledged without its
    // statements; the writer then retries each commit alone.
    if (stored instanceof AppError) throw stored;
  }
  // Profile §5: the SCO's Activity State lists the attempt; with COMMIT behind it, the transaction's last call.
  if (lockedDocs) await writeActivityStates(tx, activityDocs, lockedDocs, { commit: true });
  return outcomes;
}

/**
 * The snapshots after the write, under the row versions it returned. Stored before COMMIT: should the
 * transaction still roll back, the row keeps its old version and the next write's guard refuses the snapshot.
 */
function remember(
  tenant: string,
  dirty: AttemptWork[],
  versions: readonly { id: string; xmin: string }[],
  states: readonly ScoState[],
  stateRows: readonly { cmiJson: string }[],
): void {
  const xmin = new Map(versions.map((v) => [v.id, v.xmin]));
  // The written trees' JSON (without suspend_data), which the snapshot keeps as it is.
  const written = new Map<string, string>();
  for (const [i, s] of states.entries()) written.set(`${s.attemptId}|${s.sco}`, stateRows[i]!.cmiJson);
  for (const w of dirty) {
    const version = xmin.get(w.row.id);
    if (!version) continue;
    const row: AttemptRow = {
      ...w.row,
      completed_at: w.completedAt,
      suspended_sco: w.suspendedSco,
      sequencing_state: w.sequencingState ?? w.row.sequencing_state,
      current: true,
      xmin: version,
    };
    const states = new Map(
      [...w.states].map(([sco, s]) => [sco, heldState(s, written.get(`${w.row.id}|${sco}`))]),
    );
    rememberSnapshot(tenant, { row, states });
  }
}

/** Texts laid end to end as UTF-8 in one buffer, each found again by its byte offset and length. */
class TextSlices {
  private parts: Buffer[] = [];
  private size = 0;

  add(text: string): { offset: number; length: number } {
    const bytes = Buffer.from(text, 'utf8');
    const offset = this.size;
    this.parts.push(bytes);
    this.size += bytes.length;
    return { offset, length: bytes.length };
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}

/**
 * A SCO state row for WRITE_COMMITS_SQL's $1. The CMI tree (as JSON text) does not go into that JSON: its
 * UTF-8 bytes go into the write's $16, one binary bytea parameter, and the row names where. Inside $1,
 * PostgreSQL 15 would lex every character into jsonb (json_lex + appendStringInfoChar were ~25% of its CPU
 * under bench F) and Node would escape it; a json column only validates the tree (tenant migration 006).
 * suspend_data is not in the row at all: it is kept in its State document, written only when it changed
 * (tenant migration 007); the row names that document's activity when this commit writes it. `size` is what
 * the snapshot cache holds of it: the tree without suspend_data (attempt-snapshots.ts heldState).
 */
function scoStateRow(
  s: ScoState,
  texts: TextSlices,
  suspendIri: string | undefined,
): { json: string; size: number; cmiJson: string } {
  const { suspend_data: _suspendData, ...cmi } = s.cmi;
  const cmiJson = JSON.stringify(cmi);
  const tree = texts.add(cmiJson);
  const json = JSON.stringify({
    attempt_id: s.attemptId,
    sco: s.sco,
    seq: s.seq,
    commit_hash: s.commitHash,
    cmi_offset: tree.offset,
    cmi_length: tree.length,
    suspend_iri: suspendIri ?? null,
    completion: s.completion,
    success: s.success,
    score_scaled: s.scoreScaled,
    total_seconds: s.totalSeconds,
    session_seconds: s.sessionSeconds,
    terminated: s.terminated,
    suspended: s.suspended,
  });
  return { json, size: json.length + tree.length, cmiJson };
}

function attemptRowOf(w: AttemptWork): Json {
  return {
    id: w.row.id,
    completion: w.status!.completion,
    success: w.status!.success,
    score: w.status!.score,
    total_seconds: w.status!.totalSeconds,
    completed_at: w.completedAt,
    suspended_sco: w.suspendedSco,
    has_sequencing_state: w.sequencingState !== undefined,
    sequencing_state: w.sequencingState ?? null,
  };
}
