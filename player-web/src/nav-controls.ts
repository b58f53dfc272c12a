import type { Player } from './player.ts';
import { state } from './player-state.ts';
import { type NavButton, shell } from './shell.ts';

const BUTTONS: NavButton[] = ['previous', 'continue', 'suspendAll', 'exitAll'];

/** The TOC and the buttons, each sending its request; Previous/Continue only for a multi-SCO course. */
export function wireShell(p: Player): void {
  shell.showToc(p.items.length > 1);
  shell.renderToc(p.launch.toc, (id) => shellRequest(p, `choice:${id}`));
  for (const b of BUTTONS) {
    shell.button(b, { hidden: b !== 'exitAll' && b !== 'suspendAll' && p.items.length < 2 });
    shell.onButton(b, () => shellRequest(p, b));
  }
}

/** A navigation request from the shell: continue, previous, choice:<id>, exitAll, suspendAll. */
export function shellRequest(p: Player, request: string): void {
  // One request at a time: a double click must not unload the SCO that the first click launched.
  if (p.shellNavigation || p.courseLeft) return;
  state.lastShellRequest = request;
  p.nav.navigate(request);
}

/** Buttons and TOC after anything that may change what is allowed, current or completed. */
export function refreshNav(p: Player): void {
  p.nav.buttons();
  if (p.courseLeft) for (const b of BUTTONS) shell.button(b, { disabled: true });
  for (const item of p.items) {
    shell.tocItem(item.id, {
      current: item.id === p.currentId && !p.sessionEnded,
      disabled: p.courseLeft || !p.nav.choosable(item),
      status: p.records.status(item.id) ?? '',
    });
  }
}
