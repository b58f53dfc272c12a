import test from 'ava';
import { choiceFlow, oneSco } from '../sco-package.ts';
import { eventually } from './backend.ts';
import { openGolfAtPage, reopenGolfAtPage, withFixtures } from './golf-fixtures.ts';
import { click, inSco, openPlayer, playerState, scoFrame, waitFor } from './player-page.ts';
import { playerSuite } from './suite.ts';

const golf = await withFixtures(test);
const suite = playerSuite(test);
const { run } = suite;

type Cmi2004 = Record<string, string>;

run(
  'SCORM 2004: a 64,000-character suspend_data and the location come back exactly after the tab is closed',
  async (t) => {
    const { page, url, registration } = await suite.open(oneSco('2004', 'Resume 2004'), t.log);
    let sco = await scoFrame(page, 'only');
    t.log(`launch page → first SCO frame loaded: ${(await playerState(page)).firstFrameMs} ms`);
    t.is(await inSco(sco, 'window.entry'), 'ab-initio');
    // Every printable ASCII character, and a multi-byte one, repeated to exactly 64,000 characters.
    const chars = `${Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('')}é`;
    const suspend = chars.repeat(Math.ceil(64_000 / chars.length)).slice(0, 64_000);
    await inSco(
      sco,
      `window.r = [set('cmi.location','chapter-3/page-2'), set('cmi.suspend_data', ${JSON.stringify(suspend)}),` +
        `set('cmi.completion_status','incomplete'), set('cmi.exit','suspend'), commit()]`,
    );
    t.deepEqual(await inSco(sco, 'window.r'), ['true', 'true', 'true', 'true', 'true']);
    // The Commit went by fetch and was acknowledged: the runtime has the data before the tab closes.
    await waitFor(page, 's.answers >= 1');
    const before = (await suite.backend.stored(registration)).only;
    t.is((before?.cmi as Cmi2004 | undefined)?.suspend_data, suspend);
    await page.close({ runBeforeUnload: true });
    // The terminating commit is over sendBeacon's 64 KiB budget, so it waits in localStorage; the next
    // launch sends it first, and resumes from it.

    const again = await openPlayer(suite.browser.context, url, t.log);
    sco = await scoFrame(again, 'only');
    t.is(await inSco(sco, 'window.entry'), 'resume');
    t.is(await inSco(sco, "get('cmi.location')"), 'chapter-3/page-2');
    const back = await inSco<string>(sco, "get('cmi.suspend_data')");
    t.is(back.length, 64_000);
    t.true(back === suspend, 'suspend_data is identical, character for character');
    await eventually(
      async () => ((await suite.backend.stored(registration)).only?.terminated ? true : undefined),
      'the queued terminating commit reaching the runtime',
    );
    await again.close();
  },
);

run(
  'SCORM 2004: the SCO drives navigation with adl.nav.request (continue, previous, choice, exitAll)',
  async (t) => {
    const { page } = await suite.open(choiceFlow('Nav requests', ['one', 'two', 'three']), t.log);
    let sco = await scoFrame(page, 'one');
    t.is(await inSco(sco, "get('adl.nav.request_valid.continue')"), 'true');
    t.is(await inSco(sco, "get('adl.nav.request_valid.previous')"), 'false');
    t.is(await inSco(sco, "get('adl.nav.request_valid.choice.{target=three}')"), 'true');
    await inSco(
      sco,
      "set('cmi.completion_status','completed'); set('adl.nav.request','continue'); finish();",
    );
    sco = await scoFrame(page, 'two');
    t.is(await inSco(sco, "get('adl.nav.request_valid.previous')"), 'true');
    await inSco(sco, "set('adl.nav.request','previous'); finish();");
    sco = await scoFrame(page, 'one');
    await inSco(sco, "set('adl.nav.request','{target=three}choice'); finish();");
    sco = await scoFrame(page, 'three');
    await inSco(sco, "set('cmi.completion_status','completed'); set('adl.nav.request','exitAll'); finish();");
    const s = await waitFor(page, "s.phase === 'ended'");
    t.deepEqual(s.launched, ['one', 'two', 'one', 'three']);
    t.regex(s.ended ?? '', /left the course/);
    await page.close();
  },
);

