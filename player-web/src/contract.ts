/**
 * The runtime ⇄ player contract (runtime/API.md), as the player reads it. A twin of the types in
 * runtime/launch-data.ts and runtime/http/request-bodies.ts, not an import of them: those modules hold server
 * code and server-side fields (a commit's `hash`), and runtime/ has no types-only module to share. The twins
 * are compared at type-check time (contract-check.ts).
 */

export interface TocItem {
  id: string;
  title: string;
  launchUrl: string | null;
  scormType: 'sco' | 'asset' | null;
  isvisible?: boolean;
  children?: TocItem[];
  // SCORM 1.2 only.
  masteryScore?: number | null;
  prerequisites?: string | null;
  maxTimeAllowed?: string | null;
  timeLimitAction?: string | null;
  dataFromLms?: string | null;
}

export interface SavedSco {
  cmi?: Record<string, unknown> | null;
  seq?: number;
  entry?: 'resume' | 'ab-initio' | '';
}

export interface Launch {
  registration: string;
  attempt: number;
  attemptId: string;
  learner: { id: string; name: string };
  course: {
    id: string;
    version: number;
    title: string;
    standard: 'scorm12' | 'scorm2004';
    scormVersion: string;
  };
  contentBase: string;
  toc: TocItem[];
  sequencing?: { activityTree?: unknown } | null;
  sequencingState?: unknown;
  scos: Record<string, SavedSco>;
  current: string | null;
  exitUrl?: string | null;
  commitUrl: string;
}

export interface CommitBody {
  attemptId: string;
  sco: string;
  seq: number;
  cmi: unknown;
  terminated: boolean;
  navRequest: string | null;
  sequencingState?: unknown;
}

export interface Status {
  completion?: string | null;
  success?: string | null;
  score?: number | null;
}

export interface CommitAnswer {
  seq: number;
  sco?: Status;
  course?: Status & { complete?: boolean };
}
