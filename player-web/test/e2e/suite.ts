import type { TestFn } from 'ava';
import type { Page } from 'playwright-core';
import { type Browser, browserTest, openBrowser } from '../browser.ts';
import { type PackageSpec, packageZip } from '../sco-package.ts';
import { type Backend, startBackend } from './backend.ts';
import { openPlayer } from './player-page.ts';

export interface PlayerSuite {
  /** test.serial, or test.serial.skip without Chromium. */
  run: ReturnType<typeof browserTest>;
  readonly backend: Backend;
  readonly browser: Browser;
  /** Uploads the course, registers a new learner and opens their launch link in a new tab. */
  open(
    course: PackageSpec | Buffer,
    log: (s: string) => void,
    opts?: { exitUrl?: string },
  ): Promise<{ page: Page; url: string; registration: string }>;
}

/** One `crest serve` and one Chromium for a test file, started before its tests and stopped after them. */
export function playerSuite(test: TestFn): PlayerSuite {
  let backend: Backend | undefined;
  let browser: Browser | undefined;
  // Serial, so that a file's own serial before hooks find the backend running.
  test.serial.before(async () => {
    backend = await startBackend();
    browser = await openBrowser();
  });
  test.after.always(async () => {
    await browser?.close();
    await backend?.close();
  });
  const suite: PlayerSuite = {
    run: browserTest(test),
    get backend() {
      return backend!;
    },
    get browser() {
      return browser!;
    },
    async open(course, log, opts) {
      const zip = Buffer.isBuffer(course) ? course : await packageZip(course);
      const { url, registration } = await suite.backend.launch(await suite.backend.addCourse(zip), opts);
      return { page: await openPlayer(suite.browser.context, url, log), url, registration };
    },
  };
  return suite;
}
