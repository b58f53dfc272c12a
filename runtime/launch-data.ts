import type { ScormAgainSequencingSettings } from '../packager/manifest/scorm-again-sequencing.ts';
import type { CmiTree } from './cmi/data-model.ts';
import { type Entry, entryFor, launchCmi } from './cmi/launch-cmi.ts';
import type { TocEntry } from './course-info.ts';
import { learnerId } from './model.ts';
import type { OpenLaunchResult } from './ops/open-launch.ts';

/** The answer of GET /runtime/v1/launch/:token (runtime/API.md). */
export interface LaunchData {
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
  toc: TocEntry[];
  sequencing: ScormAgainSequencingSettings | null;
  sequencingState: unknown;
  scos: Record<string, { cmi: CmiTree; seq: number; entry: Entry }>;
  current: string | null;
  exitUrl: string | null;
  commitUrl: string;
}

export function buildLaunchData(
  opened: OpenLaunchResult,
  links: { contentBase: string; commitUrl: string },
): LaunchData {
  const { registration, attempt, course, states } = opened;
  const bySco = new Map(states.map((s) => [s.sco, s]));
  const scos: LaunchData['scos'] = {};
  for (const sco of course.scos.values()) {
    if (sco.scormType !== 'sco') continue;
    const state = bySco.get(sco.id);
    scos[sco.id] = {
      cmi: launchCmi(course.standard, state, sco, registration.learner),
      seq: state?.seq ?? 0,
      entry: entryFor(state),
    };
  }
  const first = [...course.scos.keys()][0] ?? null;
  const current =
    attempt.suspendedSco && course.scos.has(attempt.suspendedSco) ? attempt.suspendedSco : first;
  return {
    registration: registration.id,
    attempt: attempt.number,
    attemptId: attempt.id,
    learner: { id: learnerId(registration.learner), name: registration.learner.name },
    course: {
      id: course.courseId,
      version: course.version,
      title: course.title,
      standard: course.standard,
      scormVersion: course.scormVersion,
    },
    contentBase: links.contentBase,
    toc: course.toc,
    sequencing: course.standard === 'scorm2004' ? course.sequencing : null,
    sequencingState: attempt.sequencingState,
    scos,
    current,
    exitUrl: registration.exitUrl,
    commitUrl: links.commitUrl,
  };
}
