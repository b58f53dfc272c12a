import test from 'ava';
import type { Json } from '../../lrs/model/statement-index.ts';
import { dataModelFor, validateCmi } from './validate-cmi.ts';

/*
 * The player commits scorm-again's renderCommitCMI(true) output. Here scorm-again itself (the version the player
 * bundles) produces that output from a realistic session, and the server's validation must accept it and keep
 * the learner's values, while dropping the read-only ones it echoes.
 */

// scorm-again looks for a browser; these are all it touches when constructed without a commit URL.
const g = globalThis as Record<string, unknown>;
g.window ??= globalThis;
g.document ??= { addEventListener() {}, readyState: 'complete' };

interface Api {
  [method: string]: (...args: string[]) => unknown;
}

test('a SCORM 1.2 session rendered by scorm-again validates, keeps the learner values and drops read-only ones', async (t) => {
  const { Scorm12API } = (await import('scorm-again/scorm12')) as unknown as {
    Scorm12API: new (s: object) => Api;
  };
  const api = new Scorm12API({ logLevel: 5, autocommit: false });
  api.loadFromJSON!(
    { core: { student_id: 'learner-1', student_name: 'Ada', entry: 'ab-initio' } } as never,
    'cmi',
  );
  api.LMSInitialize!('');
  for (const [k, v] of [
    ['cmi.core.lesson_status', 'incomplete'],
    ['cmi.core.lesson_location', 'page-4'],
    ['cmi.core.score.raw', '72'],
    ['cmi.core.exit', 'suspend'],
    ['cmi.core.session_time', '00:12:30'],
    ['cmi.suspend_data', 'a'.repeat(4000)],
    ['cmi.objectives.0.id', 'obj1'],
    ['cmi.objectives.0.status', 'passed'],
    ['cmi.interactions.0.id', 'q1'],
    ['cmi.interactions.0.type', 'true-false'],
    ['cmi.interactions.0.student_response', 't'],
    ['cmi.interactions.0.result', 'correct'],
    ['cmi.student_preference.audio', '50'],
  ]) {
    t.is(api.LMSSetValue!(k!, v!), 'true', `${k} accepted by scorm-again`);
  }
  const rendered = JSON.parse(JSON.stringify(api.renderCommitCMI!(true as never)));
  const stored = validateCmi(dataModelFor('scorm12'), rendered) as Record<string, Json>;
  t.is(stored.core.lesson_location, 'page-4');
  t.is(stored.core.score.raw, '72');
  t.is(stored.core.exit, 'suspend');
  t.is(stored.core.session_time, '00:12:30');
  t.is(stored.suspend_data.length, 4000);
  t.deepEqual(stored.objectives['0'], { id: 'obj1', status: 'passed', score: { max: '100' } });
  t.is(stored.interactions['0'].student_response, 't');
  t.is(stored.core.student_id, undefined, 'read-only, the runtime’s own');
  t.is(stored.core.entry, undefined);
  t.is(stored.core.total_time, undefined);
});

test('a SCORM 2004 session rendered by scorm-again validates, with its defaults and a 64,000-character suspend_data', async (t) => {
  const { Scorm2004API } = (await import('scorm-again/scorm2004')) as unknown as {
    Scorm2004API: new (s: object) => Api;
  };
  const api = new Scorm2004API({ logLevel: 5, autocommit: false });
  api.Initialize!('');
  for (const [k, v] of [
    ['cmi.completion_status', 'completed'],
    ['cmi.success_status', 'passed'],
    ['cmi.score.scaled', '0.85'],
    ['cmi.score.raw', '85'],
    ['cmi.progress_measure', '1'],
    ['cmi.location', 'slide-9'],
    ['cmi.exit', 'normal'],
    ['cmi.suspend_data', 's'.repeat(64000)],
    ['cmi.learner_preference.language', 'en-GB'],
    ['cmi.comments_from_learner.0.comment', '{lang=en}Nice course'],
    ['cmi.comments_from_learner.0.timestamp', '2026-11-28T09:00:00'],
    ['cmi.objectives.0.id', 'urn:crest:obj:1'],
    ['cmi.objectives.0.success_status', 'passed'],
    ['cmi.interactions.0.id', 'urn:crest:q:1'],
    ['cmi.interactions.0.type', 'choice'],
    ['cmi.interactions.0.learner_response', 'a[,]c'],
    ['cmi.interactions.0.correct_responses.0.pattern', 'a[,]c'],
    ['cmi.interactions.0.result', 'correct'],
    ['cmi.interactions.0.latency', 'PT12S'],
  ]) {
    t.is(api.SetValue!(k!, v!), 'true', `${k} accepted by scorm-again`);
  }
  const rendered = JSON.parse(JSON.stringify(api.renderCommitCMI!(true as never)));
  const stored = validateCmi(dataModelFor('scorm2004'), rendered) as Record<string, Json>;
  t.is(stored.completion_status, 'completed');
  t.is(stored.score.scaled, '0.85');
  t.is(stored.suspend_data.length, 64000);
  t.is(stored.interactions['0'].learner_response, 'a[,]c');
  t.is(stored.comments_from_learner['0'].comment, '{lang=en}Nice course');
  t.is(stored.learner_preference.audio_level, '1', 'scorm-again’s defaults are valid values');
  t.is(stored.credit, undefined);
  t.is(stored.mode, undefined);
  t.is(stored.time_limit_action, undefined);
});
