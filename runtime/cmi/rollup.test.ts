import test from 'ava';
import type { ScoInfo } from '../course-info.ts';
import { rollupCourse, type ScoOutcome, withRootActivity } from './rollup.ts';
import {
  applyLmsStatus12,
  cmiTimespan,
  durationSeconds,
  isoDuration,
  scoStatus,
  timespanSeconds,
} from './sco-status.ts';

const sco = (extra: Partial<ScoInfo> = {}): ScoInfo => ({ id: 's', title: 'S', scormType: 'sco', ...extra });
const outcome = (o: Partial<ScoOutcome>): ScoOutcome => ({
  completion: 'not attempted',
  success: 'unknown',
  scoreScaled: null,
  totalSeconds: 0,
  ...o,
});

test('SCORM 1.2: a mastery score turns a raw score into passed or failed (RTE §3.4)', (t) => {
  const cmi = (raw: string, status = 'completed') => ({ core: { lesson_status: status, score: { raw } } });
  t.like(scoStatus('scorm12', cmi('80'), sco({ masteryScore: 80 })), {
    completion: 'completed',
    success: 'passed',
    scoreScaled: 0.8,
  });
  t.like(scoStatus('scorm12', cmi('79.5'), sco({ masteryScore: 80 })), {
    completion: 'incomplete',
    success: 'failed',
  });
  t.like(scoStatus('scorm12', cmi('10'), sco()), {
    completion: 'completed',
    success: 'unknown',
    scoreScaled: 0.1,
  });
  t.like(scoStatus('scorm12', { core: { lesson_status: 'browsed' } }, sco()), { completion: 'incomplete' });
  t.like(scoStatus('scorm12', {}, sco()), { completion: 'not attempted', scoreScaled: null });
  t.true(scoStatus('scorm12', { core: { exit: 'suspend' } }, sco()).suspended);
});

test('SCORM 2004: completion threshold and scaled passing score are evaluated by the LMS (RTE §4.2)', (t) => {
  const s = sco({ completionThreshold: 0.75, scaledPassingScore: 0.6 });
  t.like(scoStatus('scorm2004', { completion_status: 'incomplete', progress_measure: '0.8' }, s), {
    completion: 'completed',
  });
  t.like(scoStatus('scorm2004', { completion_status: 'completed', progress_measure: '0.5' }, s), {
    completion: 'incomplete',
  });
  t.like(scoStatus('scorm2004', { success_status: 'failed', score: { scaled: '0.6' } }, s), {
    success: 'passed',
  });
  t.like(scoStatus('scorm2004', { success_status: 'passed', score: { scaled: '0.59' } }, s), {
    success: 'failed',
  });
  t.like(scoStatus('scorm2004', { completion_status: 'completed', success_status: 'passed' }, sco()), {
    completion: 'completed',
    success: 'passed',
  });
  t.is(scoStatus('scorm2004', { session_time: 'PT1H2M3.5S' }, sco()).sessionSeconds, 3723.5);
});

