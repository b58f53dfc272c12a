import test from 'ava';
import { validateStatements } from '../../lrs/input/validate-statement.ts';
import type { Json } from '../../lrs/model/statement-index.ts';
import type { CmiTree } from '../cmi/data-model.ts';
import { scoStatus } from '../cmi/sco-status.ts';
import { dataModelFor, validateCmi } from '../cmi/validate-cmi.ts';
import type { ScoInfo } from '../course-info.ts';
import { deriveStatements, type ScoSnapshot, type StatementScope } from './profile-statements.ts';

type Standard = 'scorm12' | 'scorm2004';

const COURSE = 'https://crest.example/courses/c1';
const SCO_IRI = `${COURSE}/sco/item_0`;
const ATTEMPT = '3f1d2c4b-5a69-4e7f-8a1b-2c3d4e5f6a7b';
const scope: StatementScope = {
  actor: { objectType: 'Agent', account: { homePage: 'https://lms.example', name: 'learner-1' } },
  registration: '9b2e8c1a-7d4f-4a3b-9c2d-1e0f5a6b7c8d',
  attemptId: ATTEMPT,
  course: { iri: COURSE, title: 'Fire safety' },
  sco: { id: 'item_0', title: 'Lesson 1' },
  timestamp: '2026-11-28T08:00:00.000Z',
};
const SCO: ScoInfo = { id: 'item_0', title: 'Lesson 1', scormType: 'sco' };

/** A snapshot as the commit path makes it: the CMI passed through the data model first. */
function snap(standard: Standard, cmi: Json, terminated = false): ScoSnapshot {
  const valid: CmiTree = validateCmi(dataModelFor(standard), cmi);
  return { cmi: valid, status: scoStatus(standard, valid, SCO), terminated };
}

function derive(standard: Standard, prev: Json | undefined, next: Json, seq = 2): Json[] {
  const out = deriveStatements(
    standard,
    scope,
    seq,
    prev === undefined ? undefined : snap(standard, prev),
    snap(standard, next),
  );
  // Every statement the runtime makes goes through the LRS's own validation (a batch must not be empty).
  if (out.length > 0) {
    validateStatements(out, '2.0.0');
    validateStatements(out, '1.0.3');
  }
  return out;
}

const verbOf = (s: Json) => s.verb.id.split('/').pop();
const about = (ss: Json[], verb: string) => ss.filter((s) => verbOf(s) === verb);

const objectives2004 = (o: Json) => ({ objectives: { '0': { id: 'obj-fire', ...o } } });
const objectives12 = (o: Json) => ({ objectives: { '0': { id: 'obj-fire', ...o } } });

test('SCORM 2004 objective passed: Profile §6 "Objectives" statement shape', (t) => {
  const prev = objectives2004({});
  const next = objectives2004({
    success_status: 'passed',
    score: { scaled: '0.8', raw: '8', min: '0', max: '10' },
    description: '{lang=en}Use an extinguisher',
  });
  const ss = derive('scorm2004', prev, next);
  t.deepEqual(ss.map(verbOf), ['scored', 'passed']);
  const passed = about(ss, 'passed')[0]!;
  t.deepEqual(passed.object, {
    objectType: 'Activity',
    id: `${SCO_IRI}/objective/obj-fire`,
    definition: {
      name: { 'en-US': 'obj-fire' },
      description: { 'en-US': 'Use an extinguisher' },
      type: 'http://adlnet.gov/expapi/activities/objective',
    },
  });
  t.deepEqual(passed.result, { success: true, score: { scaled: 0.8, raw: 8, min: 0, max: 10 } });
  t.deepEqual(passed.context.contextActivities.parent, [
    {
      id: SCO_IRI,
      definition: { name: { 'en-US': 'Lesson 1' }, type: 'http://adlnet.gov/expapi/activities/lesson' },
    },
  ]);
  t.deepEqual(
    passed.context.contextActivities.grouping.map((g: Json) => [g.id, g.definition.type]),
    [
      [COURSE, 'http://adlnet.gov/expapi/activities/course'],
      [`${SCO_IRI}/attempt/${ATTEMPT}`, 'http://adlnet.gov/expapi/activities/attempt'],
    ],
  );
  t.deepEqual(passed.context.contextActivities.category, [
    {
      id: 'https://w3id.org/xapi/scorm',
      definition: { type: 'http://adlnet.gov/expapi/activities/profile' },
    },
  ]);
  t.is(passed.context.registration, scope.registration);
  t.is(passed.timestamp, scope.timestamp);
});

