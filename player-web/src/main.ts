import { commitOnPageHide, createCommitQueue, setOwnAttempt } from './commits.ts';
import { boot, checkContentOrigin, fetchLaunch, loadVendor, readLaunchLink } from './launch.ts';
import { lmsNavigation } from './lms-navigation.ts';
import { wireShell } from './nav-controls.ts';
import { createPlayer, type Player } from './player.ts';
import { fail, state } from './player-state.ts';
import { sequencing2004 } from './sequencing-2004.ts';
import { shell } from './shell.ts';

/*
 * The SCORM player shell: reads the launch link, fetches the launch data, and plays the course with the
 * navigation its standard calls for. The API objects live in this page, the parent of the content frame,
 * because a SCO finds them by walking window.parent (SCORM 1.2 RTE §3.3.6.1, SCORM 2004 RTE §3.1.2.1).
 */

boot.state = state;
let player: Player | undefined;

async function main(): Promise<void> {
  const link = readLaunchLink();
  const queue = createCommitQueue();
  window.addEventListener('online', () => queue.kick());
  window.addEventListener('pagehide', () => commitOnPageHide(queue, player));

  const launch = await fetchLaunch(link);
  checkContentOrigin(launch);
  setOwnAttempt(launch.attemptId);
  state.phase = 'launched';
  shell.setTitle(launch.course.title);
  // Until scorm-again is loaded, requests from the shell take the LMS's path, sequenced course or not.
  const p = createPlayer(launch, queue, lmsNavigation);
  player = p;
  wireShell(p);
  if (p.items.length === 0) fail('This course has nothing to launch.');

  await loadVendor(p.v12 ? boot.scorm12 : boot.scorm2004);
  if (launch.course.standard === 'scorm2004' && launch.sequencing?.activityTree) p.nav = sequencing2004(p);
  p.nav.start();
}

main().catch((err) => {
  state.phase = 'error';
  state.error = String((err as Error)?.message ?? err);
  console.error(err);
});