run(
  'SCORM 2004: the shell buttons send continue, previous, choice and suspendAll to the sequencer',
  async (t) => {
    const { page, url, registration } = await suite.open(choiceFlow('Shell nav', ['one', 'two']), t.log);
    await scoFrame(page, 'one');
    await page.waitForFunction(() => (document.getElementById('previous') as HTMLButtonElement).disabled);
    await click(page, 'continue');
    await scoFrame(page, 'two');
    await click(page, 'previous');
    await scoFrame(page, 'one');
    await page.click('#toc button[data-item="two"]');
    let sco = await scoFrame(page, 'two');
    // The SCO sets no cmi.exit: the shell's Suspend and exit makes the session a suspended one.
    await inSco(sco, "set('cmi.location','here');");
    await click(page, 'suspendAll');
    const s = await waitFor(page, "s.phase === 'ended'");
    t.regex(s.ended ?? '', /progress is saved/);
    await eventually(
      async () => ((await suite.backend.stored(registration)).two?.terminated ? true : undefined),
      'terminated',
    );
    await page.close();
    // resumeAll brings the learner back to the suspended activity.
    const again = await openPlayer(suite.browser.context, url, t.log);
    sco = await scoFrame(again, 'two');
    t.is(await inSco(sco, 'window.entry'), 'resume');
    t.is(await inSco(sco, "get('cmi.location')"), 'here');
    await again.close();
  },
);

golf(
  'golf 2004 (3rd ed.): plays, honours its adl.nav.request suspendAll, and resumes where it was',
  async (t) => {
    const { page, url, registration, sco } = await openGolfAtPage(
      suite,
      'golf-2004-3rd-runtime-basic-calls.zip',
      4,
      t.log,
    );
    t.is(await inSco(sco, "API.GetValue('cmi.location')"), '4');
    // The golf Exit button asks "save your progress?" (accepted), sets cmi.exit=suspend and
    // adl.nav.request=suspendAll, then terminates: the player must take the content away.
    await sco.click('#butExit');
    const s = await waitFor(page, "s.phase === 'ended'");
    t.regex(s.ended ?? '', /progress is saved/);
    await eventually(async () => {
      const st = (await suite.backend.stored(registration)).item_1;
      return st?.terminated && (st.cmi as Cmi2004).location === '4' ? true : undefined;
    }, 'the suspended golf 2004 session reaching the runtime');
    await page.close();
    const again = await reopenGolfAtPage(suite, url, 4, t.log);
    t.is(await inSco(again.sco, "API.GetValue('cmi.entry')"), 'resume');
    await again.page.close();
  },
);

run(
  'Exit ends the course: the last commit is acknowledged, then the player goes to the exit URL',
  async (t) => {
    const exitUrl = `${suite.backend.apiOrigin}/healthz?from=player`;
    const { page, registration } = await suite.open(oneSco('2004', 'Exit URL'), t.log, { exitUrl });
    const sco = await scoFrame(page, 'only');
    await inSco(sco, "set('cmi.completion_status','completed');");
    await click(page, 'exitAll');
    await page.waitForURL(exitUrl);
    const s = (await suite.backend.stored(registration)).only;
    t.true(s?.terminated);
    t.is((s?.cmi as Cmi2004 | undefined)?.completion_status, 'completed');
    await page.close();
  },
);

run(
  'SCORM 2004: a tab closed in the second SCO (exit=suspend, no suspendAll) reopens in that SCO',
  async (t) => {
    const { page, url, registration } = await suite.open(
      choiceFlow('Closed tab', ['one', { id: 'two', title: 'Two', script: "set('cmi.exit','suspend');" }]),
      t.log,
    );
    await scoFrame(page, 'one');
    await click(page, 'continue');
    const sco = await scoFrame(page, 'two');
    await inSco(sco, "set('cmi.location','two-3'); commit();");
    await page.close({ runBeforeUnload: true });
    await eventually(
      async () => ((await suite.backend.stored(registration)).two?.terminated ? true : undefined),
      'terminated',
    );
    const again = await openPlayer(suite.browser.context, url, t.log);
    const resumed = await scoFrame(again, 'two');
    t.is(await inSco(resumed, 'window.entry'), 'resume');
    t.is(await inSco(resumed, "get('cmi.location')"), 'two-3');
    await again.close();
  },
);
