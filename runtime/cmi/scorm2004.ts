import {
  type CmiTree,
  type DataModel,
  type ElementRule,
  elementRules,
  type Violation,
} from './data-model.ts';
import {
  all,
  LanguageType,
  LongIdentifier,
  localizedString,
  maxChars,
  oneOf,
  Real107,
  range,
  ShortIdentifier,
  Time,
  TimeInterval,
} from './data-types.ts';
import { entriesOf } from './tree.ts';

/** SCORM 2004 4th Edition Run-Time Environment, §4.2 "SCORM Run-Time Environment Data Model". */
const S = (element: string) => `SCORM 2004 RTE §4.2, cmi.${element}`;

export const COMPLETION_STATUS = ['completed', 'incomplete', 'not attempted', 'unknown'] as const;
export const SUCCESS_STATUS = ['passed', 'failed', 'unknown'] as const;

const INTERACTION_TYPES = [
  'true-false',
  'choice',
  'fill-in',
  'long-fill-in',
  'likert',
  'matching',
  'performance',
  'sequencing',
  'numeric',
  'other',
] as const;

const result = (v: string) =>
  ['correct', 'incorrect', 'unanticipated', 'neutral'].includes(v) || !Real107(v)
    ? undefined
    : 'one of "correct", "incorrect", "unanticipated", "neutral", or a real(10,7) number';

const { rw, ro, wo } = elementRules(S);

const elements: Record<string, ElementRule> = {
  'comments_from_learner.n.comment': rw(localizedString(4000), 'comments_from_learner.n.comment'),
  'comments_from_learner.n.location': rw(maxChars(250), 'comments_from_learner.n.location'),
  'comments_from_learner.n.timestamp': rw(Time, 'comments_from_learner.n.timestamp'),
  'comments_from_lms.n.comment': ro('comments_from_lms.n.comment'),
  'comments_from_lms.n.location': ro('comments_from_lms.n.location'),
  'comments_from_lms.n.timestamp': ro('comments_from_lms.n.timestamp'),
  completion_status: rw(oneOf(COMPLETION_STATUS), 'completion_status'),
  completion_threshold: ro('completion_threshold'),
  credit: ro('credit'),
  entry: ro('entry'),
  exit: wo(oneOf(['time-out', 'suspend', 'logout', 'normal']), 'exit'),
  launch_data: ro('launch_data'),
  learner_id: ro('learner_id'),
  learner_name: ro('learner_name'),
  'learner_preference.audio_level': rw(
    all(Real107, range(0, Number.MAX_VALUE)),
    'learner_preference.audio_level',
  ),
  'learner_preference.language': rw(LanguageType, 'learner_preference.language'),
  'learner_preference.delivery_speed': rw(
    all(Real107, range(0, Number.MAX_VALUE)),
    'learner_preference.delivery_speed',
  ),
  'learner_preference.audio_captioning': rw(oneOf(['-1', '0', '1']), 'learner_preference.audio_captioning'),
  location: rw(maxChars(1000), 'location (characterstring, SPM 1000)'),
  max_time_allowed: ro('max_time_allowed'),
  mode: ro('mode'),
  'objectives.n.id': rw(LongIdentifier, 'objectives.n.id'),
  'objectives.n.score.scaled': rw(all(Real107, range(-1, 1)), 'objectives.n.score.scaled'),
  'objectives.n.score.raw': rw(Real107, 'objectives.n.score.raw'),
  'objectives.n.score.min': rw(Real107, 'objectives.n.score.min'),
  'objectives.n.score.max': rw(Real107, 'objectives.n.score.max'),
  'objectives.n.success_status': rw(oneOf(SUCCESS_STATUS), 'objectives.n.success_status'),
  'objectives.n.completion_status': rw(oneOf(COMPLETION_STATUS), 'objectives.n.completion_status'),
  'objectives.n.progress_measure': rw(all(Real107, range(0, 1)), 'objectives.n.progress_measure'),
  'objectives.n.description': rw(localizedString(250), 'objectives.n.description'),
  progress_measure: rw(all(Real107, range(0, 1)), 'progress_measure'),
  scaled_passing_score: ro('scaled_passing_score'),
  'score.scaled': rw(all(Real107, range(-1, 1)), 'score.scaled'),
  'score.raw': rw(Real107, 'score.raw'),
  'score.min': rw(Real107, 'score.min'),
  'score.max': rw(Real107, 'score.max'),
  session_time: wo(TimeInterval, 'session_time'),
  success_status: rw(oneOf(SUCCESS_STATUS), 'success_status'),
  // 4th Edition raised the SPM from 4000 to 64000; the runtime stores up to 64000 for every edition (an LMS
  // may store more than the SPM, never less).
  suspend_data: rw(maxChars(64000), 'suspend_data (characterstring, SPM 64000)'),
  time_limit_action: ro('time_limit_action'),
  total_time: ro('total_time'),
  'interactions.n.id': rw(LongIdentifier, 'interactions.n.id'),
  'interactions.n.type': rw(oneOf(INTERACTION_TYPES), 'interactions.n.type'),
  'interactions.n.objectives.n.id': rw(LongIdentifier, 'interactions.n.objectives.n.id'),
  'interactions.n.timestamp': rw(Time, 'interactions.n.timestamp'),
  'interactions.n.correct_responses.n.pattern': rw(
    maxChars(64000),
    'interactions.n.correct_responses.n.pattern',
  ),
  'interactions.n.weighting': rw(Real107, 'interactions.n.weighting'),
  'interactions.n.learner_response': rw(maxChars(64000), 'interactions.n.learner_response'),
  'interactions.n.result': rw(result, 'interactions.n.result'),
  'interactions.n.latency': rw(TimeInterval, 'interactions.n.latency'),
  'interactions.n.description': rw(localizedString(250), 'interactions.n.description'),
};

