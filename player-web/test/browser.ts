import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestFn } from 'ava';
import type { BrowserContext } from 'playwright-core';
import { chromiumFor, launchChromiumProfile } from '../../test/chromium.ts';

const hasChromium = chromiumFor('the player e2e tests');

/** test.serial, or test.serial.skip without Chromium. */
export function browserTest<T>(test: TestFn<T>) {
  return hasChromium ? test.serial : test.serial.skip;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A persistent context in a fresh profile folder, or in `profileDir`. */
export async function openBrowser(profileDir?: string): Promise<Browser> {
  const dir = profileDir ?? (await mkdtemp(path.join(os.tmpdir(), 'crest-player-profile-')));
  const context = await launchChromiumProfile(dir);
  return {
    context,
    async close() {
      await context.close();
      if (!profileDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
