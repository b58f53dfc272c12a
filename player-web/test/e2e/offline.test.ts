import test from 'ava';
import { oneSco, packageZip } from '../sco-package.ts';
import { eventually } from './backend.ts';
import { inSco, openPlayer, playerState, scoFrame, waitFor } from './player-page.ts';
import { playerSuite } from './suite.ts';

const suite = playerSuite(test);
const { run } = suite;
let course: string;
test.serial.before(async () => {
  course = await suite.backend.addCourse(await packageZip(oneSco('2004', 'Offline')));
});

/** A new learner on the course, in a new tab, with the SCO running. */
async function launchOnly(log: (s: string) => void) {
  const { url, registration } = await suite.backend.launch(course);
  const page = await openPlayer(suite.browser.context, url, log);
  return { url, registration, page, sco: await scoFrame(page, 'only') };
}

type Cmi2004 = Record<string, string>;
const saveText = (page: import('playwright-core').Page) => page.textContent('#save');
const queued = (page: import('playwright-core').Page) =>
  page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('crest-commits:')).length);

run(
  'network cut mid-session: commits queue in localStorage, the shell says so, and all data arrives after reconnecting',
  async (t) => {
    const { registration, page, sco } = await launchOnly(t.log);
    await inSco(sco, "set('cmi.location','p1'); commit();");
    await waitFor(page, 's.answers >= 1');
    t.is(await saveText(page), 'Saved');

    await suite.browser.context.setOffline(true);
    // The SCO is not blocked and is told its data is safe: it is, in localStorage.
    t.is(await inSco(sco, "set('cmi.location','p2'); set('cmi.suspend_data','offline-1'); commit()"), 'true');
    await page.waitForFunction(() => document.getElementById('save')?.textContent === 'Not saved — retrying');
    t.is(await inSco(sco, "set('cmi.location','p3'); set('cmi.suspend_data','offline-2'); commit()"), 'true');
    t.is(
      await inSco(
        sco,
        "set('cmi.completion_status','completed'); set('cmi.success_status','passed'); commit()",
      ),
      'true',
    );
    t.is(await queued(page), 1, 'one (attempt, SCO) key, holding the newest whole-tree commit');
    const during = (await suite.backend.stored(registration)).only?.cmi as Cmi2004;
    t.is(during.location, 'p1', 'nothing reached the runtime while offline');

    await suite.browser.context.setOffline(false);
    await page.waitForFunction(() => document.getElementById('save')?.textContent === 'Saved');
    const after = (await suite.backend.stored(registration)).only?.cmi as Cmi2004;
    t.is(after.location, 'p3');
    t.is(after.suspend_data, 'offline-2');
    t.is(after.completion_status, 'completed');
    t.is(await queued(page), 0);
    t.true((await playerState(page)).complete, 'the course shows Complete from the commit answer');
    t.true(await page.isVisible('#complete'));
    await page.close();
  },
);

run(
  'runtime unreachable while the tab closes: nothing is lost, and the next launch resumes from the newest data',
  async (t) => {
    const { url, registration, page, sco } = await launchOnly(t.log);
    // The browser believes it is online; every commit request fails (a dead Wi-Fi, a proxy, a server down).
    await page.route('**/commits', (route) => route.abort('connectionrefused'));
    await inSco(
      sco,
      "set('cmi.location','chapter-9'); set('cmi.suspend_data','kept'); set('cmi.exit','suspend'); commit();",
    );
    await page.waitForFunction(() => document.getElementById('save')?.textContent === 'Not saved — retrying');
    t.is(await queued(page), 1);
    await page.close({ runBeforeUnload: true });
    // The terminating commit also went by sendBeacon, which page.route does not intercept: it may have
    // arrived. Either way the entries stay queued until acknowledged, and nothing is lost.

    const again = await openPlayer(suite.browser.context, url, t.log);
    const resumed = await scoFrame(again, 'only');
    t.is(await inSco(resumed, "get('cmi.location')"), 'chapter-9');
    t.is(await inSco(resumed, "get('cmi.suspend_data')"), 'kept');
    t.is(await inSco(resumed, 'window.entry'), 'resume');
    await eventually(async () => {
      const s = (await suite.backend.stored(registration)).only;
      return s?.terminated && (s.cmi as Cmi2004).location === 'chapter-9' ? true : undefined;
    }, 'the queued commits reaching the runtime after the relaunch');
    await again.close();
  },
);

run('the terminating commit also goes by sendBeacon as text/plain, which the runtime accepts', async (t) => {
  const { registration, page, sco } = await launchOnly(t.log);
  const posts: { type: string; contentType: string }[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/commits'))
      posts.push({ type: r.resourceType(), contentType: r.headers()['content-type'] ?? '' });
  });
  // Beacons: fetches carry application/json, so a text/plain commit can only be the beacon.
  const beaconAnswers: number[] = [];
  page.on('response', (r) => {
    if (r.request().method() === 'POST' && /^text\/plain/.test(r.request().headers()['content-type'] ?? ''))
      beaconAnswers.push(r.status());
  });
  await inSco(sco, "set('cmi.location','by-beacon'); set('cmi.completion_status','completed'); finish();");
  await eventually(async () => {
    const s = (await suite.backend.stored(registration)).only;
    return s?.terminated && (s.cmi as Cmi2004).location === 'by-beacon' ? true : undefined;
  }, 'the beaconed terminating commit reaching the runtime');
  t.true(
    posts.some((p) => /^text\/plain/.test(p.contentType)),
    `a text/plain POST was made: ${JSON.stringify(posts)}`,
  );
  await eventually(async () => (beaconAnswers.length > 0 ? true : undefined), 'an answer to the beacon');
  t.deepEqual(beaconAnswers, [200], 'the runtime accepted the text/plain commit');
  t.log(JSON.stringify(posts));
  await page.close();
});

run(
  "a commit another learner's page left queued is delivered by the next page, whose Complete stays its own",
  async (t) => {
    const first = await launchOnly(t.log);
    await first.page.route('**/commits', (route) => route.abort('connectionrefused'));
    await inSco(
      first.sco,
      "set('cmi.completion_status','completed'); set('cmi.success_status','passed'); commit();",
    );
    await first.page.waitForFunction(
      () => document.getElementById('save')?.textContent === 'Not saved — retrying',
    );
    await first.page.close({ runBeforeUnload: true });

    // Another learner on the same browser (a shared kiosk, a training room) opens their own launch link.
    const second = await launchOnly(t.log);
    await eventually(async () => {
      const s = (await suite.backend.stored(first.registration)).only;
      return (s?.cmi as Cmi2004 | undefined)?.completion_status === 'completed' ? true : undefined;
    }, "the first learner's queued completion reaching the runtime");
    await second.page.waitForFunction(() => document.getElementById('save')?.textContent === 'Saved');
    t.is(await queued(second.page), 0, 'the leftover was acknowledged and dropped');
    const s = await playerState(second.page);
    t.falsy(s.complete, "the first learner's course completion is not the second learner's");
    t.true(await second.page.isHidden('#complete'));
    const own = (await suite.backend.stored(second.registration)).only?.cmi as Cmi2004 | undefined;
    t.not(own?.completion_status, 'completed', 'nothing of the first learner went to the second');
    await second.page.close();
  },
);
