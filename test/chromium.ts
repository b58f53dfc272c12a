import { access } from 'node:fs/promises';
import type { Browser, BrowserContext } from 'playwright-core';

/*
 * Debian's Chromium through playwright-core, for the browser tests; never a downloaded browser. A missing
 * Chromium skips those tests loudly on a workstation and fails them in CI.
 */

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Headless Chromium 156 opens a browser window per context and builds the window's omnibox popup as a WebUI
  // page: ~30 scripts of chrome://omnibox-popup.top-chrome parsed on every new context, ~60 ms of a 2-core
  // machine's CPU while the page under test loads (a trace of bench G). A learner's browser builds it once per
  // window, not per launch link.
  '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup',
];

const present = await access(CHROMIUM).then(
  () => true,
  () => false,
);

/** Whether Chromium is installed; without it, says it skips `tests` (and throws with CI=true). */
export function chromiumFor(tests: string): boolean {
  if (!present) {
    if (process.env.CI === 'true')
      throw new Error(`${CHROMIUM} is missing and CI=true: ${tests} may not be skipped.`);
    console.warn(`\n!!! ${CHROMIUM} not found: SKIPPING ${tests} (apt-get install chromium).\n`);
  }
  return present;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** A persistent context with its profile in `profileDir` (Playwright refuses --user-data-dir in args). */
export async function launchChromiumProfile(profileDir: string): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
  });
}
