import test from 'ava';
import { oneSco } from '../sco-package.ts';
import { eventually } from './backend.ts';
import { fixture, openGolfAtPage, reopenGolfAtPage, withFixtures } from './golf-fixtures.ts';
import { click, inSco, openPlayer, playerState, scoFrame, waitFor } from './player-page.ts';
import { playerSuite } from './suite.ts';

const golf = await withFixtures(test);
const suite = playerSuite(test);
const { run } = suite;

type Cmi12 = { core: Record<string, string>; suspend_data: string };

run(
  'SCORM 1.2: location, suspend_data and status survive closing the tab; the reopened SCO gets entry=resume',
  async (t) => {
    const { page, url, registration } = await suite.open(oneSco('1.2', 'Resume 1.2'), t.log);
    let sco = await scoFrame(page, 'only');
    const first = await playerState(page);
    t.log(`launch page → first SCO frame loaded: ${first.firstFrameMs} ms (cold)`);
    t.is(await inSco(sco, 'window.entry'), 'ab-initio');
    const suspend = `${'x'.repeat(4000)}|end`;
    await inSco(
      sco,
      `set('cmi.core.lesson_location','page-7'); set('cmi.suspend_data', ${JSON.stringify(suspend)});` +
        `set('cmi.core.lesson_status','incomplete'); set('cmi.core.exit','suspend'); commit();`,
    );
    await page.close({ runBeforeUnload: true });
    await eventually(async () => {
      const s = (await suite.backend.stored(registration)).only;
      const cmi = s?.cmi as Cmi12 | undefined;
      return s?.terminated && cmi?.core?.exit === 'suspend' && cmi.suspend_data === suspend
        ? true
        : undefined;
    }, 'the suspended, terminated session reaching the runtime');

    const again = await openPlayer(suite.browser.context, url, t.log);
    sco = await scoFrame(again, 'only');
    t.log(`launch page → first SCO frame loaded: ${(await playerState(again)).firstFrameMs} ms (warm cache)`);
    t.is(await inSco(sco, 'window.entry'), 'resume');
    t.is(await inSco(sco, "get('cmi.core.lesson_location')"), 'page-7');
    t.is(await inSco(sco, "get('cmi.suspend_data')"), suspend);
    t.is(await inSco(sco, "get('cmi.core.lesson_status')"), 'incomplete');
    t.regex(await inSco<string>(sco, "get('cmi.core.student_name')"), /^Learner \d+$/);
    await again.close();
  },
);

run(
  'SCORM 1.2 multi-SCO: the LMS navigates, prerequisites gate items, masteryscore decides passed/failed',
  async (t) => {
    const { page } = await suite.open(
      {
        version: '1.2',
        title: 'Prereqs',
        items: [
          { id: 'intro', title: 'Intro' },
          { id: 'lesson', title: 'Lesson', prerequisites: 'intro' },
          { id: 'quiz', title: 'Quiz', masteryScore: 80, prerequisites: 'intro & lesson' },
        ],
      },
      t.log,
    );
    let sco = await scoFrame(page, 'intro');
    // Lesson and quiz are locked until intro is completed.
    t.true(await page.isDisabled('#toc button[data-item="lesson"]'));
    t.true(await page.isDisabled('#continue'));
    await inSco(sco, "set('cmi.core.lesson_status','completed'); commit();");
    await page.waitForFunction(() => !(document.querySelector('#continue') as HTMLButtonElement).disabled);
    t.true(await page.isDisabled('#toc button[data-item="quiz"]'), 'quiz needs lesson too');
    await click(page, 'continue');
    sco = await scoFrame(page, 'lesson');
    t.is(await inSco(sco, "get('cmi.core.entry')"), 'ab-initio');
    await inSco(sco, "set('cmi.core.lesson_status','completed');");
    await click(page, 'previous');
    sco = await scoFrame(page, 'intro');
    t.is(await inSco(sco, "get('cmi.core.lesson_status')"), 'completed');
    // Choice from the table of contents, now that intro and lesson are completed.
    await page.waitForFunction(
      () => !(document.querySelector('#toc button[data-item="quiz"]') as HTMLButtonElement).disabled,
    );
    await page.click('#toc button[data-item="quiz"]');
    sco = await scoFrame(page, 'quiz');
    t.is(await inSco(sco, "get('cmi.student_data.mastery_score')"), '80');
    await inSco(sco, "set('cmi.core.score.raw','65'); set('cmi.core.lesson_status','completed'); finish();");
    // A SCO that finishes itself hands control back; quiz is the last one, so the course shows its end.
    let s = await waitFor(page, "s.phase === 'ended' && s.answers >= 4");
    await page.click('#toc button[data-item="quiz"]');
    sco = await scoFrame(page, 'quiz');
    t.is(
      await inSco(sco, "get('cmi.core.lesson_status')"),
      'failed',
      'masteryscore 80 with a raw score of 65',
    );
    await inSco(sco, "set('cmi.core.score.raw','92'); finish();");
    s = await waitFor(page, "s.phase === 'ended' && s.complete === true");
    t.true(await page.isVisible('#complete'));
    t.deepEqual(s.launched, ['intro', 'lesson', 'intro', 'quiz', 'quiz']);
    await page.close();
  },
);

