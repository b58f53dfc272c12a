import type { Completion, Success } from './sco-status.ts';

export interface ScoOutcome {
  completion: Completion;
  success: Success;
  scoreScaled: number | null;
  totalSeconds: number;
}

export interface CourseStatus {
  completion: Completion;
  success: Success;
  /** The mean of the SCOs' known scaled scores (-1..1), or null. */
  score: number | null;
  totalSeconds: number;
  /** Completed or passed: what the learner sees as "done", and what fires course.completed. */
  complete: boolean;
}

/**
 * The course status from its SCOs (those of type sco; assets cannot report):
 * - completion: every SCO completed → completed; any SCO reported → incomplete; else not attempted. This is
 *   the SCORM 1.2 rule ("all SCOs completed or passed") and the IMS SS default rollup for SCORM 2004 (SN
 *   §4.6.5: with no rollup rules, a parent is completed when all tracked children are).
 * - success: any SCO failed → failed; every SCO passed, or completed without ever reporting success, with at
 *   least one passed → passed; else unknown. A SCO that reports no success counts as satisfied once completed,
 *   which is what SCORM 2004 does when objectiveSetByContent is false (SN §4.2.17.2) and what a SCORM 1.2 SCO
 *   without a mastery score means.
 * - score: the unweighted mean of the known scaled scores (objectiveMeasureWeight 1.0 for every child).
 * - time: the sum of the SCOs' total times.
 */
export function rollupCourse(
  scoIds: readonly string[],
  states: ReadonlyMap<string, ScoOutcome>,
): CourseStatus {
  const outcomes = scoIds.map((id) => states.get(id));
  const reported = outcomes.filter((o): o is ScoOutcome => o !== undefined);
  const allCompleted = scoIds.length > 0 && outcomes.every((o) => o?.completion === 'completed');
  const completion: Completion = allCompleted
    ? 'completed'
    : reported.length > 0
      ? 'incomplete'
      : 'not attempted';
  let success: Success = 'unknown';
  if (reported.some((o) => o.success === 'failed')) success = 'failed';
  else if (
    reported.some((o) => o.success === 'passed') &&
    outcomes.every(
      (o) => o?.success === 'passed' || (o?.completion === 'completed' && o.success === 'unknown'),
    )
  )
    success = 'passed';
  const scores = reported.map((o) => o.scoreScaled).filter((s): s is number => s !== null);
  const score = scores.length > 0 ? round7(scores.reduce((a, b) => a + b, 0) / scores.length) : null;
  const totalSeconds = reported.reduce((a, o) => a + o.totalSeconds, 0);
  return {
    completion,
    success,
    score,
    totalSeconds,
    complete: completion === 'completed' || success === 'passed',
  };
}

function round7(n: number): number {
  return Math.round(n * 1e7) / 1e7;
}

const COMPLETIONS: readonly string[] = ['completed', 'incomplete', 'not attempted'];
const SUCCESSES: readonly string[] = ['passed', 'failed'];

function findActivityStates(state: unknown, depth = 0): Record<string, unknown> | undefined {
  if (typeof state !== 'object' || state === null || depth > 3) return undefined;
  const states = (state as Record<string, unknown>).activityStates;
  if (typeof states === 'object' && states !== null) return states as Record<string, unknown>;
  for (const v of Object.values(state)) {
    const found = findActivityStates(v, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * SCORM 2004 with sequencing: when the player sends scorm-again's sequencing state, the root activity (the
 * organization) carries the course status after the manifest's own rollup rules (SN §4.6 Rollup Process), which
 * the SCO-level rollup above only approximates. Its known completion and success win; the score is its
 * normalized measure when that is known. The state is the player's, as the CMI is: it is read, never trusted
 * for anything beyond what the learner's own CMI could already claim.
 */
export function withRootActivity(
  course: CourseStatus,
  sequencingState: unknown,
  rootId: string | null,
): CourseStatus {
  if (!rootId) return course;
  const root = findActivityStates(sequencingState)?.[rootId] as Record<string, unknown> | undefined;
  if (!root || typeof root !== 'object') return course;
  const out = { ...course };
  if (typeof root.completionStatus === 'string' && COMPLETIONS.includes(root.completionStatus))
    out.completion = root.completionStatus as Completion;
  if (root.objectiveSatisfiedStatusKnown === true)
    out.success = root.objectiveSatisfiedStatus === true ? 'passed' : 'failed';
  else if (typeof root.successStatus === 'string' && SUCCESSES.includes(root.successStatus))
    out.success = root.successStatus as Success;
  const measure = root.objectiveNormalizedMeasure;
  if (root.objectiveMeasureStatus === true && typeof measure === 'number' && measure >= -1 && measure <= 1)
    out.score = measure;
  out.complete = out.completion === 'completed' || out.success === 'passed';
  return out;
}
