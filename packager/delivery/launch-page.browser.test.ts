import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { type ServerProcess, startServer } from '../../test/cli-runner.ts';
import { LAUNCH_PAGE_FILES, launchPagePackage } from '../../test/launch-page-package.ts';

/*
 * The content origin must serve a course file by file: opening the launch page may fetch that page and
 * what it references, never the other SCOs, the video, or the zip. This runs the real `crest serve`
 * (API and content listener), uploads through the API, and records every request Chromium makes.
 */

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = await access(CHROMIUM).then(
  () => true,
  () => false,
);
if (!hasChromium) {
  if (process.env.CI === 'true')
    throw new Error(`${CHROMIUM} is missing and CI=true: the launch page browser test may not be skipped.`);
  console.warn(
    `\n!!! ${CHROMIUM} not found: the launch page browser test is SKIPPED (apt-get install chromium).\n`,
  );
}
const withBrowser = hasChromium ? test.serial : test.serial.skip;

let dir: string;
let server: ServerProcess | undefined;
let auth: string;

test.before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'crest-launch-page-'));
  if (!hasChromium) return;
  server = await startServer({ HOST: '127.0.0.1', CREST_DATA_DIR: path.join(dir, 'data') });
  const out = server.output();
  const key = /key:\s+(\S+)/.exec(out)?.[1];
  const secret = /secret:\s+(\S+)/.exec(out)?.[1];
  if (!key || !secret) throw new Error(`crest serve printed no demo credentials:\n${out}`);
  auth = `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
});

test.after.always(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function api<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(new URL(url, server!.url), {
    ...init,
    headers: { authorization: auth, ...init.headers },
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${body}`);
  return JSON.parse(body) as T;
}

/** Uploads the package through the API, waits for the import worker, returns the launch URL. */
async function importPackage(): Promise<string> {
  const upload = await api<{ links: { job: string; course: string } }>('/api/v1/courses', {
    method: 'POST',
    headers: { 'content-type': 'application/zip', 'x-file-name': 'lazy.zip' },
    body: new Uint8Array(await launchPagePackage()),
  });
  for (let i = 0; ; i++) {
    const job = await api<{ status: string; error?: unknown }>(upload.links.job);
    if (job.status === 'succeeded') break;
    if (job.status === 'failed') throw new Error(`import failed: ${JSON.stringify(job.error)}`);
    if (i > 300) throw new Error('the import did not finish within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const course = await api<{ versions: { launchUrl: string | null }[] }>(upload.links.course);
  const launchUrl = course.versions[0]?.launchUrl;
  if (!launchUrl) throw new Error(`the course has no launch URL: ${JSON.stringify(course)}`);
  return launchUrl;
}

withBrowser('the launch page fetches only itself and what it references, never the zip', async (t) => {
  t.timeout(90_000);
  const launchUrl = await importPackage();
  t.regex(launchUrl, /\/content\/demo\/[0-9a-f-]{36}\/v1\/sco0\/index\.html$/);
  const launch = new URL(launchUrl);
  t.not(launch.origin, new URL(server!.url).origin, 'content comes from its own origin');
  const versionRoot = launchUrl.slice(0, -'sco0/index.html'.length);

  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(path.join(dir, 'profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
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
