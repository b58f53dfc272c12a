import test from 'ava';
import { oneSco, packageZip } from '../sco-package.ts';
import { inSco, openPlayer, scoFrame } from './player-page.ts';
import { playerSuite } from './suite.ts';

/*
 * The launch link's ?sv= hint lets launch.html fetch scorm-again before the launch data arrives. It is only
 * a hint: a link without it, or naming the other standard, still plays, with the API the course needs.
 */

const suite = playerSuite(test);
const { run } = suite;

run(
  'the standard hint of a launch link is only a hint: right, wrong or absent, the SCO gets its API',
  async (t) => {
    const course = await suite.backend.addCourse(await packageZip(oneSco('2004', 'Hinted')));
    const { url } = await suite.backend.launch(course);
    t.regex(url, /[?&]sv=scorm2004#/, 'the link names the standard');
    for (const [label, link] of [
      ['right hint', url],
      ['wrong hint', url.replace('sv=scorm2004', 'sv=scorm12')],
      ['no hint', url.replace('&sv=scorm2004', '')],
    ] as const) {
      const page = await openPlayer(suite.browser.context, link, t.log);
      const frame = await scoFrame(page);
      t.is(await inSco(frame, 'typeof window.parent.API_1484_11?.Initialize'), 'function', label);
      const hinted = await page.evaluate(() => window.__crestPlayer.vendor?.src ?? null);
      t.is(
        hinted === null,
        label === 'no hint',
        `${label}: launch.html started a build from the hint or not`,
      );
      await page.close();
    }
  },
);
