import {
  type CmiTree,
  type DataModel,
  type ElementRule,
  elementRules,
  type Violation,
} from './data-model.ts';
import {
  all,
  CMIDecimal,
  CMIIdentifier,
  CMISInteger,
  CMIString255,
  CMIString4096,
  CMITime,
  CMITimespan,
  maxChars,
  oneOf,
  range,
} from './data-types.ts';
import { entriesOf } from './tree.ts';

/** SCORM 1.2 Run-Time Environment, §3.4 "Data Model" (the cmi.* elements and their CMI data types). */
const S = (element: string) => `SCORM 1.2 RTE §3.4, cmi.${element}`;

export const LESSON_STATUS_12 = [
  'passed',
  'completed',
  'failed',
  'incomplete',
  'browsed',
  'not attempted',
] as const;

/** Scores are "normalized between 0 and 100" (§3.4, cmi.core.score.raw). */
const score = all(CMIDecimal, range(0, 100));
const INTERACTION_TYPES = [
  'true-false',
  'choice',
  'fill-in',
  'matching',
  'performance',
  'sequencing',
  'likert',
  'numeric',
];
const result = (v: string) =>
  ['correct', 'wrong', 'unanticipated', 'neutral'].includes(v) || !CMIDecimal(v)
    ? undefined
    : 'one of "correct", "wrong", "unanticipated", "neutral", or a CMIDecimal';

const { rw, ro, wo } = elementRules(S);

const elements: Record<string, ElementRule> = {
  'core.student_id': ro('core.student_id'),
  'core.student_name': ro('core.student_name'),
  'core.lesson_location': rw(CMIString255, 'core.lesson_location'),
  'core.credit': ro('core.credit'),
  'core.lesson_status': rw(oneOf(LESSON_STATUS_12), 'core.lesson_status'),
  'core.entry': ro('core.entry'),
  'core.score.raw': rw(score, 'core.score.raw'),
  'core.score.min': rw(score, 'core.score.min'),
  'core.score.max': rw(score, 'core.score.max'),
  'core.total_time': ro('core.total_time'),
  'core.lesson_mode': ro('core.lesson_mode'),
  'core.exit': wo(oneOf(['time-out', 'suspend', 'logout']), 'core.exit'),
  'core.session_time': wo(CMITimespan, 'core.session_time'),
  suspend_data: rw(CMIString4096, 'suspend_data (CMIString4096)'),
  launch_data: ro('launch_data'),
  comments: rw(CMIString4096, 'comments (CMIString4096)'),
  comments_from_lms: ro('comments_from_lms'),
  'objectives.n.id': rw(CMIIdentifier, 'objectives.n.id'),
  'objectives.n.score.raw': rw(score, 'objectives.n.score.raw'),
  'objectives.n.score.min': rw(score, 'objectives.n.score.min'),
  'objectives.n.score.max': rw(score, 'objectives.n.score.max'),
  'objectives.n.status': rw(oneOf(LESSON_STATUS_12), 'objectives.n.status'),
  'student_data.mastery_score': ro('student_data.mastery_score'),
  'student_data.max_time_allowed': ro('student_data.max_time_allowed'),
  'student_data.time_limit_action': ro('student_data.time_limit_action'),
  'student_preference.audio': rw(all(CMISInteger, range(-1, 100)), 'student_preference.audio'),
  'student_preference.language': rw(CMIString255, 'student_preference.language'),
  'student_preference.speed': rw(all(CMISInteger, range(-100, 100)), 'student_preference.speed'),
  'student_preference.text': rw(all(CMISInteger, range(-1, 1)), 'student_preference.text'),
  // Interactions are write-only in 1.2: the SCO journals them, the LMS keeps them.
  'interactions.n.id': wo(CMIIdentifier, 'interactions.n.id'),
  'interactions.n.objectives.n.id': wo(CMIIdentifier, 'interactions.n.objectives.n.id'),
  'interactions.n.time': wo(CMITime, 'interactions.n.time'),
  'interactions.n.type': wo(oneOf(INTERACTION_TYPES), 'interactions.n.type'),
  'interactions.n.correct_responses.n.pattern': wo(
    maxChars(255),
    'interactions.n.correct_responses.n.pattern (CMIFeedback)',
  ),
  'interactions.n.weighting': wo(CMIDecimal, 'interactions.n.weighting'),
  'interactions.n.student_response': wo(maxChars(255), 'interactions.n.student_response (CMIFeedback)'),
  'interactions.n.result': wo(result, 'interactions.n.result'),
  'interactions.n.latency': wo(CMITimespan, 'interactions.n.latency'),
};

/**
 * SCORM 1.2 names no maximum count for these collections; the runtime bounds them so one learner cannot fill
 * the database (each entry is also bounded by its element types).
 */
const arrays = {
  objectives: { max: 250, spec: S('objectives (runtime bound: 250)') },
  interactions: { max: 500, spec: S('interactions (runtime bound: 500)') },
  'interactions.n.objectives': { max: 50, spec: S('interactions.n.objectives (runtime bound: 50)') },
  'interactions.n.correct_responses': {
    max: 50,
    spec: S('interactions.n.correct_responses (runtime bound: 50)'),
  },
};

/** §3.4 cmi.interactions.n.student_response: the CMIFeedback format depends on the interaction type. */
function crossChecks(cmi: CmiTree): Violation | undefined {
  for (const [i, interaction] of entriesOf(cmi.interactions)) {
    if (typeof interaction !== 'object') continue;
    const type = interaction.type;
    const response = interaction.student_response;
    if (typeof response !== 'string' || response === '') continue;
    const element = `cmi.interactions.${i}.student_response`;
    if (type === 'true-false' && !/^[01tf]$/.test(response)) {
      return {
        element,
        rule: `a true-false response is 0, 1, t or f (${S('interactions.n.student_response')})`,
      };
    }
    if (type === 'numeric' && CMIDecimal(response)) {
      return {
        element,
        rule: `a numeric response is a CMIDecimal (${S('interactions.n.student_response')})`,
      };
    }
  }
  return undefined;
}

export const scorm12: DataModel = {
  version: 'scorm12',
  label: 'SCORM 1.2',
  spec: 'SCORM 1.2 RTE §3.4',
  elements,
  arrays,
  crossChecks,
};