test('course rollup: completion needs every SCO; any failure fails; mean score; summed time', (t) => {
  const ids = ['a', 'b'];
  t.deepEqual(rollupCourse(ids, new Map()), {
    completion: 'not attempted',
    success: 'unknown',
    score: null,
    totalSeconds: 0,
    complete: false,
  });
  const half = rollupCourse(ids, new Map([['a', outcome({ completion: 'completed', totalSeconds: 60 })]]));
  t.like(half, { completion: 'incomplete', complete: false, totalSeconds: 60 });
  const done = rollupCourse(
    ids,
    new Map([
      ['a', outcome({ completion: 'completed', totalSeconds: 60 })],
      ['b', outcome({ completion: 'completed', success: 'passed', scoreScaled: 0.9, totalSeconds: 30 })],
    ]),
  );
  t.deepEqual(done, {
    completion: 'completed',
    success: 'passed',
    score: 0.9,
    totalSeconds: 90,
    complete: true,
  });
  const failed = rollupCourse(
    ids,
    new Map([
      ['a', outcome({ completion: 'completed', success: 'passed', scoreScaled: 1 })],
      ['b', outcome({ completion: 'incomplete', success: 'failed', scoreScaled: 0.2 })],
    ]),
  );
  t.like(failed, { completion: 'incomplete', success: 'failed', score: 0.6, complete: false });
  // Success and completion are independent (SCORM 2004 RTE §4.2): every SCO passed is a passed course, and a
  // passed course counts as done even before every SCO reports completion.
  const passedEarly = rollupCourse(
    ['a'],
    new Map([['a', outcome({ completion: 'incomplete', success: 'passed' })]]),
  );
  t.like(passedEarly, { completion: 'incomplete', success: 'passed', complete: true });
  const onePassed = rollupCourse(
    ids,
    new Map([['a', outcome({ completion: 'completed', success: 'passed' })]]),
  );
  t.like(onePassed, { success: 'unknown', complete: false }, 'an unreported SCO keeps success unknown');
});

test('SCORM 2004 sequencing: the root activity of the sequencing state decides when it knows', (t) => {
  const base = rollupCourse(['a'], new Map([['a', outcome({ completion: 'incomplete', scoreScaled: 0.4 })]]));
  const state = {
    activityStates: {
      org: {
        completionStatus: 'completed',
        objectiveSatisfiedStatusKnown: true,
        objectiveSatisfiedStatus: true,
        objectiveMeasureStatus: true,
        objectiveNormalizedMeasure: 0.7,
      },
      a: { completionStatus: 'incomplete' },
    },
  };
  t.deepEqual(withRootActivity(base, state, 'org'), {
    completion: 'completed',
    success: 'passed',
    score: 0.7,
    totalSeconds: 0,
    complete: true,
  });
  t.deepEqual(
    withRootActivity(base, { wrapped: state }, 'org').completion,
    'completed',
    'found inside a wrapper',
  );
  t.deepEqual(withRootActivity(base, state, 'other-org'), base);
  t.deepEqual(
    withRootActivity(base, { activityStates: { org: { completionStatus: 'unknown' } } }, 'org'),
    base,
  );
  t.deepEqual(withRootActivity(base, null, 'org'), base);
});

test('time formats: CMITimespan and ISO 8601 durations', (t) => {
  t.is(timespanSeconds('0001:30:05.50'), 5405.5);
  t.is(timespanSeconds('nonsense'), 0);
  t.is(durationSeconds('P1DT1S'), 86401);
  t.is(isoDuration(5405.5), 'PT1H30M5.5S');
  t.is(cmiTimespan(5405.5), '0001:30:05.50');
  t.is(cmiTimespan(0), '0000:00:00');
});

test('SCORM 1.2: on LMSFinish the LMS completes an unset status, then applies the mastery score', (t) => {
  const mastery = sco({ masteryScore: 80 });
  t.deepEqual(applyLmsStatus12({}, sco(), true), { core: { lesson_status: 'completed' } });
  t.deepEqual(applyLmsStatus12({ core: { lesson_status: 'not attempted' } }, sco(), true), {
    core: { lesson_status: 'completed' },
  });
  t.deepEqual(applyLmsStatus12({}, sco(), false), {}, 'not before LMSFinish');
  t.deepEqual(applyLmsStatus12({ core: { score: { raw: '85' } } }, mastery, true), {
    core: { score: { raw: '85' }, lesson_status: 'passed' },
  });
  t.deepEqual(
    applyLmsStatus12({ core: { lesson_status: 'incomplete', score: { raw: '60' } } }, mastery, false),
    {
      core: { lesson_status: 'failed', score: { raw: '60' } },
    },
  );
  const browsed = { core: { lesson_status: 'browsed' } };
  t.is(applyLmsStatus12(browsed, sco(), true), browsed, 'a status the SCO set is kept');
});
