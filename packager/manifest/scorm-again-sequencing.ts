import type {
  AdlObjectiveMapInfo,
  Item,
  Objective,
  ObjectiveMapInfo,
  Organization,
  RollupRule,
  ScormCourseModel,
  Sequencing,
  SequencingRule,
} from './course-model.ts';

/**
 * The course model → scorm-again 3's `settings.sequencing` for `new Scorm2004API(settings)`. scorm-again does not
 * read manifests; it takes this tree instead.
 *
 * The types below restate, structurally, the parts of scorm-again 3.3.1's `src/types/sequencing_types.ts` this
 * mapping fills (SequencingSettings, ActivitySettings, ObjectiveSettings, ...), as consumed by
 * `src/configuration/activity_tree_builder.ts` and `sequencing_configuration_builder.ts`. Crest does not import
 * scorm-again on the server, so they are restated rather than imported; enum-typed fields there are string
 * enums whose values are the strings written here.
 */

export type SaHideLmsUi =
  | 'continue'
  | 'previous'
  | 'exit'
  | 'exitAll'
  | 'abandon'
  | 'abandonAll'
  | 'suspendAll';

export interface SaObjectiveMapInfo {
  targetObjectiveID: string;
  readSatisfiedStatus?: boolean;
  readNormalizedMeasure?: boolean;
  writeSatisfiedStatus?: boolean;
  writeNormalizedMeasure?: boolean;
  readCompletionStatus?: boolean;
  writeCompletionStatus?: boolean;
  readProgressMeasure?: boolean;
  writeProgressMeasure?: boolean;
  readRawScore?: boolean;
  writeRawScore?: boolean;
  readMinScore?: boolean;
  writeMinScore?: boolean;
  readMaxScore?: boolean;
  writeMaxScore?: boolean;
}

export interface SaObjective {
  objectiveID: string;
  isPrimary?: boolean;
  satisfiedByMeasure?: boolean;
  minNormalizedMeasure?: number | null;
  mapInfo?: SaObjectiveMapInfo[];
}

export interface SaRuleCondition {
  condition: string;
  operator?: 'not';
  referencedObjective?: string;
  parameters?: { threshold: number };
}

export interface SaSequencingRule {
  action: string;
  conditionCombination?: 'all' | 'any';
  conditions: SaRuleCondition[];
}

export interface SaSequencingRules {
  preConditionRules?: SaSequencingRule[];
  exitConditionRules?: SaSequencingRule[];
  postConditionRules?: SaSequencingRule[];
}

export interface SaSequencingControls {
  choice?: boolean;
  choiceExit?: boolean;
  flow?: boolean;
  forwardOnly?: boolean;
  useCurrentAttemptObjectiveInfo?: boolean;
  useCurrentAttemptProgressInfo?: boolean;
  preventActivation?: boolean;
  constrainChoice?: boolean;
  rollupObjectiveSatisfied?: boolean;
  rollupProgressCompletion?: boolean;
  objectiveMeasureWeight?: number;
  selectionTiming?: 'never' | 'once' | 'onEachNewAttempt';
  selectCount?: number | null;
  randomizeChildren?: boolean;
  randomizationTiming?: 'never' | 'once' | 'onEachNewAttempt';
}

export interface SaRollupRule {
  action: 'satisfied' | 'notSatisfied' | 'completed' | 'incomplete';
  consideration?: 'all' | 'any' | 'none' | 'atLeastCount' | 'atLeastPercent';
  minimumCount?: number;
  /** scorm-again compares this with a 0–100 percentage (rollup_rule_evaluator.ts), unlike IMS SS's 0–1. */
  minimumPercent?: number;
  conditions: { condition: string }[];
}

