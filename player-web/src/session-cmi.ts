import type { TocItem } from './contract.ts';
import type { Player } from './player.ts';
import type { Any } from './scorm-api.ts';

/** Per-session elements: a new session starts without the last one's (the runtime drops them too). */
const PER_SESSION = ['session_time', 'exit', 'entry'];

/** The LMS-set elements' names: under cmi.core in SCORM 1.2 (RTE §3.4.4), at cmi in 2004 (RTE §4.2). */
const LMS_SET = {
  scorm12: { learnerId: 'student_id', learnerName: 'student_name', mode: 'lesson_mode' },
  scorm2004: { learnerId: 'learner_id', learnerName: 'learner_name', mode: 'mode' },
} as const;

/** What a new session of the item starts from: saved data minus per-session elements, plus LMS data. */
export function sessionCmi(p: Player, item: TocItem): Record<string, Any> {
  const saved = structuredClone(p.records.savedCmi(item.id) ?? {}) as Record<string, Any>;
  if (p.v12) saved.core ??= {};
  const session = p.v12 ? saved.core : saved;
  const names = LMS_SET[p.launch.course.standard];
  const lastExit = session.exit;
  for (const k of PER_SESSION) delete session[k];
  session[names.learnerId] = p.launch.learner.id;
  session[names.learnerName] = p.launch.learner.name;
  session.entry = p.records.entry(item.id, lastExit);
  session.credit = 'credit';
  session[names.mode] = 'normal';
  if (p.v12) addScorm12LaunchData(saved, item);
  return saved;
}

/** The manifest's per-item data (SCORM 1.2 adlcp: masteryscore, maxtimeallowed, …) and a lesson status. */
function addScorm12LaunchData(saved: Record<string, Any>, item: TocItem): void {
  if (!saved.core.lesson_status) saved.core.lesson_status = 'not attempted';
  saved.student_data ??= {};
  const sd = saved.student_data;
  if (item.masteryScore !== undefined && item.masteryScore !== null)
    sd.mastery_score = String(item.masteryScore);
  if (item.maxTimeAllowed) sd.max_time_allowed = item.maxTimeAllowed;
  if (item.timeLimitAction) sd.time_limit_action = item.timeLimitAction;
  if (item.dataFromLms) saved.launch_data = item.dataFromLms;
}
