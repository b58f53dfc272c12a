import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestFn } from 'ava';
import { browserTest } from '../browser.ts';

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