export interface SaActivity {
  id: string;
  title: string;
  children?: SaActivity[];
  isVisible?: boolean;
  attemptLimit?: number | null;
  attemptAbsoluteDurationLimit?: string | null;
  activityAbsoluteDurationLimit?: string | null;
  timeLimitAction?: string | null;
  beginTimeLimit?: string | null;
  endTimeLimit?: string | null;
  primaryObjective?: SaObjective;
  objectives?: SaObjective[];
  sequencingRules?: SaSequencingRules;
  sequencingControls?: SaSequencingControls;
  deliveryControls?: { tracked?: boolean; completionSetByContent?: boolean; objectiveSetByContent?: boolean };
  rollupRules?: { rules: SaRollupRule[] };
  rollupConsiderations?: {
    requiredForSatisfied?: string;
    requiredForNotSatisfied?: string;
    requiredForCompleted?: string;
    requiredForIncomplete?: string;
    measureSatisfactionIfActive?: boolean;
  };
  completionThreshold?: {
    completedByMeasure?: boolean;
    minProgressMeasure?: number;
    progressWeight?: number;
  };
  hideLmsUi?: SaHideLmsUi[];
  auxiliaryResources?: { resourceId: string; purpose: string }[];
}

export interface ScormAgainSequencingSettings {
  activityTree: SaActivity;
}

export interface ScormAgainSequencingResult {
  /** Null for SCORM 1.2, which has no sequencing for scorm-again to run. */
  sequencing: ScormAgainSequencingSettings | null;
  /** What the mapping had to drop or approximate, one sentence each, naming the activity. */
  notes: string[];
}

/**
 * Maps the (default, or named) organization. IDRefs are already merged in the model, so no `collections` are
 * emitted: each activity carries its full, resolved sequencing.
 */
export function toScormAgainSequencing(
  model: ScormCourseModel,
  organizationId?: string,
): ScormAgainSequencingResult {
  const notes: string[] = [];
  if (model.version === '1.2')
    return { sequencing: null, notes: ['SCORM 1.2 has no IMS Simple Sequencing.'] };
  const org = model.organizations.find((o) => o.identifier === (organizationId ?? model.defaultOrganization));
  if (!org)
    return { sequencing: null, notes: [`No organization "${organizationId ?? model.defaultOrganization}".`] };
  return { sequencing: { activityTree: mapOrganization(org, notes) }, notes };
}

function mapOrganization(org: Organization, notes: string[]): SaActivity {
  const activity: SaActivity = { id: org.identifier, title: org.title };
  if (org.sequencing) applySequencing(activity, org.sequencing, notes);
  if (org.items.length > 0) activity.children = org.items.map((i) => mapItem(i, notes));
  return activity;
}

function mapItem(item: Item, notes: string[]): SaActivity {
  const activity: SaActivity = { id: item.identifier, title: item.title };
  if (!item.isvisible) activity.isVisible = false;
  if (item.timeLimitAction) activity.timeLimitAction = item.timeLimitAction;
  if (item.completionThreshold) activity.completionThreshold = { ...item.completionThreshold };
  if (item.hideLmsUi) activity.hideLmsUi = [...item.hideLmsUi];
  if (item.sequencing) applySequencing(activity, item.sequencing, notes);
  if (item.children.length > 0) activity.children = item.children.map((c) => mapItem(c, notes));
  return activity;
}

