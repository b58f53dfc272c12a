import type { Launch } from './contract.ts';
import type { Any, ScormApi } from './scorm-api.ts';

/**
 * The saved sequencing state (API.md: commit.sequencingState) as the start of a new sequencing session, to
 * restore into a fresh API with deserializeSequencingState; undefined for a first launch.
 */
export function restoredState(launch: Launch): string | undefined {
  const saved = launch.sequencingState;
  return saved && typeof saved === 'object'
    ? JSON.stringify(newSession(saved as Record<string, Any>))
    : undefined;
}

/**
 * Starts the session: Resume All after a restored state; after a tab closed mid-SCO, a Choice of that SCO;
 * else Start. False when the rules allow none of them.
 */
export function startSession(a: ScormApi, launch: Launch, restored: boolean): boolean {
  let started = false;
  if (restored) started = a.processNavigationRequest?.('resumeAll') ?? false;
  // A tab closed mid-SCO leaves no suspendAll, only a SCO that exited "suspend" (the runtime's `current`).
  // A session may begin with a Choice (SN NB.2.1), so the learner goes back to it where the rules allow.
  const current = launch.current;
  if (!started && current && launch.scos[current]?.entry === 'resume')
    started = a.processNavigationRequest?.('choice', current) ?? false;
  if (!started) started = a.processNavigationRequest?.('start') ?? false;
  return started;
}

/**
 * No current activity and nothing active or delivered (SCORM 2004 SN §4.2: Start and Resume All need the
 * Current Activity undefined, SB.2.5-1 / SB.2.6-2). scorm-again serializes the state mid-session, with the
 * current activity set; the tracking data (attempts, statuses, objectives) and the suspended activity carry
 * over.
 */
function newSession(saved: Record<string, Any>): Record<string, Any> {
  const state = structuredClone(saved);
  // The state appears in several shapes (sequencing.activityStates, suspensionState.activityTree, ...);
  // every "current" pointer and "isActive" flag in any of them belongs to the session that ended.
  const walk = (node: Any) => {
    if (!node || typeof node !== 'object') return;
    for (const key of Object.keys(node)) {
      if (key === 'isActive') node[key] = false;
      else if (key === 'currentActivity' || key === 'currentActivityId') node[key] = null;
      else if (key === 'contentDelivered') node[key] = false;
      else if (key === 'request' && typeof node[key] === 'string') node[key] = '_none_';
      else walk(node[key]);
    }
  };
  walk(state);
  return state;
}
