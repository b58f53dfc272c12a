import test from 'ava';
import type { ScoInfo } from '../course-info.ts';
import type { CmiTree } from './data-model.ts';
import { applyLmsStatus2004, type ScoStatus, scoStatus } from './sco-status.ts';

/** A SCORM 2004 SCO with the Delivery Controls defaults (SN §3.13), as courseInfo gives an item without any. */
const sco2004 = (extra: Partial<ScoInfo> = {}): ScoInfo => ({
  id: 's',
  title: 'S',
  scormType: 'sco',
  tracked: true,
  completionSetByContent: false,
  objectiveSetByContent: false,
  ...extra,
});

const end = (cmi: CmiTree, sco = sco2004()) => scoStatus('scorm2004', cmi, sco, true);
const pick = ({ completion, success }: ScoStatus) => ({ completion, success });

test('SN UP.4 1.1.1.1/1.1.1.2: an attempt that ends with nothing set is completed and passed by the LMS', (t) => {
  t.deepEqual(pick(end({})), { completion: 'completed', success: 'passed' });
  t.deepEqual(pick(end({ exit: 'normal' })), { completion: 'completed', success: 'passed' });
  t.deepEqual(pick(end({ exit: 'time-out' })), { completion: 'completed', success: 'passed' });
  t.deepEqual(pick(end({ exit: 'logout' })), { completion: 'completed', success: 'passed' });
  t.deepEqual(
    pick(end({ completion_status: 'unknown', success_status: 'unknown' })),
    { completion: 'completed', success: 'passed' },
    '"unknown" is Attempt / Objective Progress Status false (RTE §4.2.4, §4.2.22)',
  );
});

test('SN UP.4: the defaults wait for the end of the attempt (a commit that is not terminating ends nothing)', (t) => {
  t.deepEqual(pick(scoStatus('scorm2004', {}, sco2004())), { completion: 'unknown', success: 'unknown' });
  t.deepEqual(pick(scoStatus('scorm2004', {}, sco2004(), false)), {
    completion: 'unknown',
    success: 'unknown',
  });
});

test('SN UP.4 1.1.1: cmi.exit "suspend" suspends the attempt (RTE §4.2.8), so the LMS sets nothing', (t) => {
  const s = end({ exit: 'suspend' });
  t.true(s.suspended);
  t.deepEqual(pick(s), { completion: 'unknown', success: 'unknown' });
});

test('SN UP.4 1.1.1.1: what the content reported is kept, "not attempted" and "incomplete" included', (t) => {
  t.is(end({ completion_status: 'incomplete' }).completion, 'incomplete');
  t.is(end({ completion_status: 'not attempted' }).completion, 'not attempted');
  t.is(end({ completion_status: 'completed' }).completion, 'completed');
});

test('SN UP.4 1.1.1.2: a success status the content reported is kept; failed stays failed', (t) => {
  t.is(end({ success_status: 'failed' }).success, 'failed');
  t.is(end({ success_status: 'passed' }).success, 'passed');
  t.deepEqual(
    pick(end({ completion_status: 'incomplete', success_status: 'failed' })),
    { completion: 'incomplete', success: 'failed' },
    'one status set does not stop the LMS from leaving the other alone',
  );
  t.deepEqual(pick(end({ success_status: 'failed' })), { completion: 'completed', success: 'failed' });
  t.deepEqual(pick(end({ completion_status: 'incomplete' })), {
    completion: 'incomplete',
    success: 'passed',
  });
});

test('SN §3.13 completionSetByContent / objectiveSetByContent true: the LMS leaves each status to the content', (t) => {
  t.deepEqual(pick(end({}, sco2004({ completionSetByContent: true }))), {
    completion: 'unknown',
    success: 'passed',
  });
  t.deepEqual(pick(end({}, sco2004({ objectiveSetByContent: true }))), {
    completion: 'completed',
    success: 'unknown',
  });
  t.deepEqual(pick(end({}, sco2004({ completionSetByContent: true, objectiveSetByContent: true }))), {
    completion: 'unknown',
    success: 'unknown',
  });
});

test('SN UP.4 1.1: an untracked SCO gets no status from the LMS, only what it reported', (t) => {
  const untracked = sco2004({ tracked: false });
  t.deepEqual(pick(end({}, untracked)), { completion: 'unknown', success: 'unknown' });
  t.deepEqual(pick(end({ completion_status: 'completed' }, untracked)), {
    completion: 'completed',
    success: 'unknown',
  });
});

test('RTE §4.2.4.1 / §4.2.22.1: the LMS evaluations come first and count as content-reported status', (t) => {
  const s = sco2004({ completionThreshold: 0.75, scaledPassingScore: 0.6 });
  t.deepEqual(pick(end({ progress_measure: '0.5', score: { scaled: '0.3' } }, s)), {
    completion: 'incomplete',
    success: 'failed',
  });
  t.deepEqual(pick(end({ progress_measure: '0.75', score: { scaled: '0.6' } }, s)), {
    completion: 'completed',
    success: 'passed',
  });
  // Threshold and passing score defined, nothing reported: progress status false, so UP.4 applies.
  t.deepEqual(pick(end({}, s)), { completion: 'completed', success: 'passed' });
  // The threshold overrides only when progress_measure is reported (RTE §4.2.4.1); else the SCO's own value.
  t.is(scoStatus('scorm2004', { completion_status: 'incomplete' }, s).completion, 'incomplete');
  t.is(scoStatus('scorm2004', {}, s).completion, 'unknown');
});

test('applyLmsStatus2004 is pure: the status it is given is untouched, and kept when nothing changes', (t) => {
  const status: ScoStatus = {
    completion: 'unknown',
    success: 'unknown',
    scoreScaled: null,
    suspended: false,
    sessionSeconds: 12,
  };
  const copy = structuredClone(status);
  t.deepEqual(applyLmsStatus2004(status, sco2004(), true), {
    ...status,
    completion: 'completed',
    success: 'passed',
  });
  t.deepEqual(status, copy);
  t.is(applyLmsStatus2004(status, sco2004(), false), status);
  const done: ScoStatus = { ...status, completion: 'completed', success: 'failed' };
  t.is(applyLmsStatus2004(done, sco2004(), true), done);
});

test('the LMS status is derived only: the CMI tree stays what the SCO reported (RTE §4.2.4, §4.2.22)', (t) => {
  const cmi: CmiTree = { location: 'p3', session_time: 'PT5S' };
  const copy = structuredClone(cmi);
  t.like(end(cmi), { completion: 'completed', success: 'passed', sessionSeconds: 5 });
  t.deepEqual(cmi, copy);
});

test('SCORM 2004 delivery defaults never reach SCORM 1.2 (its LMS status is applyLmsStatus12)', (t) => {
  t.deepEqual(pick(scoStatus('scorm12', { core: { lesson_status: 'incomplete' } }, sco2004(), true)), {
    completion: 'incomplete',
    success: 'unknown',
  });
});

test('a ScoInfo without Delivery Controls (built before they were read) gets the SN §3.13 defaults', (t) => {
  const bare: ScoInfo = { id: 's', title: 'S', scormType: 'sco' };
  t.deepEqual(pick(end({}, bare)), { completion: 'completed', success: 'passed' });
});