function applySequencing(a: SaActivity, s: Sequencing, notes: string[]): void {
  const controls: SaSequencingControls = {};
  if (s.controlMode) Object.assign(controls, s.controlMode);
  if (s.constrainedChoiceConsiderations) Object.assign(controls, s.constrainedChoiceConsiderations);
  if (s.rollupRules) {
    controls.rollupObjectiveSatisfied = s.rollupRules.rollupObjectiveSatisfied;
    controls.rollupProgressCompletion = s.rollupRules.rollupProgressCompletion;
    controls.objectiveMeasureWeight = s.rollupRules.objectiveMeasureWeight;
  }
  if (s.randomizationControls) {
    const r = s.randomizationControls;
    controls.selectionTiming = r.selectionTiming;
    controls.randomizationTiming = r.randomizationTiming;
    // IMS SS reorderChildren is scorm-again's randomizeChildren; its own reorderChildren is a state flag
    // ("already reordered", selection_randomization.ts), so it must not be set from the manifest.
    controls.randomizeChildren = r.reorderChildren;
    if (r.selectCount !== undefined) controls.selectCount = r.selectCount;
  }
  if (Object.keys(controls).length > 0) a.sequencingControls = controls;

  if (s.deliveryControls) a.deliveryControls = { ...s.deliveryControls };
  if (s.rollupConsiderations) a.rollupConsiderations = { ...s.rollupConsiderations };
  if (s.auxiliaryResources && s.auxiliaryResources.length > 0) {
    a.auxiliaryResources = s.auxiliaryResources.map((r) => ({
      resourceId: r.auxiliaryResourceID,
      purpose: r.purpose,
    }));
  }

  const limits = s.limitConditions;
  if (limits) {
    if (limits.attemptLimit !== undefined) a.attemptLimit = limits.attemptLimit;
    if (limits.attemptAbsoluteDurationLimit)
      a.attemptAbsoluteDurationLimit = limits.attemptAbsoluteDurationLimit;
    if (limits.activityAbsoluteDurationLimit)
      a.activityAbsoluteDurationLimit = limits.activityAbsoluteDurationLimit;
    if (limits.beginTimeLimit) a.beginTimeLimit = limits.beginTimeLimit;
    if (limits.endTimeLimit) a.endTimeLimit = limits.endTimeLimit;
    if (limits.attemptExperiencedDurationLimit || limits.activityExperiencedDurationLimit) {
      notes.push(`${a.id}: experienced-duration limits have no scorm-again setting and were dropped.`);
    }
  }

  if (s.sequencingRules) {
    const rules: SaSequencingRules = {};
    const { preConditionRules: pre, exitConditionRules: exit, postConditionRules: post } = s.sequencingRules;
    if (pre.length > 0) rules.preConditionRules = pre.map(mapRule);
    if (exit.length > 0) rules.exitConditionRules = exit.map(mapRule);
    if (post.length > 0) rules.postConditionRules = post.map(mapRule);
    if (Object.keys(rules).length > 0) a.sequencingRules = rules;
  }

  if (s.rollupRules && s.rollupRules.rules.length > 0) {
    const rules = s.rollupRules.rules.flatMap((r) => mapRollupRule(r, a.id, notes));
    if (rules.length > 0) a.rollupRules = { rules };
  }

  if (s.objectives) {
    for (const o of s.objectives) {
      const mapped = mapObjective(o, a.id, notes);
      if (o.primary) a.primaryObjective = mapped;
      else a.objectives = [...(a.objectives ?? []), mapped];
    }
  }
}

function mapRule(rule: SequencingRule): SaSequencingRule {
  return {
    action: rule.action,
    conditionCombination: rule.conditionCombination,
    conditions: rule.conditions.map((c) => {
      const out: SaRuleCondition = { condition: c.condition };
      if (c.operator === 'not') out.operator = 'not';
      if (c.referencedObjective) out.referencedObjective = c.referencedObjective;
      // sequencing_rules.ts reads the threshold from parameters.get("threshold").
      if (c.measureThreshold !== undefined) out.parameters = { threshold: c.measureThreshold };
      return out;
    }),
  };
}

/** IMS SS rollup conditions that scorm-again's RollupConditionType lacks (they evaluate to false there). */
const UNSUPPORTED_ROLLUP_CONDITIONS = new Set([
  'attemptLimitExceeded',
  'timeLimitExceeded',
  'outsideAvailableTimeRange',
]);

/**
 * scorm-again 3.3.1's rollup conditions have no operator and are always combined with "all"
 * (rollup_rule_evaluator.ts: conditions.every). What can be restated exactly is; the rest is dropped with a
 * note, because running a rule with its "not" removed would invert it.
 */
