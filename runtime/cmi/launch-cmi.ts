import type { ScoInfo } from '../course-info.ts';
import { type Learner, learnerId, type ScoState } from '../model.ts';
import type { CmiTree } from './data-model.ts';
import { cmiTimespan, isoDuration } from './sco-status.ts';
import { setValue, without } from './tree.ts';

export type Entry = 'ab-initio' | 'resume' | '';

/** cmi.core.entry / cmi.entry (SCORM 1.2 RTE §3.4; SCORM 2004 RTE §4.2): how this SCO session begins. */
export function entryFor(state: ScoState | undefined): Entry {
  if (!state) return 'ab-initio';
  return state.suspended ? 'resume' : '';
}

/**
 * The CMI a SCO starts a session with (scorm-again loadFromJSON shape): what it stored in this attempt,
 * without the write-only session_time and exit of the last session, plus the LMS-owned read-only elements.
 */
export function launchCmi(
  standard: 'scorm12' | 'scorm2004',
  state: ScoState | undefined,
  sco: ScoInfo,
  learner: Learner,
): CmiTree {
  const entry = entryFor(state);
  const total = state?.totalSeconds ?? 0;
  if (standard === 'scorm12') {
    const cmi = without(state?.cmi ?? {}, ['core.session_time', 'core.exit']);
    setValue(cmi, 'core.student_id', learnerId(learner));
    setValue(cmi, 'core.student_name', learner.name);
    setValue(cmi, 'core.credit', 'credit');
    setValue(cmi, 'core.entry', entry);
    setValue(cmi, 'core.lesson_mode', 'normal');
    setValue(cmi, 'core.total_time', cmiTimespan(total));
    // SCORM 1.2 RTE §3.4: the LMS sets lesson_status to "not attempted" before the first launch.
    if (!state) setValue(cmi, 'core.lesson_status', 'not attempted');
    if (sco.dataFromLms) setValue(cmi, 'launch_data', sco.dataFromLms);
    if (sco.masteryScore !== undefined) setValue(cmi, 'student_data.mastery_score', String(sco.masteryScore));
    if (sco.maxTimeAllowed) setValue(cmi, 'student_data.max_time_allowed', sco.maxTimeAllowed);
    if (sco.timeLimitAction) setValue(cmi, 'student_data.time_limit_action', sco.timeLimitAction);
    return cmi;
  }
  const cmi = without(state?.cmi ?? {}, ['session_time', 'exit']);
  setValue(cmi, 'learner_id', learnerId(learner));
  setValue(cmi, 'learner_name', learner.name);
  setValue(cmi, 'credit', 'credit');
  setValue(cmi, 'entry', entry);
  setValue(cmi, 'mode', 'normal');
  setValue(cmi, 'total_time', isoDuration(total));
  if (sco.dataFromLms) setValue(cmi, 'launch_data', sco.dataFromLms);
  if (sco.completionThreshold !== undefined)
    setValue(cmi, 'completion_threshold', String(sco.completionThreshold));
  if (sco.scaledPassingScore !== undefined)
    setValue(cmi, 'scaled_passing_score', String(sco.scaledPassingScore));
  if (sco.maxTimeAllowed) setValue(cmi, 'max_time_allowed', sco.maxTimeAllowed);
  if (sco.timeLimitAction) setValue(cmi, 'time_limit_action', sco.timeLimitAction);
  return cmi;
}
