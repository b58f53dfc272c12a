import test, { type ExecutionContext } from 'ava';
import type { BrowserContext } from 'playwright-core';
import { browserTest, openBrowser } from '../browser.ts';
import { packageZip } from '../sco-package.ts';
import { type Backend, startBackend } from './backend.ts';
import { launchToFirstPaint, openPlayer } from './player-page.ts';

/*
 * Bench G (bench/launch-paint.ts) reports launch → first SCO paint with launchToFirstPaint; this checks that
 * measurement, never its speed (timing on a shared 2-core machine says little; speed is bench/'s job). Both
 * readings must land on the launch page's clock: after the launch page's own response arrived, and before the
 * test saw them, by the wall clock the browser's timeOrigins are on. A wrong clock (the frame's own origin,
 * or a timeOrigin mixed with Date.now) puts them outside that interval.
 */

const run = browserTest(test);

let backend: Backend;
let courseId: string;
test.before(async () => {
  backend = await startBackend();
  courseId = await backend.addCourse(
    await packageZip({ version: '2004', title: 'Timing', items: [{ id: 'only', title: 'Only SCO' }] }),
  );
});
test.after.always(async () => {
  await backend?.close();
});

async function measuredLaunch(t: ExecutionContext, context: BrowserContext, label: string): Promise<void> {
  const before = Date.now();
  const page = await openPlayer(context, (await backend.launch(courseId)).url);
  const { loaded, painted } = await launchToFirstPaint(page);
  const seen = Date.now() - before;
  const responseEnd = await page.evaluate(
    () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).responseEnd,
  );
  await page.close();
  t.log(
    `${label}: painted ${painted} ms, frame load ${loaded} ms (launch page in at ${Math.round(responseEnd)} ms)`,
  );
  t.true(
    responseEnd > 0 && responseEnd <= painted,
    `${label}: painted ${painted} ms before the page arrived`,
  );
  t.true(painted <= seen, `${label}: painted ${painted} ms, but the test saw it within ${seen} ms`);
  t.true(loaded > responseEnd && loaded <= seen, `${label}: frame load ${loaded} ms outside the launch`);
}

run('launch → first SCO paint is read on the launch page clock, as bench G reports it', async (t) => {
  const browser = await openBrowser();
  try {
    // The first launch since the server started (the player bundle is built on its first request).
    await measuredLaunch(t, browser.context, 'cold server + cold browser cache');
    await measuredLaunch(t, browser.context, 'warm browser cache');
  } finally {
    await browser.close();
  }
  const fresh = await openBrowser();
  try {
    await measuredLaunch(t, fresh.context, 'cold browser cache (new profile)');
  } finally {
    await fresh.close();
  }
});
