import type { CommitQueue } from './commit-queue.ts';
import type { Launch, TocItem } from './contract.ts';
import { ScoRecords } from './sco-records.ts';
import type { ScormApi } from './scorm-api.ts';
import { launchables } from './toc.ts';

/** What the player's modules share: the launch, and which SCO runs now with which API. */
export interface Player {
  readonly launch: Launch;
  readonly v12: boolean;
  /** The launchable items in manifest order. */
  readonly items: TocItem[];
  readonly queue: CommitQueue;
  readonly records: ScoRecords;
  /** How this course moves between SCOs: the LMS's flow, or scorm-again's 2004 sequencing. */
  nav: Navigation;
  api: ScormApi | undefined;
  currentId: string | null;
  /** The request the next terminating commit carries, and what follows the SCO's end. */
  pendingNav: string | null;
  /** A request the shell (not the SCO) started: the SCO's own Terminate must not trigger another one. */
  shellNavigation: boolean;
  sessionEnded: boolean;
  /** Exit or Suspend and exit: the learner left; only a new launch goes on. */
  courseLeft: boolean;
}

export interface Navigation {
  /** Delivers the first SCO. */
  start(): void;
  /** A request from the shell: continue, previous, choice:<id>, exitAll, suspendAll. */
  navigate(request: string): void;
  /** Sets Continue / Previous (and what else this mode decides) on the shell. */
  buttons(): void;
  /** Whether the TOC may offer the item. */
  choosable(item: TocItem): boolean;
  /** The sequencing state a commit carries, if the course is sequenced. */
  sequencingState?(): unknown;
}

/** A player for the launch, before any SCO runs, moving between SCOs by `navigation`. */
export function createPlayer(
  launch: Launch,
  queue: CommitQueue,
  navigation: (p: Player) => Navigation,
): Player {
  const items = launchables(launch.toc);
  const p: Omit<Player, 'nav'> & { nav?: Navigation } = {
    launch,
    v12: launch.course.standard === 'scorm12',
    items,
    queue,
    records: new ScoRecords(launch, queue, items),
    api: undefined,
    currentId: null,
    pendingNav: null,
    shellNavigation: false,
    sessionEnded: false,
    courseLeft: false,
  };
  p.nav = navigation(p as Player);
  return p as Player;
}
