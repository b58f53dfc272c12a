import type { Navigation, Player } from './player.ts';
import { state } from './player-state.ts';
import { endCurrent } from './sco-frame.ts';
import { type Sequencing, sequencingApi } from './sequencing-delivery.ts';
import { restoredState, startSession } from './sequencing-resume.ts';
import { endSession, LEFT, SUSPENDED, suspendForLearner } from './session-end.ts';
import { shell } from './shell.ts';

/*
 * SCORM 2004 with a sequencing tree: scorm-again's engine, configured with the launch data's `sequencing`,
 * delivers activities and answers adl.nav.request_valid; the shell's buttons and TOC follow its validity
 * updates and hideLMSUI.
 */

export function sequencing2004(p: Player): Navigation {
  const s: Sequencing = { deliveries: 0, apiUsed: false, validity: {}, saved: undefined };
  return {
    start: () => start(p, s),
    navigate: (request) => navigate(p, s, request),
    buttons() {
      const hide = new Set(s.validity.hideLmsUi ?? []);
      shell.button('continue', {
        hidden: hide.has('continue') || p.items.length < 2,
        disabled: s.validity.continue === false,
      });
      shell.button('previous', {
        hidden: hide.has('previous') || p.items.length < 2,
        disabled: s.validity.previous === false,
      });
      shell.button('exitAll', { hidden: hide.has('exitAll') });
      shell.button('suspendAll', { hidden: hide.has('suspendAll') });
    },
    choosable: (item) => s.validity.choice?.[item.id] !== 'false',
    sequencingState() {
      const serialized = p.api?.serializeSequencingState?.();
      if (serialized) s.saved = JSON.parse(serialized);
      return s.saved;
    },
  };
}

function start(p: Player, s: Sequencing): void {
  const restore = restoredState(p.launch);
  const a = sequencingApi(p, s, restore);
  p.api = a;
  if (!startSession(a, p.launch, !!restore)) endSession(p, 'Choose where to begin from the list.');
}

function navigate(p: Player, s: Sequencing, request: string): void {
  const a = p.api!;
  const [kind, target] = request.startsWith('choice:') ? ['choice', request.slice(7)] : [request, undefined];
  if (kind === 'choice' && s.validity.choice?.[target!] === 'false') return;
  if (
    (kind === 'continue' && s.validity.continue === false) ||
    (kind === 'previous' && s.validity.previous === false)
  )
    return;
  const before = s.deliveries;
  p.pendingNav = request;
  p.shellNavigation = true;
  const after = (ok: boolean) => {
    p.shellNavigation = false;
    if (s.deliveries !== before) return;
    if (request === 'exitAll') endSession(p, LEFT, true);
    else if (request === 'suspendAll') endSession(p, SUSPENDED, true);
    else if (!ok) state.refused = request;
  };
  if (a.isInitialized() && !a.isTerminated()) {
    // The running SCO's attempt ends through Terminate with the request set, as if the SCO had asked.
    a.SetValue?.('adl.nav.request', kind === 'choice' ? `{target=${target}}choice` : kind);
    if (kind === 'suspendAll') suspendForLearner(a, p.v12);
    endCurrent(p, () => after(true));
    return;
  }
  after(a.processNavigationRequest?.(kind, target) ?? false);
}
