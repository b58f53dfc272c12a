import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestFn } from 'ava';
import type { Frame, Page } from 'playwright-core';
import { browserTest } from '../browser.ts';
import { openPlayer, scoFrame } from './player-page.ts';
import type { PlayerSuite } from './suite.ts';

/* The golf courses from ../shared/fixtures/scorm: acceptance tests with real authoring-tool content. */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURES = path.resolve(repoRoot, '../shared/fixtures/scorm');

export async function fixture(name: string): Promise<Buffer> {
  return readFile(path.join(FIXTURES, name));
}

/**
 * A browser test while the fixtures are there; without them a loud skip, and an error in CI. Await it before
 * declaring any test or hook (ava wants them all declared at once).
 */
export async function withFixtures(test: TestFn): Promise<ReturnType<typeof browserTest>> {
  const hasFixtures = await access(FIXTURES).then(
    () => true,
    () => false,
  );
  if (hasFixtures) return browserTest(test);
  if (process.env.CI === 'true')
    throw new Error(`${FIXTURES} is missing and CI=true: the golf acceptance tests may not be skipped.`);
  console.warn(`\n!!! ${FIXTURES} not found: the golf course player tests are SKIPPED.\n`);
  return test.serial.skip;
}

/** Opens a golf course and pages `pages` on with its Next button (its content is in a nested frame). */
export async function openGolfAtPage(
  suite: PlayerSuite,
  name: string,
  pages: number,
  log: (s: string) => void,
) {
  const { page, url, registration } = await suite.open(await fixture(name), log);
  const sco = await scoFrame(page);
  for (let i = 0; i < pages; i++) await sco.click('#butNext');
  return { page, url, registration, sco };
}

/** The launch link again, once the golf SCO has asked "resume?" (openPlayer accepts) and is back at `page`. */
export async function reopenGolfAtPage(
  suite: PlayerSuite,
  url: string,
  page: number,
  log: (s: string) => void,
): Promise<{ page: Page; sco: Frame }> {
  const again = await openPlayer(suite.browser.context, url, log);
  const sco = await scoFrame(again);
  await again.waitForFunction((n) => {
    const f = document.querySelector('iframe#sco') as HTMLIFrameElement;
    return (f.contentWindow as unknown as { currentPage?: number })?.currentPage === n;
  }, page);
  return { page: again, sco };
}
