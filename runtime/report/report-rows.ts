import type { CmiNode, CmiTree } from '../cmi/data-model.ts';
import { entriesOf, valueAt } from '../cmi/tree.ts';
import type { Attempt, Registration, ScoState } from '../model.ts';
import type { CourseVersionInfo } from '../ops/load-course-version.ts';

/** Reports read the stored CMI; these shape it into rows that are the same for JSON and CSV. */

export const ATTEMPT_COLUMNS = [
  'attempt',
  'attemptId',
  'completion',
  'success',
  'score',
  'totalSeconds',
  'startedAt',
  'completedAt',
] as const;

export function attemptRow(a: Attempt): Record<string, unknown> {
  return {
    attempt: a.number,
    attemptId: a.id,
    completion: a.completion,
    success: a.success,
    score: a.score,
    totalSeconds: a.totalSeconds,
    startedAt: a.createdAt,
    completedAt: a.completedAt,
  };
}

/** The registration summary: its current (last) attempt's status, and how many attempts it used. */
export function registrationSummary(registration: Registration, attempts: Attempt[]) {
  const current = attempts.at(-1);
  return {
    ...registration,
    attempts: attempts.length,
    attempt: current ? attemptRow(current) : null,
    status: {
      completion: current?.completion ?? 'not attempted',
      success: current?.success ?? 'unknown',
      score: current?.score ?? null,
      totalSeconds: current?.totalSeconds ?? 0,
      complete: current?.completedAt != null,
    },
  };
}

export const SCO_COLUMNS = [
  'sco',
  'title',
  'completion',
  'success',
  'score',
  'totalSeconds',
  'seq',
  'terminated',
  'suspended',
  'updatedAt',
  'cmi',
] as const;

export function scoRows(course: CourseVersionInfo, states: ScoState[]): Record<string, unknown>[] {
  const bySco = new Map(states.map((s) => [s.sco, s]));
  return [...course.scos.values()]
    .filter((s) => s.scormType === 'sco')
    .map((sco) => {
      const s = bySco.get(sco.id);
      return {
        sco: sco.id,
        title: sco.title,
        completion: s?.completion ?? 'not attempted',
        success: s?.success ?? 'unknown',
        score: s?.scoreScaled ?? null,
        totalSeconds: s?.totalSeconds ?? 0,
        seq: s?.seq ?? 0,
        terminated: s?.terminated ?? false,
        suspended: s?.suspended ?? false,
        updatedAt: s?.updatedAt ?? null,
        cmi: s?.cmi ?? {},
      };
    });
}

export const INTERACTION_COLUMNS = [
  'sco',
  'index',
  'id',
  'type',
  'description',
  'response',
  'correctResponses',
  'result',
  'weighting',
  'latency',
  'timestamp',
] as const;

const str = (node: CmiNode | undefined, key: string): string =>
  typeof node === 'object' && typeof node[key] === 'string' ? (node[key] as string) : '';

export function interactionRows(standard: 'scorm12' | 'scorm2004', states: ScoState[]) {
  return states.flatMap((s) =>
    entriesOf(s.cmi.interactions).map(([index, node]) => ({
      sco: s.sco,
      index,
      id: str(node, 'id'),
      type: str(node, 'type'),
      description: str(node, 'description'),
      response: str(node, standard === 'scorm12' ? 'student_response' : 'learner_response'),
      correctResponses: entriesOf(typeof node === 'object' ? node.correct_responses : undefined)
        .map(([, r]) => str(r, 'pattern'))
        .join(' | '),
      result: str(node, 'result'),
      weighting: str(node, 'weighting'),
      latency: str(node, 'latency'),
      timestamp: str(node, standard === 'scorm12' ? 'time' : 'timestamp'),
    })),
  );
}

export const OBJECTIVE_COLUMNS = [
  'sco',
  'index',
  'id',
  'success',
  'completion',
  'scoreScaled',
  'scoreRaw',
  'scoreMin',
  'scoreMax',
  'progressMeasure',
  'description',
] as const;

export function objectiveRows(standard: 'scorm12' | 'scorm2004', states: ScoState[]) {
  return states.flatMap((s) =>
    entriesOf(s.cmi.objectives).map(([index, node]) => {
      const o = (typeof node === 'object' ? node : {}) as CmiTree;
      // SCORM 1.2 has one status (lesson_status vocabulary) where 2004 splits success and completion.
      const status12 = valueAt(o, 'status');
      return {
        sco: s.sco,
        index,
        id: valueAt(o, 'id'),
        success:
          standard === 'scorm12'
            ? ['passed', 'failed'].includes(status12)
              ? status12
              : 'unknown'
            : valueAt(o, 'success_status') || 'unknown',
        completion:
          standard === 'scorm12' ? status12 || 'not attempted' : valueAt(o, 'completion_status') || 'unknown',
        scoreScaled: valueAt(o, 'score.scaled'),
        scoreRaw: valueAt(o, 'score.raw'),
        scoreMin: valueAt(o, 'score.min'),
        scoreMax: valueAt(o, 'score.max'),
        progressMeasure: valueAt(o, 'progress_measure'),
        description: valueAt(o, 'description'),
      };
    }),
  );
}
