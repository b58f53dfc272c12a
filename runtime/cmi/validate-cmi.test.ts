import test from 'ava';
import { isAppError } from '../../core/errors.ts';
import type { CmiTree } from './data-model.ts';
import { setValue, valueAt } from './tree.ts';
import { dataModelFor, validateCmi } from './validate-cmi.ts';

/*
 * Fixture replay, in the manner of scorm-again's and ADL's conformance tables: one row per (version, element,
 * value) with the expected outcome — stored as is, dropped (read-only: the runtime's value wins), or refused
 * with CMI_INVALID naming the element and quoting the rule's spec section.
 */

type Expect = 'stored' | 'dropped' | { invalid: RegExp };

interface Row {
  element: string;
  value: string;
  expect: Expect;
}

const ok = 'stored' as const;
const ro = 'dropped' as const;
const bad = (rule: RegExp): Expect => ({ invalid: rule });

const SCORM12: Row[] = [
  { element: 'cmi.core.lesson_status', value: 'passed', expect: ok },
  { element: 'cmi.core.lesson_status', value: 'not attempted', expect: ok },
  {
    element: 'cmi.core.lesson_status',
    value: 'complete',
    expect: bad(/one of "passed".*§3\.4, cmi\.core\.lesson_status/),
  },
  { element: 'cmi.core.lesson_status', value: 'Passed', expect: bad(/one of/) },
  { element: 'cmi.core.lesson_location', value: 'x'.repeat(255), expect: ok },
  { element: 'cmi.core.lesson_location', value: 'x'.repeat(256), expect: bad(/at most 255 characters/) },
  { element: 'cmi.core.score.raw', value: '85', expect: ok },
  { element: 'cmi.core.score.raw', value: '72.5', expect: ok },
  { element: 'cmi.core.score.raw', value: '101', expect: bad(/from 0 to 100/) },
  { element: 'cmi.core.score.raw', value: 'eighty', expect: bad(/CMIDecimal/) },
  { element: 'cmi.core.score.min', value: '-1', expect: bad(/from 0 to 100/) },
  { element: 'cmi.core.exit', value: 'suspend', expect: ok },
  { element: 'cmi.core.exit', value: 'time-out', expect: ok },
  { element: 'cmi.core.exit', value: 'normal', expect: bad(/one of "time-out", "suspend", "logout"/) },
  { element: 'cmi.core.session_time', value: '0000:30:00', expect: ok },
  { element: 'cmi.core.session_time', value: '12:30:05.25', expect: ok },
  { element: 'cmi.core.session_time', value: 'PT30M', expect: bad(/CMITimespan/) },
  { element: 'cmi.core.session_time', value: '00:61:00', expect: bad(/CMITimespan/) },
  { element: 'cmi.core.student_id', value: 'someone-else', expect: ro },
  { element: 'cmi.core.student_name', value: 'Mallory', expect: ro },
  { element: 'cmi.core.credit', value: 'no-credit', expect: ro },
  { element: 'cmi.core.entry', value: 'resume', expect: ro },
  { element: 'cmi.core.total_time', value: '9999:00:00', expect: ro },
  { element: 'cmi.core.lesson_mode', value: 'review', expect: ro },
  { element: 'cmi.launch_data', value: 'x', expect: ro },
  { element: 'cmi.comments_from_lms', value: 'x', expect: ro },
  { element: 'cmi.student_data.mastery_score', value: '10', expect: ro },
  { element: 'cmi.suspend_data', value: 'x'.repeat(4096), expect: ok },
  {
    element: 'cmi.suspend_data',
    value: 'x'.repeat(4097),
    expect: bad(/at most 4096 characters.*CMIString4096/),
  },
  { element: 'cmi.comments', value: 'x'.repeat(4097), expect: bad(/at most 4096/) },
  { element: 'cmi.student_preference.audio', value: '-1', expect: ok },
  { element: 'cmi.student_preference.audio', value: '101', expect: bad(/from -1 to 100/) },
  { element: 'cmi.student_preference.speed', value: '-100', expect: ok },
  { element: 'cmi.student_preference.text', value: '2', expect: bad(/from -1 to 1/) },
  { element: 'cmi.objectives.0.id', value: 'obj-1', expect: ok },
  { element: 'cmi.objectives.0.id', value: 'has space', expect: bad(/CMIIdentifier/) },
  { element: 'cmi.objectives.0.status', value: 'failed', expect: ok },
  { element: 'cmi.objectives.0.status', value: 'unknown', expect: bad(/one of/) },
  { element: 'cmi.interactions.0.id', value: 'q1', expect: ok },
  { element: 'cmi.interactions.0.type', value: 'choice', expect: ok },
  { element: 'cmi.interactions.0.type', value: 'long-fill-in', expect: bad(/one of "true-false"/) },
  { element: 'cmi.interactions.0.result', value: 'wrong', expect: ok },
  { element: 'cmi.interactions.0.result', value: 'incorrect', expect: bad(/"wrong"/) },
  { element: 'cmi.interactions.0.result', value: '0.5', expect: ok },
  { element: 'cmi.interactions.0.time', value: '13:45:00', expect: ok },
  { element: 'cmi.interactions.0.time', value: '25:00:00', expect: bad(/CMITime/) },
  { element: 'cmi.interactions.0.latency', value: '0000:00:05', expect: ok },
  { element: 'cmi.interactions.0.weighting', value: '1.5', expect: ok },
  { element: 'cmi.interactions.0.correct_responses.0.pattern', value: 'a', expect: ok },
  { element: 'cmi.core.lesson_grade', value: 'A', expect: bad(/not one/) },
  { element: 'cmi.unknown_element', value: 'x', expect: bad(/element of the SCORM 1\.2 data model/) },
];

