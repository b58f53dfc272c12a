import type { TocItem } from './contract.ts';
import { refreshNav } from './nav-controls.ts';
import type { Player } from './player.ts';
import { state } from './player-state.ts';
import { show } from './sco-frame.ts';
import { newApi, type ScormApi, trackNavRequest } from './scorm-api.ts';
import { sessionCmi } from './session-cmi.ts';
import { endSession, LEFT, LESSON_ENDED, SUSPENDED } from './session-end.ts';

/** What scorm-again's adl.nav.request_valid and hideLMSUI allow now. */
export interface Validity {
  continue?: boolean;
  previous?: boolean;
  choice?: Record<string, string>;
  hideLmsUi?: string[];
}

/** The sequencing session's own state, beside the Player's. */
export interface Sequencing {
  /** Counts activity deliveries: a request that delivered nothing ended the SCO's part. */
  deliveries: number;
  /** Whether the API in `p.api` has served a SCO yet (the first one can serve the first SCO as it is). */
  apiUsed: boolean;
  validity: Validity;
  /** The newest serialized tracking state, parsed: what commits carry. */
  saved: unknown;
}

/**
 * A Scorm2004API with the course's activity tree, optionally restored from a serialized tracking state.
 * Each delivered SCO gets a fresh one: the sequencing state moves over by scorm-again's own
 * serializeSequencingState/deserializeSequencingState, the same path a resume takes, so nothing of the
 * previous SCO's runtime state (CMI, listeners, scheduled commits, error state) can leak into the next.
 */
export function sequencingApi(p: Player, s: Sequencing, restore?: string): ScormApi {
  const a = newApi(p, {
    sequencing: p.launch.sequencing,
    sequencingStatePersistence: {
      autoLoadOnInitialize: false,
      autoSaveOn: 'navigate',
      compress: false,
      persistence: {
        // The state goes to the runtime with the next commit (API.md: commit.sequencingState).
        saveState: async (serialized: string) => {
          s.saved = JSON.parse(serialized);
          return true;
        },
        loadState: async () => null,
      },
    },
  });
  if (restore) a.deserializeSequencingState?.(restore);
  a.setSequencingEventListeners?.({
    onActivityDelivery: (activity: { id: string }) => deliver(p, s, a, activity.id),
    onNavigationValidityUpdate: (v: Validity) => {
      s.validity = v;
      state.validity = v;
      setTimeout(() => refreshNav(p), 0);
    },
    onSequencingError: (error: string, context?: string) => {
      state.sequencingErrors = [
        ...((state.sequencingErrors as string[]) ?? []),
        `${context ?? ''}: ${error}`,
      ];
    },
    onSequencingSessionEnd: (data: { reason: string }) => {
      state.sessionEnd = data;
    },
  });
  trackNavRequest(p, a);
  a.on('Initialize', () => {
    state.initialized = p.currentId;
  });
  a.on('Terminate', () => {
    state.terminated = p.currentId;
    if (p.shellNavigation) return;
    const before = s.deliveries;
    const request = p.pendingNav;
    // After Terminate returns, scorm-again has run the request; no delivery means the SCO is done.
    setTimeout(() => {
      if (s.deliveries !== before) return;
      if (request === 'exitAll' || request === 'abandonAll') endSession(p, LEFT, true);
      else if (request === 'suspendAll') endSession(p, SUSPENDED, true);
      else endSession(p, LESSON_ENDED);
    }, 0);
  });
  return a;
}

/** scorm-again delivers an activity: its SCO goes into the frame with an API of its own. */
function deliver(p: Player, s: Sequencing, a: ScormApi, id: string): void {
  s.deliveries++;
  state.delivered = id;
  const item = p.items.find((i) => i.id === id);
  if (!item) return;
  p.sessionEnded = false;
  if (!s.apiUsed && a === p.api) {
    a.loadFromJSON(sessionCmi(p, item), 'cmi');
    // Once scorm-again's delivery call has returned; a microtask, not a timer: while the launch page loads,
    // Chromium runs timers late (~25 ms in bench G), and the SCO frame cannot start before this runs.
    queueMicrotask(() => showItem(p, s, item));
    return;
  }
  // scorm-again delivers from inside the previous SCO's Terminate, after capturing its terminating
  // commit; the hand-over waits until that call has returned.
  setTimeout(() => {
    const next = sequencingApi(p, s, a.serializeSequencingState?.());
    // reset() applies the delivered activity's launch data (completion threshold, objectives).
    next.reset(undefined, { preserveListeners: true });
    next.loadFromJSON(sessionCmi(p, item), 'cmi');
    p.api = next;
    showItem(p, s, item);
  }, 0);
}

function showItem(p: Player, s: Sequencing, item: TocItem): void {
  s.apiUsed = true;
  show(p, item);
}
