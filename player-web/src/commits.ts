import { CommitQueue } from './commit-queue.ts';
import type { CommitBody } from './contract.ts';
import { refreshNav } from './nav-controls.ts';
import type { Player } from './player.ts';
import { state } from './player-state.ts';
import { unwrap } from './sco-records.ts';
import { shell } from './shell.ts';

/*
 * scorm-again's commits go to the commit queue: written to localStorage synchronously, answered "true" to
 * the SCO at once, sent with backoff until the runtime acknowledges them; Terminate/LMSFinish commits also
 * go at once by navigator.sendBeacon (text/plain), the one request a closing page is sure to get out.
 */

/*
 * The queue also delivers what an earlier page on this origin left unsent (offline, a closed tab), which may
 * be another attempt's or another learner's: its answers and refusals are that attempt's, not this page's.
 * Until the launch names this page's attempt, they wait.
 */
let ownAttempt: string | undefined;
let undecided: (() => void)[] = [];

function ifMine(body: CommitBody, f: () => void): void {
  if (ownAttempt === undefined) undecided.push(() => ifMine(body, f));
  else if (body.attemptId === ownAttempt) f();
}

/** Called once the launch is known: answers already received for this attempt take effect now. */
export function setOwnAttempt(attemptId: string): void {
  ownAttempt = attemptId;
  const waiting = undecided;
  undecided = [];
  for (const f of waiting) f();
}

export function createCommitQueue(): CommitQueue {
  return new CommitQueue({
    storage: safeStorage(),
    fetch: (url, init) => fetch(url, init),
    beacon: (url, body) => navigator.sendBeacon(url, body),
    onState: (s, detail) => shell.saveState(s, detail),
    onAnswer: (body, answer) =>
      ifMine(body, () => {
        state.answers = (state.answers as number) + 1;
        state.lastAnswer = answer;
        if (answer.course?.complete) {
          state.complete = true;
          shell.complete(true);
        }
      }),
    onRejected: (body, status, error) =>
      ifMine(body, () => {
        state.rejected = { sco: body.sco, seq: body.seq, status, error };
      }),
  });
}

/** localStorage, unless the browser refuses it to this frame (embedded cross-site): then memory only. */
function safeStorage(): Storage | null {
  try {
    const s = window.localStorage;
    s.getItem('x');
    return s;
  } catch {
    return null;
  }
}

/** scorm-again's commit of the running SCO's CMI (`terminated` on Terminate/LMSFinish). */
export function commit(p: Player, params: unknown, terminated: boolean): void {
  const id = p.currentId;
  if (!id) return;
  const body: CommitBody = {
    attemptId: p.launch.attemptId,
    sco: id,
    seq: p.records.nextSeq(id),
    cmi: unwrap(params) ?? params,
    terminated,
    navRequest: terminated ? p.pendingNav : null,
  };
  const sequencingState = p.nav.sequencingState?.();
  if (sequencingState) body.sequencingState = sequencingState;
  p.records.record(id, body.cmi);
  refreshNav(p);
  p.queue.add(p.launch.commitUrl, body);
  if (terminated) p.queue.beaconAll((e) => e.body === body);
}

/** The SCO may not get to LMSFinish/Terminate before the page goes: send what it has as a commit now. */
export function commitOnPageHide(queue: CommitQueue, p: Player | undefined): void {
  const a = p?.api;
  if (p && a?.isInitialized() && !a.isTerminated() && p.currentId) {
    try {
      commit(p, a.renderCommitCMI(true, true), false);
    } catch {
      // Nothing more can be done while the page unloads.
    }
  }
  queue.beaconAll();
}