const arrays = {
  comments_from_learner: { max: 250, spec: S('comments_from_learner (SPM 250)') },
  comments_from_lms: { max: 100, spec: S('comments_from_lms (SPM 100)') },
  objectives: { max: 100, spec: S('objectives (SPM 100)') },
  interactions: { max: 250, spec: S('interactions (SPM 250)') },
  'interactions.n.objectives': { max: 10, spec: S('interactions.n.objectives (SPM 10)') },
  'interactions.n.correct_responses': { max: 10, spec: S('interactions.n.correct_responses (SPM 10)') },
};

/** §4.2, cmi.interactions.n.correct_responses: how many patterns each type may have. */
const CORRECT_RESPONSES_MAX: Record<string, number> = {
  'true-false': 1,
  choice: 10,
  'fill-in': 10,
  'long-fill-in': 5,
  likert: 1,
  matching: 5,
  performance: 5,
  sequencing: 5,
  numeric: 1,
  other: 1,
};

/** §4.2, cmi.interactions.n.learner_response: the format depends on cmi.interactions.n.type. */
function responseRule(type: string, response: string): string | undefined {
  switch (type) {
    case 'true-false':
      return response === 'true' || response === 'false' ? undefined : '"true" or "false" for a true-false';
    case 'choice':
    case 'sequencing': {
      const ids = response.split('[,]');
      return ids.every((id) => !ShortIdentifier(id)) && ids.length <= 36
        ? undefined
        : `short identifiers separated by [,] for a ${type}`;
    }
    case 'likert':
      return ShortIdentifier(response) ? 'one short identifier for a likert' : undefined;
    case 'numeric':
      return Real107(response) ? 'a real(10,7) number for a numeric' : undefined;
    case 'fill-in':
      return response.split('[,]').length > 10 ? 'at most 10 strings for a fill-in' : undefined;
    case 'long-fill-in':
      return localizedString(4000)(response);
    default:
      return undefined;
  }
}

function crossChecks(cmi: CmiTree): Violation | undefined {
  for (const [i, interaction] of entriesOf(cmi.interactions)) {
    if (typeof interaction !== 'object') continue;
    const type = typeof interaction.type === 'string' ? interaction.type : '';
    const response = interaction.learner_response;
    if (typeof response === 'string' && response !== '') {
      if (type === '') {
        return {
          element: `cmi.interactions.${i}.learner_response`,
          rule: `cmi.interactions.${i}.type must be set before a response (${S('interactions.n.learner_response')})`,
        };
      }
      const why = responseRule(type, response);
      if (why) {
        return {
          element: `cmi.interactions.${i}.learner_response`,
          rule: `${why} (${S('interactions.n.learner_response')})`,
        };
      }
    }
    const patterns = entriesOf(interaction.correct_responses).length;
    const max = CORRECT_RESPONSES_MAX[type];
    if (max !== undefined && patterns > max) {
      return {
        element: `cmi.interactions.${i}.correct_responses`,
        rule: `a ${type} interaction has at most ${max} correct response pattern(s), got ${patterns} (${S('interactions.n.correct_responses')})`,
      };
    }
  }
  return undefined;
}

export const scorm2004: DataModel = {
  version: 'scorm2004',
  label: 'SCORM 2004',
  spec: 'SCORM 2004 RTE §4.2',
  elements,
  arrays,
  crossChecks,
};
