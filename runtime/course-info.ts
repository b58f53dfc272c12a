import {
  flattenItems,
  type Item,
  type ScormCourseModel,
  type ScormVersion,
} from '../packager/manifest/course-model.ts';

/** What the runtime needs of one launchable item of the course version. */
export interface ScoInfo {
  id: string;
  title: string;
  /** Only SCOs talk to the API; an asset is launched and counts for nothing in the rollup. */
  scormType: 'sco' | 'asset';
  /** SCORM 1.2 adlcp:masteryscore (0–100): the LMS decides passed/failed from score.raw. */
  masteryScore?: number;
  /** SCORM 2004 adlcp:completionThreshold minProgressMeasure (cmi.completion_threshold). */
  completionThreshold?: number;
  /** SCORM 2004 cmi.scaled_passing_score: the primary objective's minNormalizedMeasure when satisfiedByMeasure. */
  scaledPassingScore?: number;
  maxTimeAllowed?: string;
  timeLimitAction?: string;
  dataFromLms?: string;
}

export interface TocEntry {
  id: string;
  title: string;
  launchUrl: string | null;
  scormType: 'sco' | 'asset' | null;
  isvisible: boolean;
  children: TocEntry[];
  masteryScore?: number;
  prerequisites?: string;
  maxTimeAllowed?: string;
  timeLimitAction?: string;
  dataFromLms?: string;
}

export interface CourseInfo {
  standard: 'scorm12' | 'scorm2004';
  scormVersion: ScormVersion;
  title: string;
  /** The delivered organization's identifier: the root activity of SCORM 2004 sequencing. */
  organizationId: string | null;
  /** The launchable items of the default organization, in document order (assets included). */
  scos: Map<string, ScoInfo>;
  toc: TocEntry[];
}

function defaultOrganization(model: ScormCourseModel) {
  return (
    model.organizations.find((o) => o.identifier === model.defaultOrganization) ?? model.organizations[0]
  );
}

function toToc(item: Item, v12: boolean): TocEntry {
  const entry: TocEntry = {
    id: item.identifier,
    title: item.title,
    launchUrl: item.launchUrl ?? null,
    scormType: item.launchUrl ? (item.scormType ?? 'asset') : null,
    isvisible: item.isvisible,
    children: item.children.map((c) => toToc(c, v12)),
  };
  if (v12) {
    if (item.masteryScore !== undefined) entry.masteryScore = item.masteryScore;
    if (item.prerequisites) entry.prerequisites = item.prerequisites.expression;
    if (item.maxTimeAllowed) entry.maxTimeAllowed = item.maxTimeAllowed;
    if (item.timeLimitAction) entry.timeLimitAction = item.timeLimitAction;
    if (item.dataFromLms) entry.dataFromLms = item.dataFromLms;
  }
  return entry;
}

function scoInfo(item: Item): ScoInfo {
  const info: ScoInfo = { id: item.identifier, title: item.title, scormType: item.scormType ?? 'asset' };
  if (item.masteryScore !== undefined) info.masteryScore = item.masteryScore;
  if (item.completionThreshold) info.completionThreshold = item.completionThreshold.minProgressMeasure;
  // SCORM 2004 RTE §4.2 cmi.scaled_passing_score: from the primary objective when satisfiedByMeasure is true.
  const primary = item.sequencing?.objectives?.find((o) => o.primary);
  if (primary?.satisfiedByMeasure) info.scaledPassingScore = primary.minNormalizedMeasure;
  if (item.maxTimeAllowed) info.maxTimeAllowed = item.maxTimeAllowed;
  if (item.timeLimitAction) info.timeLimitAction = item.timeLimitAction;
  if (item.dataFromLms) info.dataFromLms = item.dataFromLms;
  return info;
}

/** The course model of a SCORM version, reduced to what launches and commits need. Versions never change. */
export function courseInfo(model: ScormCourseModel): CourseInfo {
  const org = defaultOrganization(model);
  const items = org ? flattenItems(org.items) : [];
  const v12 = model.version === '1.2';
  return {
    standard: v12 ? 'scorm12' : 'scorm2004',
    scormVersion: model.version,
    title: model.title,
    organizationId: org?.identifier ?? null,
    scos: new Map(items.filter((i) => i.launchUrl).map((i) => [i.identifier, scoInfo(i)])),
    toc: org ? org.items.map((i) => toToc(i, v12)) : [],
  };
}