golf('golf 1.2 multi-SCO (18 SCOs): Continue walks SCO to SCO through the whole course', async (t) => {
  t.timeout(120_000);
  const { page } = await suite.open(await fixture('golf-12-runtime-minimum-calls-multisco.zip'), t.log);
  await waitFor(page, "s.phase === 'launched'");
  const ids = await page.$$eval('#toc button[data-item]', (bs) =>
    bs.map((b) => (b as HTMLElement).dataset.item!),
  );
  t.is(ids.length, 18);
  await scoFrame(page, ids[0]);
  for (const id of ids.slice(1)) {
    await click(page, 'continue');
    await scoFrame(page, id);
  }
  t.true(await page.isDisabled('#continue'));
  await click(page, 'previous');
  await scoFrame(page, ids[16]);
  await page.click(`#toc button[data-item="${ids[3]}"]`);
  await scoFrame(page, ids[3]);
  const s = await playerState(page);
  t.deepEqual(s.launched, [...ids, ids[16], ids[3]]);
  // Every SCO ran LMSInitialize/LMSFinish; each finish is a terminated commit the runtime acknowledged.
  await waitFor(page, `s.answers >= ${ids.length + 1}`);
  await page.close();
});

golf(
  'golf 1.2 single SCO (basic calls) plays and resumes after the tab is closed and reopened',
  async (t) => {
    const { page, url, registration, sco } = await openGolfAtPage(
      suite,
      'golf-12-single-sco-basic-calls.zip',
      3,
      t.log,
    );
    t.is(await inSco(sco, "API.LMSGetValue('cmi.core.lesson_location')"), '3');
    await page.close({ runBeforeUnload: true });
    await eventually(async () => {
      const s = (await suite.backend.stored(registration)).item_1;
      return s?.terminated && (s.cmi as Cmi12).core?.exit === 'suspend' ? true : undefined;
    }, 'the suspended golf session reaching the runtime');
    const again = await reopenGolfAtPage(suite, url, 3, t.log);
    t.is(await inSco(again.sco, "API.LMSGetValue('cmi.core.entry')"), 'resume');
    await again.page.close();
  },
);

golf('golf 1.2 single SCO (packaging only) plays', async (t) => {
  const { page } = await suite.open(await fixture('golf-12-single-sco.zip'), t.log);
  await page.waitForFunction(() => {
    const f = document.querySelector('iframe#sco') as HTMLIFrameElement;
    return f.contentDocument?.readyState === 'complete' && f.contentDocument.body.textContent!.length > 0;
  });
  const s = await playerState(page);
  t.is(s.phase, 'launched');
  t.is(s.launched.length, 1);
  await page.close();
});

run(
  'SCORM 1.2: the shell’s "Suspend and exit" suspends the running SCO, which resumes next time',
  async (t) => {
    const { page, url, registration } = await suite.open(oneSco('1.2', 'Suspend 1.2'), t.log);
    const sco = await scoFrame(page, 'only');
    await inSco(sco, "set('cmi.core.lesson_location','p9'); set('cmi.suspend_data','kept');");
    await click(page, 'suspendAll');
    const s = await waitFor(page, "s.phase === 'ended'");
    t.regex(s.ended ?? '', /progress is saved/);
    await eventually(async () => {
      const st = (await suite.backend.stored(registration)).only;
      return st?.terminated && (st.cmi as Cmi12).core?.exit === 'suspend' ? true : undefined;
    }, 'the suspended session reaching the runtime');
    await page.close();
    const again = await openPlayer(suite.browser.context, url, t.log);
    const resumed = await scoFrame(again, 'only');
    t.is(await inSco(resumed, 'window.entry'), 'resume');
    t.is(await inSco(resumed, "get('cmi.suspend_data')"), 'kept');
    await again.close();
  },
);