test('SCORM 2004 objective completion and failure; each objective by its own IRI', (t) => {
  const next = {
    objectives: {
      '0': { id: 'a', completion_status: 'completed' },
      '1': { id: 'b', success_status: 'failed' },
      '2': { id: 'c', completion_status: 'incomplete', success_status: 'unknown' },
    },
  };
  const ss = derive('scorm2004', undefined, next, 1);
  t.deepEqual(
    ss.map((s) => [verbOf(s), s.object.id.split('/').pop(), s.result]),
    [
      ['initialized', 'item_0', undefined],
      ['completed', 'a', { completion: true }],
      ['failed', 'b', { success: false }],
    ],
  );
});

test('SCORM 2004 objectives: no statement when unchanged, one per change', (t) => {
  const a = objectives2004({
    completion_status: 'completed',
    success_status: 'passed',
    score: { scaled: '0.9' },
  });
  t.deepEqual(derive('scorm2004', a, a), [], 'nothing changed');
  // The SCO rewrote the same values: still nothing.
  t.deepEqual(derive('scorm2004', a, structuredClone(a)), []);
  // passed → failed is a change of success; completion stays, so no second completed.
  const b = objectives2004({
    completion_status: 'completed',
    success_status: 'failed',
    score: { scaled: '0.9' },
  });
  t.deepEqual(derive('scorm2004', a, b).map(verbOf), ['failed']);
  // Only the score changed.
  const c = objectives2004({
    completion_status: 'completed',
    success_status: 'passed',
    score: { scaled: '0.95' },
  });
  t.deepEqual(derive('scorm2004', a, c).map(verbOf), ['scored']);
});

test('an objective moved to another index is matched by its id', (t) => {
  const prev = { objectives: { '0': { id: 'a', success_status: 'passed' }, '1': { id: 'b' } } };
  const next = { objectives: { '0': { id: 'b' }, '1': { id: 'a', success_status: 'passed' } } };
  t.deepEqual(derive('scorm2004', prev, next), []);
});

test('an objective without an id has no IRI and no statement', (t) => {
  t.deepEqual(derive('scorm12', {}, { objectives: { '0': { status: 'passed' } } }), []);
});

test('SCORM 1.2 objective status: passed is completed and passed, with scaled = raw / 100', (t) => {
  const ss = derive(
    'scorm12',
    objectives12({ status: 'incomplete' }),
    objectives12({ status: 'passed', score: { raw: '85' } }),
  );
  t.deepEqual(ss.map(verbOf), ['scored', 'completed', 'passed']);
  t.deepEqual(about(ss, 'passed')[0]!.result, { success: true, score: { scaled: 0.85, raw: 85 } });
  t.true(ss.every((s) => s.object.id === `${SCO_IRI}/objective/obj-fire`));
  t.true(ss.every((s) => s.context.contextActivities.parent[0].id === SCO_IRI));
});

test('SCORM 1.2 objective status: failed, completed; browsed and incomplete say nothing', (t) => {
  t.deepEqual(derive('scorm12', objectives12({}), objectives12({ status: 'failed' })).map(verbOf), [
    'failed',
  ]);
  t.deepEqual(derive('scorm12', objectives12({}), objectives12({ status: 'completed' })).map(verbOf), [
    'completed',
  ]);
  t.deepEqual(derive('scorm12', objectives12({}), objectives12({ status: 'browsed' })), []);
  t.deepEqual(derive('scorm12', objectives12({}), objectives12({ status: 'incomplete' })), []);
  // completed → passed: success is new, completion is not.
  t.deepEqual(
    derive('scorm12', objectives12({ status: 'completed' }), objectives12({ status: 'passed' })).map(verbOf),
    ['passed'],
  );
});

test('SCORM 1.2 objectives: no statement when unchanged', (t) => {
  const a = objectives12({ status: 'passed', score: { raw: '90', min: '0', max: '100' } });
  t.deepEqual(derive('scorm12', a, a), []);
});

test('objective statement ids are name-based: the same commit gives the same ids, another seq others', (t) => {
  const prev = objectives2004({});
  const next = objectives2004({ success_status: 'passed', completion_status: 'completed' });
  const once = derive('scorm2004', prev, next, 7).map((s) => s.id);
  const again = derive('scorm2004', prev, next, 7).map((s) => s.id);
  const later = derive('scorm2004', prev, next, 8).map((s) => s.id);
  t.deepEqual(once, again);
  t.is(new Set([...once, ...later]).size, once.length + later.length);
});