const SCORM2004: Row[] = [
  { element: 'cmi.completion_status', value: 'completed', expect: ok },
  { element: 'cmi.completion_status', value: 'unknown', expect: ok },
  {
    element: 'cmi.completion_status',
    value: 'passed',
    expect: bad(/one of "completed".*RTE §4\.2, cmi\.completion_status/),
  },
  { element: 'cmi.success_status', value: 'failed', expect: ok },
  { element: 'cmi.success_status', value: 'completed', expect: bad(/one of "passed", "failed", "unknown"/) },
  { element: 'cmi.exit', value: 'normal', expect: ok },
  { element: 'cmi.exit', value: 'time-out', expect: ok },
  { element: 'cmi.exit', value: 'quit', expect: bad(/one of/) },
  { element: 'cmi.location', value: 'x'.repeat(1000), expect: ok },
  { element: 'cmi.location', value: 'x'.repeat(1001), expect: bad(/at most 1000.*SPM 1000/) },
  { element: 'cmi.suspend_data', value: 'x'.repeat(64000), expect: ok },
  { element: 'cmi.suspend_data', value: 'x'.repeat(64001), expect: bad(/at most 64000.*SPM 64000/) },
  { element: 'cmi.score.scaled', value: '-1', expect: ok },
  { element: 'cmi.score.scaled', value: '0.8765432', expect: ok },
  { element: 'cmi.score.scaled', value: '1.01', expect: bad(/from -1 to 1/) },
  { element: 'cmi.score.scaled', value: '0.12345678', expect: bad(/real\(10,7\)/) },
  { element: 'cmi.score.raw', value: '-250.5', expect: ok },
  { element: 'cmi.progress_measure', value: '1', expect: ok },
  { element: 'cmi.progress_measure', value: '1.5', expect: bad(/from 0 to 1/) },
  { element: 'cmi.session_time', value: 'PT1H30M5.25S', expect: ok },
  { element: 'cmi.session_time', value: 'P1DT2H', expect: ok },
  { element: 'cmi.session_time', value: '00:30:00', expect: bad(/ISO 8601 duration/) },
  { element: 'cmi.session_time', value: 'PT', expect: bad(/ISO 8601 duration/) },
  { element: 'cmi.learner_id', value: 'mallory', expect: ro },
  { element: 'cmi.learner_name', value: 'Mallory', expect: ro },
  { element: 'cmi.credit', value: 'no-credit', expect: ro },
  { element: 'cmi.entry', value: 'resume', expect: ro },
  { element: 'cmi.mode', value: 'review', expect: ro },
  { element: 'cmi.total_time', value: 'PT100H', expect: ro },
  { element: 'cmi.scaled_passing_score', value: '0', expect: ro },
  { element: 'cmi.completion_threshold', value: '0', expect: ro },
  { element: 'cmi.comments_from_lms.0.comment', value: 'forged', expect: ro },
  { element: 'cmi.learner_preference.audio_level', value: '2.5', expect: ok },
  { element: 'cmi.learner_preference.audio_level', value: '-1', expect: bad(/from 0/) },
  { element: 'cmi.learner_preference.language', value: 'en-US', expect: ok },
  { element: 'cmi.learner_preference.language', value: 'english!', expect: bad(/language tag/) },
  { element: 'cmi.learner_preference.audio_captioning', value: '1', expect: ok },
  { element: 'cmi.learner_preference.audio_captioning', value: '2', expect: bad(/one of "-1", "0", "1"/) },
  { element: 'cmi.comments_from_learner.0.comment', value: '{lang=en}Great', expect: ok },
  {
    element: 'cmi.comments_from_learner.0.comment',
    value: `{lang=en}${'x'.repeat(4001)}`,
    expect: bad(/at most 4000/),
  },
  { element: 'cmi.comments_from_learner.0.timestamp', value: '2026-11-28T10:15:30Z', expect: ok },
  { element: 'cmi.comments_from_learner.0.timestamp', value: '28/11/2026', expect: bad(/ISO 8601 time/) },
  { element: 'cmi.objectives.0.id', value: 'urn:crest:objective:1', expect: ok },
  { element: 'cmi.objectives.0.id', value: 'urn:x', expect: bad(/long_identifier_type/) },
  { element: 'cmi.objectives.0.success_status', value: 'passed', expect: ok },
  { element: 'cmi.objectives.0.description', value: 'x'.repeat(251), expect: bad(/at most 250/) },
  { element: 'cmi.interactions.0.id', value: 'http://example.com/q1', expect: ok },
  { element: 'cmi.interactions.0.type', value: 'long-fill-in', expect: ok },
  { element: 'cmi.interactions.0.type', value: 'essay', expect: bad(/one of "true-false"/) },
  { element: 'cmi.interactions.0.result', value: 'incorrect', expect: ok },
  { element: 'cmi.interactions.0.result', value: 'wrong', expect: bad(/"incorrect"/) },
  { element: 'cmi.interactions.0.latency', value: 'PT5S', expect: ok },
  { element: 'cmi.interactions.0.timestamp', value: '2026-11-28T10:15', expect: ok },
  {
    element: 'cmi.core.lesson_status',
    value: 'completed',
    expect: bad(/element of the SCORM 2004 data model/),
  },
];