function mapRollupRule(rule: RollupRule, activityId: string, notes: string[]): SaRollupRule[] {
  const conditions: { condition: string }[] = [];
  for (const c of rule.conditions) {
    const name = c.condition === 'activityProgressKnown' ? 'progressKnown' : c.condition;
    if (UNSUPPORTED_ROLLUP_CONDITIONS.has(c.condition)) {
      notes.push(
        `${activityId}: rollup rule "${rule.action}" uses the condition "${c.condition}", which scorm-again's rollup does not evaluate; the rule was dropped.`,
      );
      return [];
    }
    if (c.operator === 'not') {
      if (c.condition === 'attempted') {
        conditions.push({ condition: 'notAttempted' });
        continue;
      }
      notes.push(
        `${activityId}: rollup rule "${rule.action}" uses "not ${c.condition}", which scorm-again cannot express; the rule was dropped.`,
      );
      return [];
    }
    conditions.push({ condition: name });
  }
  const base = {
    action: rule.action,
    consideration: rule.childActivitySet,
    minimumCount: rule.minimumCount,
    minimumPercent: rule.minimumPercent * 100,
  };
  if (rule.conditionCombination === 'all' || conditions.length === 1) return [{ ...base, conditions }];
  // "any" of several conditions: for childActivitySet "any", ∃child(c1 ∨ c2) ≡ ∃child c1 ∨ ∃child c2, so one rule
  // per condition (same action) is exact. For the other sets it is not.
  if (rule.childActivitySet === 'any') return conditions.map((c) => ({ ...base, conditions: [c] }));
  notes.push(
    `${activityId}: rollup rule "${rule.action}" combines ${conditions.length} conditions with "any" over childActivitySet "${rule.childActivitySet}", which scorm-again cannot express; the rule was dropped.`,
  );
  return [];
}

function mapObjective(o: Objective, activityId: string, notes: string[]): SaObjective {
  let objectiveID = o.objectiveID;
  if (!objectiveID) {
    // scorm-again ignores an objective without an id, which would lose satisfiedByMeasure/minNormalizedMeasure.
    objectiveID = `${activityId}#primary`;
    notes.push(`${activityId}: the primary objective has no objectiveID; it was given "${objectiveID}".`);
  }
  const out: SaObjective = {
    objectiveID,
    isPrimary: o.primary,
    satisfiedByMeasure: o.satisfiedByMeasure,
    minNormalizedMeasure: o.minNormalizedMeasure,
  };
  const mapInfo = mergeMapInfo(o.mapInfo, o.adlMapInfo ?? []);
  if (mapInfo.length > 0) out.mapInfo = mapInfo;
  return out;
}

/**
 * One entry per target objective, every flag explicit. scorm-again defaults the 4th edition read flags to true
 * when absent (activity_tree_builder.ts), whereas a target named only by imsss:mapInfo shares no score,
 * completion or progress data (SCORM 2004 4th ed. SN, adlseq:mapInfo), and one named only by adlseq:mapInfo
 * shares no satisfaction or measure.
 */
function mergeMapInfo(
  ims: readonly ObjectiveMapInfo[],
  adl: readonly AdlObjectiveMapInfo[],
): SaObjectiveMapInfo[] {
  const byTarget = new Map<string, SaObjectiveMapInfo>();
  const entry = (target: string) => {
    let e = byTarget.get(target);
    if (!e) {
      e = {
        targetObjectiveID: target,
        readSatisfiedStatus: false,
        readNormalizedMeasure: false,
        writeSatisfiedStatus: false,
        writeNormalizedMeasure: false,
        readCompletionStatus: false,
        writeCompletionStatus: false,
        readProgressMeasure: false,
        writeProgressMeasure: false,
        readRawScore: false,
        writeRawScore: false,
        readMinScore: false,
        writeMinScore: false,
        readMaxScore: false,
        writeMaxScore: false,
      };
      byTarget.set(target, e);
    }
    return e;
  };
  for (const m of ims) {
    const { targetObjectiveID, ...flags } = m;
    Object.assign(entry(targetObjectiveID), flags);
  }
  for (const m of adl) {
    const { targetObjectiveID, ...flags } = m;
    Object.assign(entry(targetObjectiveID), flags);
  }
  return [...byTarget.values()];
}
