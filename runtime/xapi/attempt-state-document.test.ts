import test from 'ava';
import type { Json } from '../../lrs/model/statement-index.ts';
import { dataModelFor, validateCmi } from '../cmi/validate-cmi.ts';
import { ATTEMPT_STATE_ID } from './activity-iris.ts';
import { type AttemptStateInput, attemptStateDocument } from './attempt-state-document.ts';
import { scormTimeToIso } from './scorm-time.ts';

const LAUNCHED: AttemptStateInput = { credit: 'credit', mode: 'normal', totalSeconds: 1234.5 };

/** The tree as stored: through the data model, which drops the read-only elements the browser echoes. */
const stored = (standard: 'scorm12' | 'scorm2004', cmi: Json) => validateCmi(dataModelFor(standard), cmi);

test('the stateId is the profile\'s (Appendix "SCORM Activity Attempt State")', (t) => {
  t.is(ATTEMPT_STATE_ID, 'https://w3id.org/xapi/scorm/attempt-state');
});

test('SCORM 2004: location, preferences, credit, mode and total time', (t) => {
  const cmi = stored('scorm2004', {
    location: 'page-02',
    learner_preference: {
      audio_level: '1.5',
      language: 'fr-CA',
      delivery_speed: '0.75',
      audio_captioning: '1',
    },
    // Read-only: never taken from the browser, so the launch values are what count.
    credit: 'no-credit',
    mode: 'review',
    total_time: 'PT99H',
    suspend_data: 'not part of this document',
  });
  const doc = attemptStateDocument('scorm2004', cmi, LAUNCHED);
  t.deepEqual(doc, {
    credit: 'credit',
    mode: 'normal',
    location: 'page-02',
    preferences: { audio_level: 1.5, language: 'fr-CA', delivery_speed: 0.75, audio_captioning: 1 },
    total_time: 'PT0H20M34.5S',
  });
  t.deepEqual(
    Object.keys(doc),
    ['credit', 'mode', 'location', 'preferences', 'total_time'],
    'the table order',
  );
});

test('SCORM 1.2: core.lesson_location and student_preference', (t) => {
  const cmi = stored('scorm12', {
    core: { lesson_location: 'slide-7', lesson_status: 'incomplete' },
    student_preference: { audio: '80', language: 'en', speed: '0', text: '-1' },
  });
  t.deepEqual(
    attemptStateDocument('scorm12', cmi, { credit: 'no-credit', mode: 'browse', totalSeconds: 42 }),
    {
      credit: 'no-credit',
      mode: 'browse',
      location: 'slide-7',
      preferences: { audio_level: 80, language: 'en', delivery_speed: 0, audio_captioning: -1 },
      total_time: 'PT0H0M42S',
    },
  );
});

test('values outside the profile schema are left out, and so is an empty preferences object', (t) => {
  // SCORM 1.2 audio -1 (off) and a negative speed are below the profile's "0 to *"; "English" is no language code.
  const cmi = stored('scorm12', { student_preference: { audio: '-1', language: 'English', speed: '-20' } });
  t.deepEqual(attemptStateDocument('scorm12', cmi, LAUNCHED), {
    credit: 'credit',
    mode: 'normal',
    total_time: 'PT0H20M34.5S',
  });
});

test('a fresh attempt: only what the LMS set at launch', (t) => {
  t.deepEqual(attemptStateDocument('scorm2004', {}, { credit: 'credit', mode: 'normal', totalSeconds: 0 }), {
    credit: 'credit',
    mode: 'normal',
    total_time: 'PT0H0M0S',
  });
});

test("comments from the LMS: the profile's comment objects, timestamps as ISO 8601 date-times", (t) => {
  const doc = attemptStateDocument(
    'scorm2004',
    {},
    {
      ...LAUNCHED,
      commentsFromLms: [
        { comment: 'Read chapter 2 first', location: 'intro', timestamp: '2026-11-01T09:30' },
        { comment: 'No time', timestamp: 'yesterday' },
        { comment: '' },
      ],
    },
  );
  t.deepEqual(doc.comments_from_lms, [
    { comment: 'Read chapter 2 first', location: 'intro', timestamp: '2026-11-01T09:30:00.000Z' },
    { comment: 'No time' },
  ]);
  t.is(Object.keys(doc)[0], 'comments_from_lms');
});

test('the same inputs give the same JSON text, and a change of location or time a different one', (t) => {
  const cmi = stored('scorm2004', { location: 'p1' });
  const text = JSON.stringify(attemptStateDocument('scorm2004', cmi, LAUNCHED));
  t.is(JSON.stringify(attemptStateDocument('scorm2004', structuredClone(cmi), { ...LAUNCHED })), text);
  t.not(
    JSON.stringify(attemptStateDocument('scorm2004', stored('scorm2004', { location: 'p2' }), LAUNCHED)),
    text,
  );
  t.not(JSON.stringify(attemptStateDocument('scorm2004', cmi, { ...LAUNCHED, totalSeconds: 1300 })), text);
});

test('scormTimeToIso: SCORM 2004 time (second,10,0) prefixes and zones', (t) => {
  t.is(scormTimeToIso('2026-11-28T07:59:30.5+01:00'), '2026-11-28T06:59:30.500Z');
  t.is(scormTimeToIso('2026-11-28T07:59:30.25Z'), '2026-11-28T07:59:30.250Z');
  t.is(scormTimeToIso('2026-11-28T07:59:30-05'), '2026-11-28T12:59:30.000Z');
  t.is(scormTimeToIso('2026-11-28T07:59:30-0530'), '2026-11-28T13:29:30.000Z');
  t.is(scormTimeToIso('2026-11-28T07'), '2026-11-28T07:00:00.000Z', 'no zone: read as UTC');
  t.is(scormTimeToIso('2026-11'), '2026-11-01T00:00:00.000Z');
  t.is(scormTimeToIso('2026'), '2026-01-01T00:00:00.000Z');
  t.is(scormTimeToIso('2026-02-30T00:00:00Z'), undefined, 'no such day');
  t.is(scormTimeToIso('2026-01-01T24:00:00Z'), undefined);
  t.is(scormTimeToIso('2026-13'), undefined);
  t.is(scormTimeToIso('yesterday'), undefined);
  t.is(scormTimeToIso(''), undefined);
});
