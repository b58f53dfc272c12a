import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { chromiumFor, launchChromiumProfile } from '../../test/chromium.ts';
import { type CrestApi, startCrestApi } from '../../test/crest-api.ts';
import { LAUNCH_PAGE_FILES, launchPagePackage } from '../../test/launch-page-package.ts';

/*
 * The content origin must serve a course file by file: opening the launch page may fetch that page and
 * what it references, never the other SCOs, the video, or the zip. This runs the real `crest serve`
 * (API and content listener), uploads through the API, and records every request Chromium makes.
 */

const hasChromium = chromiumFor('the launch page browser test');
const withBrowser = hasChromium ? test.serial : test.serial.skip;

let dir: string;
let crest: CrestApi | undefined;

test.before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'crest-launch-page-'));
  if (!hasChromium) return;
  crest = await startCrestApi(dir);
});

test.after.always(async () => {
  await crest?.server.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Uploads the package through the API, waits for the import worker, returns the launch URL. */
async function importPackage(): Promise<string> {
  const course = await crest!.importCourse<{ id: string; versions: { launchUrl: string | null }[] }>(
    await launchPagePackage(),
    'lazy.zip',
  );
  const launchUrl = course.versions[0]?.launchUrl;
  if (!launchUrl) throw new Error(`the course has no launch URL: ${JSON.stringify(course)}`);
  return launchUrl;
}

withBrowser('the launch page fetches only itself and what it references, never the zip', async (t) => {
  t.timeout(90_000);
  const launchUrl = await importPackage();
  t.regex(launchUrl, /\/content\/demo\/[0-9a-f-]{36}\/v1\/sco0\/index\.html$/);
  const launch = new URL(launchUrl);
  t.not(launch.origin, new URL(crest!.server.url).origin, 'content comes from its own origin');
  const versionRoot = launchUrl.slice(0, -'sco0/index.html'.length);

  const context = await launchChromiumProfile(await mkdtemp(path.join(dir, 'profile-')));
  try {
    // Every request of every page and worker in the profile, whatever its origin.
    const requested: string[] = [];
    context.on('request', (r) => requested.push(r.url()));
    const errors: string[] = [];
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => errors.push(e.message));
    const res = await page.goto(launchUrl, { waitUntil: 'load' });
    t.is(res?.status(), 200);
    // The page really used what it fetched: the script ran and fetched its data, the images decoded,
    // the stylesheet applied.
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready:3');
    const rendered = await page.evaluate(() => ({
      logo: (document.getElementById('logo') as HTMLImageElement).naturalWidth,
      color: getComputedStyle(document.querySelector('h1')!).color,
      hero: getComputedStyle(document.getElementById('hero')!).backgroundImage,
    }));
    t.is(rendered.logo, 1);
    t.is(rendered.color, 'rgb(1, 2, 3)');
    t.regex(rendered.hero, /shared\/img\/hero\.png/);
    await page.waitForLoadState('networkidle');
    t.deepEqual(errors, []);

    t.false(
      requested.some((u) => /\.zip(\?|$)/i.test(u)),
      `a zip was fetched: ${requested.join(', ')}`,
    );
    const outside = requested.filter((u) => !u.startsWith(versionRoot) && !u.startsWith('data:'));
    t.deepEqual(outside, [], 'nothing outside the course version was fetched');
    const fetched = [
      ...new Set(requested.filter((u) => u.startsWith(versionRoot)).map((u) => u.slice(versionRoot.length))),
    ].sort();
    t.deepEqual(fetched, [...LAUNCH_PAGE_FILES].sort());
    t.is(requested.filter((u) => u.startsWith(versionRoot)).length, LAUNCH_PAGE_FILES.length, 'each once');
  } finally {
    await context.close();
  }
});
