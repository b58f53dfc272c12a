import test from 'ava';
import { browserTest, openBrowser } from '../browser.ts';
import { packageZip } from '../sco-package.ts';
import { type Backend, startBackend } from './backend.ts';
import { launchToFirstPaint, openPlayer } from './player-page.ts';

/*
 * Launch page → first SCO frame painted, recorded in the test output and never asserted: timing on a
 * shared 2-core machine says little, and performance is bench/'s job. "Painted" is the SCO document's
 * first-contentful-paint, put on the launch page's clock (both timeOrigins are on the same wall clock).
 */

const run = browserTest(test);

let backend: Backend;
test.before(async () => {
  backend = await startBackend();
});
test.after.always(async () => {
  await backend?.close();
});

run('launch page → first SCO frame painted (recorded, not asserted)', async (t) => {
  const course = await backend.addCourse(
    await packageZip({ version: '2004', title: 'Timing', items: [{ id: 'only', title: 'Only SCO' }] }),
  );
  const rows: string[] = [];
  // Cold server (the bundle is built by the first request) and a cold browser cache.
  let browser = await openBrowser();
  try {
    const first = await openPlayer(browser.context, (await backend.launch(course)).url);
    const cold = await launchToFirstPaint(first);
    rows.push(`cold server + cold browser cache: painted ${cold.painted} ms (frame load ${cold.loaded} ms)`);
    await first.close();
    for (let i = 1; i <= 3; i++) {
      const page = await openPlayer(browser.context, (await backend.launch(course)).url);
      const warm = await launchToFirstPaint(page);
      rows.push(`warm browser cache, run ${i}: painted ${warm.painted} ms (frame load ${warm.loaded} ms)`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  for (let i = 1; i <= 3; i++) {
    browser = await openBrowser();
    try {
      const page = await openPlayer(browser.context, (await backend.launch(course)).url);
      const c = await launchToFirstPaint(page);
      rows.push(
        `cold browser cache (new profile), run ${i}: painted ${c.painted} ms (frame load ${c.loaded} ms)`,
      );
    } finally {
      await browser.close();
    }
  }
  for (const r of rows) t.log(r);
  t.pass();
});