test('two entries with one id (SCORM 1.2 allows it) still get distinct statement ids', (t) => {
  const next = { objectives: { '0': { id: 'x', status: 'passed' }, '1': { id: 'x', status: 'passed' } } };
  const ss = derive('scorm12', {}, next);
  t.is(new Set(ss.map((s) => s.id)).size, ss.length);
  t.notThrows(() => validateStatements(ss, '2.0.0'), 'a batch with a repeated id would be refused');
});

test('SCORM 2004 comments_from_learner: Profile §6 "Comments From Learner"', (t) => {
  const prev = { comments_from_learner: { '0': { comment: 'First', timestamp: '2026-11-27T10:00:00Z' } } };
  const next = {
    comments_from_learner: {
      '0': { comment: 'First', timestamp: '2026-11-27T10:00:00Z' },
      '1': { comment: '{lang=en}Great lesson', location: 'page-3', timestamp: '2026-11-28T07:59:30.5+01:00' },
      '2': { comment: 'No time given' },
    },
  };
  const ss = derive('scorm2004', prev, next);
  t.deepEqual(ss.map(verbOf), ['commented', 'commented'], 'only the new comments');
  const [first, second] = ss as [Json, Json];
  t.deepEqual(first.verb, {
    id: 'http://adlnet.gov/expapi/verbs/commented',
    display: { 'en-US': 'commented' },
  });
  t.deepEqual(first.object, {
    objectType: 'Activity',
    id: SCO_IRI,
    definition: { name: { 'en-US': 'Lesson 1' }, type: 'http://adlnet.gov/expapi/activities/lesson' },
  });
  t.deepEqual(first.result, { response: 'Great lesson' });
  t.is(first.timestamp, '2026-11-28T06:59:30.500Z', 'the comment timestamp is the statement timestamp');
  t.deepEqual(second.result, { response: 'No time given' });
  t.is(second.timestamp, scope.timestamp);
  t.not(first.id, second.id);
  t.deepEqual(
    first.context.contextActivities.grouping.map((g: Json) => g.definition.type),
    ['http://adlnet.gov/expapi/activities/course', 'http://adlnet.gov/expapi/activities/attempt'],
  );
  t.is(first.context.contextActivities.category[0].id, 'https://w3id.org/xapi/scorm');
});

test('SCORM 2004 comments: none when unchanged; an edited entry is a new comment', (t) => {
  const a = { comments_from_learner: { '0': { comment: 'Hello', location: 'p1' } } };
  t.deepEqual(derive('scorm2004', a, a), []);
  const b = { comments_from_learner: { '0': { comment: 'Hello again', location: 'p1' } } };
  t.deepEqual(
    derive('scorm2004', a, b).map((s) => s.result.response),
    ['Hello again'],
  );
  // A first commit of a resumed tree carries its stored comments back: nothing new.
  t.deepEqual(derive('scorm2004', a, { ...a, location: 'p2' }), []);
});

test('SCORM 1.2 cmi.comments: the appended text is the new comment', (t) => {
  const first = derive('scorm12', {}, { comments: 'Nice start.' });
  t.deepEqual(
    first.map((s) => [verbOf(s), s.result.response]),
    [['commented', 'Nice start.']],
  );
  const appended = derive(
    'scorm12',
    { comments: 'Nice start.' },
    { comments: 'Nice start. Too long though.' },
  );
  t.deepEqual(
    appended.map((s) => s.result.response),
    [' Too long though.'],
  );
  const replaced = derive('scorm12', { comments: 'Nice start.' }, { comments: 'Changed my mind' });
  t.deepEqual(
    replaced.map((s) => s.result.response),
    ['Changed my mind'],
  );
  t.is(replaced[0]!.timestamp, scope.timestamp);
});

test('SCORM 1.2 cmi.comments: no statement when unchanged or only blanks were added', (t) => {
  t.deepEqual(derive('scorm12', { comments: 'Same' }, { comments: 'Same' }), []);
  t.deepEqual(derive('scorm12', { comments: 'Same' }, { comments: 'Same  ' }), []);
});

test('comments and objectives sit between the interactions and the SCO status, session end last', (t) => {
  const next = {
    completion_status: 'completed',
    exit: 'normal',
    comments_from_learner: { '0': { comment: 'ok' } },
    objectives: { '0': { id: 'o', success_status: 'passed' } },
    interactions: { '0': { id: 'q1', type: 'true-false', learner_response: 'true', result: 'correct' } },
  };
  const out = deriveStatements('scorm2004', scope, 1, undefined, snap('scorm2004', next, true));
  validateStatements(out, '2.0.0');
  t.deepEqual(out.map(verbOf), [
    'initialized',
    'responded',
    'commented',
    'passed',
    'completed',
    'terminated',
  ]);
});
