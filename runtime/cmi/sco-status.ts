import type { ScoInfo } from '../course-info.ts';
import type { CmiTree } from './data-model.ts';
import { setValue, valueAt } from './tree.ts';

export type Completion = 'completed' | 'incomplete' | 'not attempted' | 'unknown';
export type Success = 'passed' | 'failed' | 'unknown';

export interface ScoStatus {
  completion: Completion;
  success: Success;
  /** -1..1; SCORM 1.2 raw scores are normalised 0–100, so scaled = raw / 100 (xAPI SCORM Profile §6 "Score"). */
  scoreScaled: number | null;
  /** The SCO asked to be resumed next time (cmi.core.exit / cmi.exit = suspend). */
  suspended: boolean;
  /** This session's cmi.core.session_time / cmi.session_time, in seconds. */
  sessionSeconds: number;
}

/** SCORM 1.2 CMITimespan HHHH:MM:SS.SS → seconds. */
export function timespanSeconds(v: string): number {
  const m = /^(\d{2,4}):(\d{2}):(\d{2}(?:\.\d{1,2})?)$/.exec(v);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : 0;
}

/** ISO 8601 duration (SCORM 2004 timeinterval) → seconds; a year is 365 days and a month 30, as scorm-again does. */
export function durationSeconds(v: string): number {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(v);
  if (!m) return 0;
  const [, y, mo, d, h, mi, s] = m.map((x) => Number(x ?? 0));
  return (y! * 365 + mo! * 30 + d!) * 86400 + h! * 3600 + mi! * 60 + s!;
}

/** Seconds → ISO 8601 duration with 0.01 s precision, as xAPI result.duration wants it. */
export function isoDuration(seconds: number): string {
  const cs = Math.round(seconds * 100);
  const h = Math.floor(cs / 360000);
  const m = Math.floor((cs % 360000) / 6000);
  const s = (cs % 6000) / 100;
  return `PT${h}H${m}M${s}S`;
}

