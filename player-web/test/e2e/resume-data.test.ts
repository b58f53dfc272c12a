import test from 'ava';
import { oneSco } from '../sco-package.ts';
import { eventually } from './backend.ts';
import { inSco, openPlayer, scoFrame } from './player-page.ts';
import { playerSuite } from './suite.ts';

/* Interactions, objectives and scores written in one session are there, unchanged, in the next. */

const suite = playerSuite(test);
const { run } = suite;

async function twoSessions(
  version: '1.2' | '2004',
  write: string,
  read: string,
  log: (s: string) => void,
): Promise<unknown> {
  const { page, url, registration } = await suite.open(oneSco(version, `Data ${version}`, 'Only'), log);
  await inSco(await scoFrame(page, 'only'), write);
  await page.close({ runBeforeUnload: true });
  await eventually(
    async () => ((await suite.backend.stored(registration)).only?.terminated ? true : undefined),
    'terminated',
  );
  const again = await openPlayer(suite.browser.context, url, log);
  const result = await inSco(await scoFrame(again, 'only'), read);
  await again.close();
  return result;
}

run('SCORM 1.2: objectives, interactions count, score and status resume', async (t) => {
  const result = await twoSessions(
    '1.2',
    `set('cmi.core.score.raw','72'); set('cmi.core.score.min','0'); set('cmi.core.score.max','100');
     set('cmi.objectives.0.id','obj-a'); set('cmi.objectives.0.status','passed'); set('cmi.objectives.0.score.raw','9');
     set('cmi.interactions.0.id','q1'); set('cmi.interactions.0.type','choice'); set('cmi.interactions.0.student_response','b');
     set('cmi.interactions.0.result','correct');
     set('cmi.core.lesson_status','incomplete'); set('cmi.core.exit','suspend');`,
    `[get('cmi.core.score.raw'), get('cmi.objectives._count'), get('cmi.objectives.0.id'), get('cmi.objectives.0.status'),
      get('cmi.objectives.0.score.raw'), get('cmi.interactions._count'), get('cmi.core.lesson_status'), get('cmi.core.entry')]`,
    t.log,
  );
  t.deepEqual(result, ['72', '1', 'obj-a', 'passed', '9', '1', 'incomplete', 'resume']);
});

run('SCORM 2004: objectives, interactions, score and statuses resume', async (t) => {
  const result = await twoSessions(
    '2004',
    `set('cmi.score.scaled','0.72'); set('cmi.score.raw','72');
     set('cmi.objectives.0.id','obj-a'); set('cmi.objectives.0.success_status','passed'); set('cmi.objectives.0.score.scaled','0.9');
     set('cmi.interactions.0.id','q1'); set('cmi.interactions.0.type','choice');
     set('cmi.interactions.0.learner_response','b'); set('cmi.interactions.0.result','correct');
     set('cmi.interactions.0.correct_responses.0.pattern','b');
     set('cmi.completion_status','incomplete'); set('cmi.progress_measure','0.5'); set('cmi.exit','suspend');`,
    `[get('cmi.score.scaled'), get('cmi.objectives._count'), get('cmi.objectives.0.id'),
      get('cmi.objectives.0.success_status'), get('cmi.interactions._count'), get('cmi.interactions.0.id'),
      get('cmi.interactions.0.learner_response'), get('cmi.interactions.0.correct_responses.0.pattern'),
      get('cmi.completion_status'), get('cmi.progress_measure'), get('cmi.entry')]`,
    t.log,
  );
  t.deepEqual(result, ['0.72', '1', 'obj-a', 'passed', '1', 'q1', 'b', 'b', 'incomplete', '0.5', 'resume']);
});
