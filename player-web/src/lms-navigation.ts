import type { TocItem } from './contract.ts';
import { available, neighbour, pickFirst } from './lms-order.ts';
import { shellRequest } from './nav-controls.ts';
import type { Navigation, Player } from './player.ts';
import { state } from './player-state.ts';
import { endCurrent, show } from './sco-frame.ts';
import { newApi, type ScormApi, trackNavRequest } from './scorm-api.ts';
import { sessionCmi } from './session-cmi.ts';
import { endSession, LEFT, LESSON_ENDED, SUSPENDED, suspendForLearner } from './session-end.ts';
import { shell } from './shell.ts';

/*
 * SCORM 1.2, and 2004 without a sequencing tree: the LMS navigates, in manifest order. Each SCO launch gets
 * a fresh scorm-again API loaded with the saved CMI, so nothing of one session leaks into the next.
 */

export function lmsNavigation(p: Player): Navigation {
  return {
    start: () => launchItem(p, pickFirst(p)),
    navigate: (request) => navigate(p, request),
    buttons() {
      shell.button('continue', { disabled: p.sessionEnded || !neighbour(p, p.currentId, 1) });
      shell.button('previous', { disabled: p.sessionEnded || !neighbour(p, p.currentId, -1) });
    },
    choosable: (item) => available(p, item),
  };
}

function launchItem(p: Player, item: TocItem | undefined): void {
  if (!item) {
    endSession(p, 'There is nothing more to open in this course.');
    return;
  }
  const a = newApi(p);
  a.loadFromJSON(sessionCmi(p, item), 'cmi');
  if (!p.v12) presetRequestValid(p, a, item);
  a.on(p.v12 ? 'LMSInitialize' : 'Initialize', () => {
    state.initialized = item.id;
  });
  if (!p.v12) trackNavRequest(p, a);
  a.on(p.v12 ? 'LMSFinish' : 'Terminate', () => {
    state.terminated = item.id;
    setTimeout(() => afterTerminate(p, item.id), 0);
  });
  p.api = a;
  show(p, item);
}

/** Unsequenced SCORM 2004: the LMS decides flow, so adl.nav.request_valid says what the shell allows. */
function presetRequestValid(p: Player, a: ScormApi, item: TocItem): void {
  try {
    const rv = a.adl?.nav?.request_valid;
    if (!rv) return;
    rv.continue = neighbour(p, item.id, 1) ? 'true' : 'false';
    rv.previous = neighbour(p, item.id, -1) ? 'true' : 'false';
  } catch {
    // Read-only in some states; the shell still refuses what is not possible.
  }
}

function navigate(p: Player, request: string): void {
  const choice = request.startsWith('choice:');
  const target =
    request === 'continue'
      ? neighbour(p, p.currentId, 1)
      : request === 'previous'
        ? neighbour(p, p.currentId, -1)
        : choice
          ? p.items.find((i) => i.id === request.slice(7) && available(p, i))
          : undefined;
  if ((choice || request === 'continue' || request === 'previous') && !target) return;
  p.pendingNav = request;
  p.shellNavigation = true;
  if (request === 'suspendAll' && p.api) suspendForLearner(p.api, p.v12);
  endCurrent(p, () => {
    if (target) launchItem(p, target);
    else endSession(p, request === 'suspendAll' ? SUSPENDED : LEFT, true);
  });
}

/** The SCO ended its session: follow its adl.nav.request, or the LMS's flow for 1.2. */
function afterTerminate(p: Player, id: string): void {
  if (p.shellNavigation || id !== p.currentId) return;
  const request = p.pendingNav;
  if (request === null) {
    // SCORM 1.2 has no navigation requests; a SCO that finishes on its own hands control back to the
    // LMS, which moves on to the next available SCO (or ends the course).
    if (p.v12 && neighbour(p, id, 1)) shellRequest(p, 'continue');
    else endSession(p, LESSON_ENDED);
    return;
  }
  if (request === 'exit' || request === 'abandon') endSession(p, LESSON_ENDED);
  else shellRequest(p, request === 'exitAll' || request === 'abandonAll' ? 'exitAll' : request);
}