function treeWith(element: string, value: string): CmiTree {
  const tree: CmiTree = {};
  setValue(tree, element.replace(/^cmi\./, ''), value);
  return tree;
}

for (const [version, rows] of [
  ['scorm12', SCORM12],
  ['scorm2004', SCORM2004],
] as const) {
  for (const row of rows) {
    const shown = row.value.length > 24 ? `${row.value.slice(0, 12)}…(${row.value.length})` : row.value;
    const expected = typeof row.expect === 'string' ? row.expect : 'CMI_INVALID';
    test(`${version}: ${row.element} = "${shown}" → ${expected}`, (t) => {
      const model = dataModelFor(version);
      const input = treeWith(row.element, row.value);
      if (typeof row.expect === 'object') {
        const err = t.throws(() => validateCmi(model, input));
        t.true(isAppError(err));
        t.is((err as { code?: string }).code, 'CMI_INVALID');
        const details = (err as unknown as { details: { element: string; rule: string } }).details;
        // The element named is the one at fault: the leaf, or the first part that is not in the data model.
        t.true(row.element.startsWith(details.element), details.element);
        t.regex(details.rule, row.expect.invalid);
        t.regex(details.rule, version === 'scorm12' ? /SCORM 1\.2 RTE §3\.4/ : /SCORM 2004 RTE §4\.2/);
        return;
      }
      const out = validateCmi(model, input);
      const path = row.element.replace(/^cmi\./, '');
      t.is(valueAt(out, path), row.expect === 'stored' ? row.value : '');
    });
  }
}