/** Seconds → SCORM 1.2 CMITimespan (HHHH:MM:SS.SS). */
export function cmiTimespan(seconds: number): string {
  const cs = Math.round(seconds * 100);
  const h = Math.min(Math.floor(cs / 360000), 9999);
  const m = Math.floor((cs % 360000) / 6000);
  const s = Math.floor((cs % 6000) / 100);
  const frac = cs % 100;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h, 4)}:${pad(m)}:${pad(s)}${frac ? `.${pad(frac)}` : ''}`;
}

function num(v: string): number | null {
  return v === '' ? null : Number(v);
}

/**
 * The lesson_status the LMS itself sets (SCORM 1.2 RTE §3.4, cmi.core.lesson_status, "Additional Behavior
 * Requirements"): on LMSFinish a status the SCO never set ("not attempted") becomes "completed"; then, with a
 * mastery score and a score.raw from the SCO, "passed" or "failed". The stored CMI carries the LMS's value, so the
 * SCO reads it back on its next launch.
 */
export function applyLmsStatus12(cmi: CmiTree, sco: ScoInfo, terminated: boolean): CmiTree {
  let status = valueAt(cmi, 'core.lesson_status');
  if (terminated && (status === '' || status === 'not attempted')) status = 'completed';
  const raw = valueAt(cmi, 'core.score.raw');
  if (sco.masteryScore !== undefined && raw !== '' && status !== '' && status !== 'not attempted')
    status = Number(raw) >= sco.masteryScore ? 'passed' : 'failed';
  if (status === valueAt(cmi, 'core.lesson_status')) return cmi;
  const out = structuredClone(cmi);
  setValue(out, 'core.lesson_status', status);
  return out;
}

/**
 * SCORM 1.2: cmi.core.lesson_status, except that when the item has a mastery score and the SCO reported a raw
 * score, the LMS decides passed/failed by comparing them (SCORM 1.2 RTE §3.4 cmi.core.lesson_status and
 * cmi.student_data.mastery_score; always in credit mode here).
 */
function status12(cmi: CmiTree, sco: ScoInfo): ScoStatus {
  let status = valueAt(cmi, 'core.lesson_status');
  const raw = num(valueAt(cmi, 'core.score.raw'));
  if (sco.masteryScore !== undefined && raw !== null) status = raw >= sco.masteryScore ? 'passed' : 'failed';
  const completion: Completion =
    status === 'completed' || status === 'passed'
      ? 'completed'
      : status === '' || status === 'not attempted'
        ? 'not attempted'
        : 'incomplete';
  const success: Success = status === 'passed' ? 'passed' : status === 'failed' ? 'failed' : 'unknown';
  return {
    completion,
    success,
    scoreScaled: raw === null ? null : Math.max(-1, Math.min(1, raw / 100)),
    suspended: valueAt(cmi, 'core.exit') === 'suspend',
    sessionSeconds: timespanSeconds(valueAt(cmi, 'core.session_time')),
  };
}

/**
 * SCORM 2004: cmi.completion_status and cmi.success_status, except that the LMS evaluates them itself when the
 * manifest gives a completion threshold and the SCO reports progress_measure (RTE §4.2.4.1, cmi.completion_status
 * with cmi.completion_threshold and cmi.progress_measure), or a scaled passing score and the SCO reports
 * score.scaled (RTE §4.2.22.1, cmi.success_status with cmi.scaled_passing_score and cmi.score.scaled).
 */
function status2004(cmi: CmiTree, sco: ScoInfo, terminated: boolean): ScoStatus {
  let completion = (valueAt(cmi, 'completion_status') || 'unknown') as Completion;
  const progress = num(valueAt(cmi, 'progress_measure'));
  if (sco.completionThreshold !== undefined && progress !== null)
    completion = progress >= sco.completionThreshold ? 'completed' : 'incomplete';
  let success = (valueAt(cmi, 'success_status') || 'unknown') as Success;
  const scaled = num(valueAt(cmi, 'score.scaled'));
  if (sco.scaledPassingScore !== undefined && scaled !== null)
    success = scaled >= sco.scaledPassingScore ? 'passed' : 'failed';
  const status: ScoStatus = {
    completion,
    success,
    scoreScaled: scaled,
    suspended: valueAt(cmi, 'exit') === 'suspend',
    sessionSeconds: durationSeconds(valueAt(cmi, 'session_time')),
  };
  return applyLmsStatus2004(status, sco, terminated);
}

/**
 * The status the LMS itself sets when a SCORM 2004 SCO's attempt ends: the End Attempt Process for a leaf
 * activity (SN 4th Ed. pseudo code UP.4, step 1.1), given the Delivery Controls of the item (SN §3.13):
 * - 1.1: only when Tracked is true; an untracked SCO keeps just what it reported itself, and stays out of the
 *   course rollup (`CourseInfo.rollupScoIds`);
 * - 1.1.1: only when the activity is not suspended (the sequencer leaves a suspended activity's state alone);
 * - 1.1.1.1: Completion Set by Content false and Attempt Progress Status false → completed;
 * - 1.1.1.2: Objective Set by Content false and the primary objective's Objective Progress Status false →
 *   satisfied, i.e. passed (the primary objective is the one that contributes to rollup).
 *
 * When does the attempt end? The terminating commit (Terminate("")) ends the SCO's session; with cmi.exit
 * "suspend" the attempt is suspended, not ended (RTE §4.2.8 cmi.exit: the learner attempt does not end and the
 * activity is suspended), so nothing is set and the SCO resumes with exactly what it reported. Every other exit
 * ("normal", "time-out", "logout", "") ends the attempt. A commit that is not terminating ends nothing.
 *
 * The progress statuses come from the RTE-to-tracking-model mapping: cmi.completion_status "unknown" (the value
 * of an element never set) is Attempt Progress Status false, any other value, "not attempted" included, is
 * progress the content reported (RTE §4.2.4); cmi.success_status "unknown" is Objective Progress Status false
 * (RTE §4.2.22). Both are read after the LMS's own threshold evaluations above, which count as reported.
 *
 * The result lives in the derived status only (the SCO state's completion / success, the rollup, the
 * statements), never in the stored CMI: UP.4 sets the sequencer's tracking model, not the SCO's run-time data,
 * and RTE §4.2.4 / §4.2.22 have the LMS answer GetValue with what the SCO set (or the threshold evaluation) —
 * unlike SCORM 1.2, whose RTE §3.4 tells the LMS to change cmi.core.lesson_status itself (`applyLmsStatus12`).
 * A later session of this SCO in the same registration attempt therefore still reads "unknown", as it would on
 * a new SN attempt, whose progress information starts unknown again (SN DB.2).
 */
export function applyLmsStatus2004(status: ScoStatus, sco: ScoInfo, terminated: boolean): ScoStatus {
  if (!terminated || status.suspended || sco.tracked === false) return status;
  const completion =
    sco.completionSetByContent !== true && status.completion === 'unknown' ? 'completed' : status.completion;
  const success =
    sco.objectiveSetByContent !== true && status.success === 'unknown' ? 'passed' : status.success;
  if (completion === status.completion && success === status.success) return status;
  return { ...status, completion, success };
}

/**
 * A SCO's status from its CMI. `terminated`: this is the session's terminating commit (Terminate / LMSFinish),
 * after which SCORM 2004 applies the End Attempt defaults (`applyLmsStatus2004`); SCORM 1.2's LMS status is
 * written into the CMI beforehand by `applyLmsStatus12`.
 */
export function scoStatus(
  standard: 'scorm12' | 'scorm2004',
  cmi: CmiTree,
  sco: ScoInfo,
  terminated = false,
): ScoStatus {
  return standard === 'scorm12' ? status12(cmi, sco) : status2004(cmi, sco, terminated);
}
