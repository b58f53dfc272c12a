import type { Json } from '../lrs/model/statement-index.ts';
import type { CmiTree } from './cmi/data-model.ts';

/** Attempts a registration may use when neither it nor the request names a limit. */
export const DEFAULT_MAX_ATTEMPTS = 10;

export interface Learner {
  objectType: 'Agent';
  name: string;
  account?: { homePage: string; name: string };
  mbox?: string;
}

export interface Registration {
  id: string;
  courseId: string;
  version: number;
  learner: Learner;
  maxAttempts: number;
  /** The exitUrl of the latest launch link, handed to the player at launch. */
  exitUrl: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Attempt {
  id: string;
  registrationId: string;
  number: number;
  completion: string;
  success: string;
  score: number | null;
  totalSeconds: number;
  completedAt: string | null;
  suspendedSco: string | null;
  sequencingState: Json | null;
  createdAt: string;
  updatedAt: string;
}

export interface ScoState {
  attemptId: string;
  sco: string;
  seq: number;
  commitHash: string;
  cmi: CmiTree;
  completion: string;
  success: string;
  scoreScaled: number | null;
  totalSeconds: number;
  sessionSeconds: number;
  terminated: boolean;
  suspended: boolean;
  updatedAt: string;
  /**
   * suspend_data's SHA-1 hex, where known: set by the commit that judged the state, and on a state a snapshot
   * holds (runtime/ops/attempt-snapshots.ts heldState), whose tree then has no suspend_data, which is only ever
   * compared.
   */
  suspendDataSha1?: string;
  /**
   * The ETag (SHA-1 hex) of the profile's Attempt State document this state gives, where known: set by the
   * commit that judged the state, so the next commit compares its own without building this one's again.
   */
  attemptStateEtag?: string;
}

/** The learner's id as SCORM's cmi.core.student_id / cmi.learner_id: the account name, else the mbox. */
export function learnerId(learner: Learner): string {
  return learner.account?.name ?? learner.mbox ?? '';
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const iso = (v: unknown): string => new Date(v as string).toISOString();

export function toRegistration(r: Record<string, unknown>): Registration {
  return {
    id: String(r.id),
    courseId: String(r.course_id),
    version: Number(r.version),
    learner: r.learner as Learner,
    maxAttempts: num(r.max_attempts) ?? DEFAULT_MAX_ATTEMPTS,
    exitUrl: (r.exit_url as string | null) ?? null,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export function toAttempt(r: Record<string, unknown>): Attempt {
  return {
    id: String(r.id),
    registrationId: String(r.registration_id),
    number: Number(r.number),
    completion: String(r.completion),
    success: String(r.success),
    score: num(r.score),
    totalSeconds: Number(r.total_seconds),
    completedAt: r.completed_at ? iso(r.completed_at) : null,
    suspendedSco: (r.suspended_sco as string | null) ?? null,
    sequencingState: (r.sequencing_state as Json) ?? null,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export function toScoState(r: Record<string, unknown>): ScoState {
  return {
    attemptId: String(r.attempt_id),
    sco: String(r.sco),
    seq: Number(r.seq),
    commitHash: String(r.commit_hash),
    cmi: r.cmi as CmiTree,
    completion: String(r.completion),
    success: String(r.success),
    scoreScaled: num(r.score_scaled),
    totalSeconds: Number(r.total_seconds),
    sessionSeconds: Number(r.session_seconds),
    terminated: Boolean(r.terminated),
    suspended: Boolean(r.suspended),
    updatedAt: iso(r.updated_at),
  };
}

export const ATTEMPT_COLUMNS = `id::text, registration_id::text, number, completion, success, score, total_seconds,
  completed_at, suspended_sco, sequencing_state, created_at, updated_at`;
/**
 * The stored tree is json without suspend_data (tenant migration 006), which is kept in its State document
 * (migration 007: suspend_doc), or, for rows not written since, in the suspend_data column. The tree is whole
 * again here. A document an xAPI client deleted, or overwrote with a body that cannot be suspend_data, gives
 * none (crest.suspend_data_text, control migration 005); an empty one gives none, as an empty value is never
 * stored (validate-cmi).
 */
export const SCO_CMI = `CASE WHEN suspend_doc IS NULL AND suspend_data IS NULL THEN cmi
  ELSE (cmi::jsonb || jsonb_strip_nulls(jsonb_build_object('suspend_data', nullif(CASE WHEN suspend_doc IS NULL
    THEN suspend_data ELSE (SELECT crest.suspend_data_text(d.body) FROM documents d WHERE d.id = suspend_doc) END,
    ''))))::json END`;
export const SCO_STATE_COLUMNS = `attempt_id::text, sco, seq, commit_hash, ${SCO_CMI} AS cmi, completion, success,
  score_scaled, total_seconds, session_seconds, terminated, suspended, updated_at`;
export const REGISTRATION_COLUMNS = `id::text, course_id::text, version, learner, max_attempts, exit_url, created_at, updated_at`;
