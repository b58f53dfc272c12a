import { refreshNav } from './nav-controls.ts';
import type { Player } from './player.ts';
import { state } from './player-state.ts';
import type { ScormApi } from './scorm-api.ts';
import { shell } from './shell.ts';

export const LEFT = 'You have left the course.';
export const SUSPENDED = 'Your progress is saved. You can close this window.';
export const LESSON_ENDED = 'This lesson has ended. Choose another from the list, or close this window.';

/** No SCO is running any more; after exit or suspend of the whole course, go to exitUrl if there is one. */
export function endSession(p: Player, message: string, leaveCourse = false): void {
  p.sessionEnded = true;
  p.courseLeft ||= leaveCourse;
  state.phase = 'ended';
  state.ended = message;
  shell.message(message);
  shell.frame().src = 'about:blank';
  refreshNav(p);
  if (leaveCourse && p.launch.exitUrl) {
    const exitUrl = p.launch.exitUrl;
    void p.queue.drain(3000).then(() => {
      location.href = exitUrl;
    });
  }
}

/**
 * "Suspend and exit" from the shell: unless the SCO chose its own cmi.exit, the session ends suspended, so
 * the next launch resumes it with its data (SCORM 2004 RTE §4.2.8; 1.2 RTE §3.4.4 cmi.core.exit).
 */
export function suspendForLearner(a: ScormApi, v12: boolean): void {
  if (!a.isInitialized() || a.isTerminated()) return;
  let exit = '';
  try {
    // cmi.exit is write-only: its public getter throws while the SCO runs, so read scorm-again's own.
    exit = String((v12 ? a.cmi?.core?._exit : a.cmi?.getExitValueInternal?.()) ?? '');
  } catch {
    exit = '';
  }
  if (exit) return;
  if (v12) a.LMSSetValue?.('cmi.core.exit', 'suspend');
  else a.SetValue?.('cmi.exit', 'suspend');
}
