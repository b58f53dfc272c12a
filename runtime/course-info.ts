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
  /**
   * SCORM 2004 Delivery Controls (SN §3.13; CAM imsss:deliveryControls), with their defaults when the item
   * has none: tracked true, completionSetByContent false, objectiveSetByContent false. They decide whether the
   * LMS sets completion / satisfaction itself when an attempt ends (SN UP.4, `applyLmsStatus2004`).
   * Absent for SCORM 1.2 items, which have no sequencing.
   */
  tracked?: boolean;
  completionSetByContent?: boolean;
  objectiveSetByContent?: boolean;
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
  /**
   * The SCOs whose status rolls up into the course: assets cannot report, and an untracked SCORM 2004 SCO
   * records no tracking status that could contribute to its parent's rollup (SN §3.13 Delivery Controls,
   * Tracked: only tracked data contributes to the rollup of the activity's cluster; the rollup subprocesses,
   * SN RB.1.x, skip untracked children). Untracked SCOs still commit; their own reports stay on their SCO state.
   */
  rollupScoIds: string[];
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

function scoInfo(item: Item, v12: boolean): ScoInfo {
  const info: ScoInfo = { id: item.identifier, title: item.title, scormType: item.scormType ?? 'asset' };
  if (item.masteryScore !== undefined) info.masteryScore = item.masteryScore;
  if (item.completionThreshold) info.completionThreshold = item.completionThreshold.minProgressMeasure;
  // SCORM 2004 RTE §4.2 cmi.scaled_passing_score: from the primary objective when satisfiedByMeasure is true.
  const primary = item.sequencing?.objectives?.find((o) => o.primary);
  if (primary?.satisfiedByMeasure) info.scaledPassingScore = primary.minNormalizedMeasure;
  if (item.maxTimeAllowed) info.maxTimeAllowed = item.maxTimeAllowed;
  if (item.timeLimitAction) info.timeLimitAction = item.timeLimitAction;
  if (item.dataFromLms) info.dataFromLms = item.dataFromLms;
  if (!v12) {
    // IMS SS deliveryControls defaults (SCORM 2004 CAM, imsss:deliveryControls): the item's sequencing has
    // any IDRef merged in already, so an item without the element gets the attribute defaults.
    const d = item.sequencing?.deliveryControls;
    info.tracked = d?.tracked ?? true;
    info.completionSetByContent = d?.completionSetByContent ?? false;
    info.objectiveSetByContent = d?.objectiveSetByContent ?? false;
  }
  return info;
}

/** The course model of a SCORM version, reduced to what launches and commits need. Versions never change. */
export function courseInfo(model: ScormCourseModel): CourseInfo {
  const org = defaultOrganization(model);
  const items = org ? flattenItems(org.items) : [];
  const v12 = model.version === '1.2';
  const scos = new Map(items.filter((i) => i.launchUrl).map((i) => [i.identifier, scoInfo(i, v12)]));
  return {
    standard: v12 ? 'scorm12' : 'scorm2004',
    scormVersion: model.version,
    title: model.title,
    organizationId: org?.identifier ?? null,
    scos,
    rollupScoIds: [...scos.values()]
      .filter((s) => s.scormType === 'sco' && s.tracked !== false)
      .map((s) => s.id),
    toc: org ? org.items.map((i) => toToc(i, v12)) : [],
  };
}
