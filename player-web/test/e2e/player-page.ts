import type { BrowserContext, Frame, Page } from 'playwright-core';

/* Helpers for driving the player page and the SCO inside it. */

export interface PlayerState {
  phase: string;
  launched: string[];
  current?: string;
  answers: number;
  complete?: boolean;
  initialized?: string;
  terminated?: string;
  ended?: string;
  firstFrameMs?: number;
  lastAnswer?: unknown;
  validity?: { continue?: boolean; previous?: boolean; choice?: Record<string, string> };
  error?: string;
}

export async function openPlayer(
  context: BrowserContext,
  url: string,
  log?: (s: string) => void,
): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => log?.(`pageerror: ${e.message}`));
  page.on('dialog', (d) => void d.accept());
  await page.goto(url);
  return page;
}

export function playerState(page: Page): Promise<PlayerState> {
  return page.evaluate(
    () => (window as unknown as { __crestPlayer: { state: PlayerState } }).__crestPlayer.state,
  );
}

/** Waits until the player state satisfies `pred` (a function body over `s`, run in the page). */
export async function waitFor(page: Page, pred: string, timeout = 15_000): Promise<PlayerState> {
  try {
    await page.waitForFunction(
      (src) => {
        const s = (window as unknown as { __crestPlayer?: { state?: unknown } }).__crestPlayer?.state;
        return !!s && new Function('s', `return (${src});`)(s);
      },
      pred,
      { timeout, polling: 50 },
    );
  } catch (err) {
    const s = await playerState(page).catch(() => undefined);
    throw new Error(
      `timed out waiting for ${pred}; player state: ${JSON.stringify(s)}\n${(err as Error).message}`,
    );
  }
  return playerState(page);
}

/** The content frame, once the SCO `id` (or any, without id) has initialized. */
export async function scoFrame(page: Page, id?: string): Promise<Frame> {
  await waitFor(
    page,
    id ? `s.initialized === ${JSON.stringify(id)} && s.current === ${JSON.stringify(id)}` : '!!s.initialized',
  );
  const frame = page.frame({ name: 'sco' });
  if (!frame) throw new Error('no content frame');
  return frame;
}

/** Runs `code` in the SCO page (it has set/get/commit/finish and scoApi). */
export function inSco<T = unknown>(frame: Frame, code: string): Promise<T> {
  // Indirect eval in the SCO's global scope: test code reaching into content it built itself.
  // biome-ignore lint/security/noGlobalEval: the code is the test's own, run in its own SCO page.
  return frame.evaluate((c) => globalThis.eval(c), code) as Promise<T>;
}

export function click(page: Page, id: 'previous' | 'continue' | 'suspendAll' | 'exitAll'): Promise<void> {
  return page.click(`#${id}`);
}

/**
 * The first-contentful-paint of the document in the page's #sco frame, on the page's own clock (both
 * timeOrigins are on the same wall clock), once it has painted. Any page that frames its content as #sco:
 * the player, and bench G's browser floor.
 */
export async function scoFramePaint(page: Page): Promise<number> {
  // No named functions inside: tsx's transform would wrap them in a helper the page does not have.
  await page.waitForFunction(() => {
    const w = (document.getElementById('sco') as HTMLIFrameElement).contentWindow;
    return !!w && w.performance.getEntriesByType('paint').some((e) => e.name === 'first-contentful-paint');
  });
  return page.evaluate(() => {
    const w = (document.getElementById('sco') as HTMLIFrameElement).contentWindow!;
    const fcp = w.performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint')!;
    return Math.round(w.performance.timeOrigin + fcp.startTime - performance.timeOrigin);
  });
}

/** Launch page → first SCO frame: `loaded` as the player records it, and `painted` (scoFramePaint). */
export async function launchToFirstPaint(page: Page): Promise<{ loaded: number; painted: number }> {
  await scoFrame(page);
  const painted = await scoFramePaint(page);
  const loaded = await page.evaluate(
    () =>
      (window as unknown as { __crestPlayer: { state: { firstFrameMs: number } } }).__crestPlayer.state
        .firstFrameMs,
  );
  return { loaded, painted };
}
