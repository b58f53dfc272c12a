import type { TocItem } from './contract.ts';
import { refreshNav } from './nav-controls.ts';
import type { Player } from './player.ts';
import { state } from './player-state.ts';
import { exposeApi } from './scorm-api.ts';
import { shell } from './shell.ts';
import { resolveLaunchUrl } from './toc.ts';

/** Loads the item's SCO into the content frame, with `p.api` (already made for it) where the SCO looks. */
export function show(p: Player, item: TocItem): void {
  p.currentId = item.id;
  p.pendingNav = null;
  p.shellNavigation = false;
  exposeApi(p.api!, p.v12);
  (state.launched as string[]).push(item.id);
  state.current = item.id;
  shell.message(null);
  const frame = shell.frame();
  frame.addEventListener(
    'load',
    () => {
      // Since the launch page's navigation started: what a learner waits for the first SCO.
      state.firstFrameMs ??= Math.round(performance.now());
    },
    { once: true },
  );
  frame.src = resolveLaunchUrl(p.launch.contentBase, item.launchUrl!);
  refreshNav(p);
}

/**
 * Lets the SCO end its own session (its unload handler calls Terminate/LMSFinish), then ends it for the
 * SCO if it did not, so every launch produces its terminated commit.
 */
export function endCurrent(p: Player, then: () => void): void {
  const a = p.api;
  const frame = shell.frame();
  const done = () => {
    if (a?.isInitialized() && !a.isTerminated()) {
      if (p.v12) a.LMSFinish?.('');
      else a.Terminate?.('');
    }
    then();
  };
  if (!a || !frame.src || frame.src === 'about:blank') {
    done();
    return;
  }
  frame.addEventListener('load', () => setTimeout(done, 0), { once: true });
  frame.src = 'about:blank';
}
