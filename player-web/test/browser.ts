import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestFn } from 'ava';
import type { BrowserContext } from 'playwright-core';

/*
 * Debian's Chromium through playwright-core; never a downloaded browser. Missing Chromium skips the
 * suites loudly on a workstation and fails them in CI.
 */

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const hasChromium = await access(CHROMIUM).then(
  () => true,
  () => false,
);
if (!hasChromium) {
  if (process.env.CI === 'true')
    throw new Error(`${CHROMIUM} is missing and CI=true: the player e2e tests may not be skipped.`);
  console.warn(`\n!!! ${CHROMIUM} not found: the player e2e tests are SKIPPED (apt-get install chromium).\n`);
}

/** test.serial, or test.serial.skip without Chromium. */
export function browserTest<T>(test: TestFn<T>) {
  return hasChromium ? test.serial : test.serial.skip;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A persistent context in a fresh profile folder (Playwright refuses --user-data-dir in args). */
export async function openBrowser(profileDir?: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const dir = profileDir ?? (await mkdtemp(path.join(os.tmpdir(), 'crest-player-profile-')));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    context,
    async close() {
      await context.close();
      if (!profileDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