test('scorm2004: a learner_response must fit the interaction type (RTE §4.2 learner_response)', (t) => {
  const model = dataModelFor('scorm2004');
  const interaction = (type: string, response: string) => ({
    interactions: { '0': { id: 'q1', type, learner_response: response } },
  });
  t.notThrows(() => validateCmi(model, interaction('true-false', 'false')));
  t.notThrows(() => validateCmi(model, interaction('choice', 'a[,]b[,]c')));
  t.notThrows(() => validateCmi(model, interaction('numeric', '3.25')));
  for (const [type, response] of [
    ['true-false', 'yes'],
    ['numeric', 'three'],
    ['choice', 'a b'],
    ['likert', 'strongly agree'],
  ]) {
    const err = t.throws(() => validateCmi(model, interaction(type!, response!)));
    t.is(
      (err as unknown as { details: { element: string } }).details.element,
      'cmi.interactions.0.learner_response',
    );
  }
  const noType = t.throws(() =>
    validateCmi(model, { interactions: { '0': { id: 'q1', learner_response: 'a' } } }),
  );
  t.regex(noType!.message, /type must be set/);
});

test('scorm2004: correct_responses per type and collection sizes (SPM) are enforced', (t) => {
  const model = dataModelFor('scorm2004');
  const two = { '0': { pattern: 'true' }, '1': { pattern: 'false' } };
  const err = t.throws(() =>
    validateCmi(model, { interactions: { '0': { id: 'q', type: 'true-false', correct_responses: two } } }),
  );
  t.regex((err as unknown as { details: { rule: string } }).details.rule, /at most 1 correct response/);
  const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [String(i), { id: `urn:o:${i}` }]));
  const tooMany = t.throws(() => validateCmi(model, { objectives: many }));
  t.regex((tooMany as unknown as { details: { rule: string } }).details.rule, /at most 100 entries.*SPM 100/);
});

test('collections fill from 0 without gaps; arrays and {"0": …} objects are both accepted', (t) => {
  const model = dataModelFor('scorm12');
  const gap = t.throws(() => validateCmi(model, { objectives: { '1': { id: 'o' } } }));
  t.is((gap as unknown as { details: { element: string } }).details.element, 'cmi.objectives.1');
  const out = validateCmi(model, { objectives: [{ id: 'a' }, { id: 'b' }] });
  t.deepEqual(out, { objectives: { '0': { id: 'a' }, '1': { id: 'b' } } });
});

test('the {cmi: …} wrapper of renderCommitCMI is unwrapped; keywords and empty values are not stored', (t) => {
  const model = dataModelFor('scorm12');
  const out = validateCmi(model, {
    cmi: {
      _version: '3.4',
      core: { lesson_status: 'completed', lesson_location: '', score: { raw: '', max: '100' } },
    },
  });
  t.deepEqual(out, { core: { lesson_status: 'completed', score: { max: '100' } } });
});

test('a value that is not a string (an object where a leaf belongs) is refused', (t) => {
  const err = t.throws(() => validateCmi(dataModelFor('scorm2004'), { location: { nested: 'x' } }));
  t.is((err as unknown as { details: { element: string } }).details.element, 'cmi.location');
});

test('a value holding U+0000 is refused naming the element (PostgreSQL text cannot store it)', (t) => {
  for (const standard of ['scorm12', 'scorm2004'] as const) {
    const cmi = { suspend_data: 'a\u0000b' };
    const err = t.throws(() => validateCmi(dataModelFor(standard), cmi));
    t.true(isAppError(err));
    t.is((err as unknown as { details: { element: string } }).details.element, 'cmi.suspend_data');
    t.regex((err as unknown as { details: { rule: string } }).details.rule, /U\+0000/);
  }
  t.is(
    valueAt(validateCmi(dataModelFor('scorm2004'), { suspend_data: 'a\u0001b' }), 'suspend_data'),
    'a\u0001b',
  );
});
