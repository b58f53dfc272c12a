import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { choiceFlow, oneSco, packageZip } from '../sco-package.ts';
import { eventually } from './backend.ts';
import { playerSuite } from './suite.ts';

const suite = playerSuite(test);
const { run } = suite;

let host: http.Server;
let hostOrigin: string;
let frameUrl = '';
test.before(async () => {
  // An integrator's page on an origin of its own, framing the launch link.
  host = http.createServer((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><title>LMS</title><h1>Some LMS</h1>
<iframe id="player" src="${frameUrl}" style="width:900px;height:600px" allow="fullscreen"></iframe>`);
  });
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  // localhost and 127.0.0.1 are different origins (and different sites) to the browser.
  hostOrigin = `http://localhost:${(host.address() as AddressInfo).port}`;
});
test.after.always(async () => {
  await new Promise((r) => host?.close(r));
});

run(
  'the launch page works inside an iframe on another origin: SCO, buttons, commits, Complete',
  async (t) => {
    const course = await suite.backend.addCourse(await packageZip(choiceFlow('Embedded', ['one', 'two'])));
    const { url, registration } = await suite.backend.launch(course);
    t.not(new URL(url).origin, hostOrigin);
    frameUrl = url;
    const page = await suite.browser.context.newPage();
    page.on('pageerror', (e) => t.log(`pageerror: ${e.message}`));
    const playerResponse = page.waitForResponse((r) => r.url().includes('/player/launch.html'));
    await page.goto(`${hostOrigin}/lms`);
    const headers = (await playerResponse).headers();
    t.is(headers['x-frame-options'], undefined);
    t.regex(headers['content-security-policy'] ?? '', /frame-ancestors \*/);

    const player = page.frameLocator('#player');
    const playerFrame = () => page.frames().find((f) => f.url().includes('/player/launch.html'))!;
    const scoReady = (id: string) =>
      playerFrame().waitForFunction(
        (sco) => {
          const s = (window as unknown as { __crestPlayer: { state: Record<string, unknown> } }).__crestPlayer
            .state;
          return s.initialized === sco && s.current === sco;
        },
        id,
        { polling: 50 },
      );
    await scoReady('one');
    const sco = () => page.frames().find((f) => f.name() === 'sco')!;
    t.is(await sco().evaluate(() => (window as unknown as { initResult: string }).initResult), 'true');
    await sco().evaluate(() => {
      const w = window as unknown as { set(e: string, v: string): string; commit(): string };
      w.set('cmi.completion_status', 'completed');
      w.commit();
    });
    await player.locator('#continue').click();
    await scoReady('two');
    await sco().evaluate(() => {
      const w = window as unknown as { set(e: string, v: string): string; finish(): string };
      w.set('cmi.completion_status', 'completed');
      w.set('cmi.success_status', 'passed');
      w.finish();
    });
    await player.locator('#complete').waitFor({ state: 'visible' });
    const stored = await eventually(async () => {
      const s = await suite.backend.stored(registration);
      return s.one?.terminated && s.two?.terminated ? s : undefined;
    }, 'both SCOs terminated in the runtime');
    t.is((stored.two!.cmi as Record<string, string>).success_status, 'passed');
    // Whether a cross-site frame may use localStorage is the browser's call (this Chromium refuses it, as
    // Safari does); the player then keeps its queue in memory only, and everything above still worked.
    const storage = await playerFrame().evaluate(() => {
      try {
        localStorage.getItem('x');
        return 'available (partitioned by the top-level site)';
      } catch (e) {
        return `refused: ${(e as Error).message}`;
      }
    });
    t.log(`localStorage in the cross-site player frame: ${storage}`);
    await page.close();
  },
);

run('a forged or expired launch token shows a message, not a broken page', async (t) => {
  const page = await suite.browser.context.newPage();
  const api = encodeURIComponent(suite.backend.apiOrigin);
  const origin =
    suite.backend.contentOrigin || new URL((await suite.backend.launch(await anyCourse())).url).origin;
  await page.goto(`${origin}/player/launch.html?api=${api}#demo.not-a-real-token`);
  await page.waitForFunction(() => document.getElementById('message')?.textContent?.includes('expired'));
  t.is(await page.textContent('#title'), 'Cannot open this course');
  await page.goto(`${origin}/player/launch.html`);
  await page.waitForFunction(() => document.getElementById('message')?.textContent?.includes('incomplete'));
  await page.close();
});

async function anyCourse(): Promise<string> {
  return suite.backend.addCourse(await packageZip(oneSco('1.2', 'Any')));
}
