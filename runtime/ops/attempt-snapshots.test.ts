import test from 'ava';
import type { ScoState } from '../model.ts';
import {
  type AttemptRow,
  forgetAllSnapshots,
  heldState,
  heldStateOf,
  holdsTree,
  rememberSnapshot,
  snapshotOf,
} from './attempt-snapshots.ts';

const row: AttemptRow = {
  id: '00000000-0000-4000-8000-000000000001',
  registration_id: 'r',
  course_id: 'c',
  version: 1,
  learner: { name: 'L', account: { homePage: 'urn:test', name: 'l' } } as AttemptRow['learner'],
  completed_at: null,
  suspended_sco: null,
  sequencing_state: null,
  current: true,
  xmin: '42',
};

function state(sco: string, cmi: ScoState['cmi'] | null): ScoState {
  return {
    attemptId: row.id,
    sco,
    seq: 3,
    commitHash: 'h',
    cmi: cmi as ScoState['cmi'],
    completion: 'incomplete',
    success: 'unknown',
    scoreScaled: null,
    totalSeconds: 0,
    sessionSeconds: 0,
    terminated: false,
    suspended: false,
    updatedAt: '2026-11-29T00:00:00.000Z',
  };
}

const tree = {
  location: 'p2',
  suspend_data: 'x'.repeat(3000),
  interactions: { _count: '1', '0': { id: 'q1' } },
};

test.afterEach.always(() => forgetAllSnapshots());

test('a snapshot gives back each tree without suspend_data, which its SHA-1 stands for', (t) => {
  rememberSnapshot('t1', {
    row,
    states: new Map([
      ['a', state('a', tree)],
      ['b', state('b', null)],
    ]),
  });
  const snap = snapshotOf('t1', row.id)!;
  const a = snap.states.get('a')!;
  const { suspend_data: _sd, ...rest } = tree;
  t.deepEqual(a.cmi, rest);
  t.regex(a.suspendDataSha1 ?? '', /^[0-9a-f]{40}$/);
  t.is(a.seq, 3);
  t.is(snap.states.get('b')!.cmi as unknown, null);
  t.false(holdsTree(snap.states.get('b')!));
  t.true(holdsTree(a));
  t.is(snapshotOf('t2', row.id), undefined, 'tenants do not share snapshots');
});

test('a held state stored again keeps its tree, and a tree set on it replaces the stored one', (t) => {
  rememberSnapshot('t1', { row, states: new Map([['a', state('a', tree)]]) });
  const first = snapshotOf('t1', row.id)!;
  // Stored again untouched (a multi-SCO commit keeps the SCOs it did not write as they were).
  rememberSnapshot('t1', { row: { ...row, xmin: '43' }, states: first.states });
  const again = snapshotOf('t1', row.id)!;
  t.is(again.row.xmin, '43');
  t.deepEqual(again.states.get('a')!.cmi, first.states.get('a')!.cmi);
  // Replaced on a state read from the cache: what is stored next is the new tree, not the cached text.
  const changed = again.states.get('a')!;
  changed.cmi = { location: 'p9' };
  rememberSnapshot('t1', { row, states: new Map([['a', heldState(changed)]]) });
  t.deepEqual(snapshotOf('t1', row.id)!.states.get('a')!.cmi, { location: 'p9' });
  // A written state stored with the text the write made.
  const written = heldState(
    state('a', { location: 'p3', suspend_data: 'y' }),
    JSON.stringify({ location: 'p3' }),
  );
  rememberSnapshot('t1', { row, states: new Map([['a', written]]) });
  t.deepEqual(snapshotOf('t1', row.id)!.states.get('a')!.cmi, { location: 'p3' });
});

test('each SCO gets its own tree back, whichever of them hold one, newlines in values included', (t) => {
  const a = { location: 'line one\nline two', interactions: { _count: '0' } };
  const c = { location: 'c\r\n', comments_from_learner: { _count: '1', '0': { comment: '\n\n' } } };
  rememberSnapshot('t1', {
    row: { ...row, sequencing_state: { tree: { a: [1, 2] } } },
    states: new Map([
      ['a', state('a', a)],
      ['b', state('b', null)],
      ['c', state('c', c)],
    ]),
  });
  const snap = snapshotOf('t1', row.id)!;
  t.deepEqual(snap.states.get('a')!.cmi, a);
  t.is(snap.states.get('b')!.cmi as unknown, null);
  t.deepEqual(snap.states.get('c')!.cmi, c);
  t.deepEqual(snap.row.sequencing_state, { tree: { a: [1, 2] } });
  t.deepEqual(heldStateOf('t1', row.id, 'c')!.cmi, c);
  t.is(heldStateOf('t1', row.id, 'd'), undefined);
});
