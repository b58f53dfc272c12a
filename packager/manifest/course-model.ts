/**
 * The SCORM course model: plain JSON (no classes, no Maps, no undefined inside arrays) so it can be stored as
 * jsonb and handed to the runtime as is. Optional fields are absent when the manifest does not say them; where
 * a whole element is present, its attributes carry the spec's defaults so the runtime never re-derives them.
 */

export type ScormVersion = '1.2' | '2004-2nd' | '2004-3rd' | '2004-4th';

export interface ScormCourseModel {
  standard: 'scorm';
  version: ScormVersion;
  /** Where the version came from: the manifest's schemaversion, or inference from the namespaces used. */
  versionSource: 'schemaversion' | 'inferred';
  /** The manifest's identifier attribute. */
  identifier: string;
  /** The default organization's title, else the manifest identifier. */
  title: string;
  /** The identifier of the organization to deliver (organizations/@default, else the first). */
  defaultOrganization: string | null;
  organizations: Organization[];
  resources: Resource[];
  /** (Sub)manifests nested in the manifest (IMS CP 1.1.4); their resources are also in `resources`. */
  subManifests: SubManifest[];
  /** imsss:sequencingCollection, keyed by the ID that items' IDRef attributes name (SCORM 2004 only). */
  sequencingCollection: Record<string, Sequencing>;
}

export interface Organization {
  identifier: string;
  title: string;
  structure?: string;
  /** adlseq:objectivesGlobalToSystem (default true). */
  objectivesGlobalToSystem?: boolean;
  /** adlcp:sharedDataGlobalToSystem, 4th edition (default true). */
  sharedDataGlobalToSystem?: boolean;
  items: Item[];
  /** The organization's own imsss:sequencing, with any IDRef already merged in. */
  sequencing?: Sequencing;
}

export type ScormType = 'sco' | 'asset';

export type TimeLimitAction = 'exit,message' | 'exit,no message' | 'continue,message' | 'continue,no message';

export type HideLmsUi =
  | 'previous'
  | 'continue'
  | 'exit'
  | 'exitAll'
  | 'abandon'
  | 'abandonAll'
  | 'suspendAll';

export interface Item {
  identifier: string;
  title: string;
  identifierref?: string;
  /** The item's isvisible attribute (default true). */
  isvisible: boolean;
  /** The parameters attribute, as written. */
  parameters?: string;
  /** The referenced resource's href, resolved against xml:base; package-relative, or an absolute URL. */
  href?: string;
  /** `href` with `parameters` applied by the IMS CP / SCORM CAM rules: what the player opens. */
  launchUrl?: string;
  /** The referenced resource's SCORM type. */
  scormType?: ScormType;
  children: Item[];

  // SCORM 1.2 (adlcp_rootv1p2)
  /** adlcp:masteryscore, 0–100. */
  masteryScore?: number;
  /** adlcp:prerequisites, an AICC script expression over item identifiers. */
  prerequisites?: { type: string; expression: string };
  /** adlcp:maxtimeallowed, a CMITimespan (HHHH:MM:SS.SS). */
  maxTimeAllowed?: string;

  // Both: adlcp:timelimitaction / adlcp:timeLimitAction, adlcp:datafromlms / adlcp:dataFromLMS
  timeLimitAction?: TimeLimitAction;
  dataFromLms?: string;

  // SCORM 2004
  completionThreshold?: CompletionThreshold;
  /** adlnav:presentation/adlnav:navigationInterface/adlnav:hideLMSUI values. */
  hideLmsUi?: HideLmsUi[];
  /** adlcp:data/adlcp:map, 4th edition shared data. */
  sharedData?: SharedDataMap[];
  /** The item's imsss:sequencing, with any IDRef already merged in. */
  sequencing?: Sequencing;
}

/**
 * 4th edition writes attributes; 3rd (and 2nd) a decimal element. A 3rd edition value becomes
 * minProgressMeasure with completedByMeasure true, since 3rd edition always compares progress to it.
 */
export interface CompletionThreshold {
  completedByMeasure: boolean;
  minProgressMeasure: number;
  progressWeight: number;
}

export interface SharedDataMap {
  targetID: string;
  readSharedData: boolean;
  writeSharedData: boolean;
}

export interface Resource {
  identifier: string;
  type: string;
  /** adlcp:scormtype (1.2) / adlcp:scormType (2004); null when the manifest omits it (read as an asset). */
  scormType: ScormType | null;
  /** Launch href resolved against xml:base (manifest, resources, resource); package-relative or absolute URL. */
  href?: string;
  /** The resource's own file hrefs, resolved the same way. */
  files: string[];
  /** identifierrefs of dependency elements, in order. */
  dependencies: string[];
  /** Package files this resource needs: its own files and, transitively, its dependencies' files. */
  requiredFiles: string[];
  /** Identifier of the (sub)manifest that holds this resource. */
  manifest: string;
}

export interface SubManifest {
  identifier: string;
  organizations: Organization[];
  resourceIds: string[];
  subManifests: SubManifest[];
}

// ── IMS Simple Sequencing 1.0 with the ADL extensions (SCORM 2004 SN) ─────────────────────────────────────────

export interface Sequencing {
  /** The ID of a sequencingCollection entry. */
  id?: string;
  /** The IDRef as written, kept after merging so the origin of each rule stays visible. */
  idRef?: string;
  controlMode?: ControlMode;
  sequencingRules?: SequencingRules;
  limitConditions?: LimitConditions;
  auxiliaryResources?: AuxiliaryResource[];
  rollupRules?: RollupRules;
  objectives?: Objective[];
  randomizationControls?: RandomizationControls;
  deliveryControls?: DeliveryControls;
  constrainedChoiceConsiderations?: ConstrainedChoiceConsiderations;
  rollupConsiderations?: RollupConsiderations;
}

export interface ControlMode {
  choice: boolean;
  choiceExit: boolean;
  flow: boolean;
  forwardOnly: boolean;
  useCurrentAttemptObjectiveInfo: boolean;
  useCurrentAttemptProgressInfo: boolean;
}

export interface SequencingRules {
  preConditionRules: SequencingRule[];
  exitConditionRules: SequencingRule[];
  postConditionRules: SequencingRule[];
}

export type RuleConditionName =
  | 'satisfied'
  | 'objectiveStatusKnown'
  | 'objectiveMeasureKnown'
  | 'objectiveMeasureGreaterThan'
  | 'objectiveMeasureLessThan'
  | 'completed'
  | 'activityProgressKnown'
  | 'attempted'
  | 'attemptLimitExceeded'
  | 'timeLimitExceeded'
  | 'outsideAvailableTimeRange'
  | 'always';

export type PreConditionAction = 'skip' | 'disabled' | 'hiddenFromChoice' | 'stopForwardTraversal';
export type ExitConditionAction = 'exit';
export type PostConditionAction = 'exitParent' | 'exitAll' | 'retry' | 'retryAll' | 'continue' | 'previous';
export type RuleAction = PreConditionAction | ExitConditionAction | PostConditionAction;

export interface SequencingRule {
  conditionCombination: 'all' | 'any';
  conditions: RuleCondition[];
  action: RuleAction;
}

export interface RuleCondition {
  condition: RuleConditionName;
  operator: 'not' | 'noOp';
  referencedObjective?: string;
  measureThreshold?: number;
}

export interface LimitConditions {
  attemptLimit?: number;
  attemptAbsoluteDurationLimit?: string;
  attemptExperiencedDurationLimit?: string;
  activityAbsoluteDurationLimit?: string;
  activityExperiencedDurationLimit?: string;
  beginTimeLimit?: string;
  endTimeLimit?: string;
}

export interface AuxiliaryResource {
  auxiliaryResourceID: string;
  purpose: string;
}

export interface RollupRules {
  rollupObjectiveSatisfied: boolean;
  rollupProgressCompletion: boolean;
  objectiveMeasureWeight: number;
  rules: RollupRule[];
}

export type RollupConditionName =
  | 'satisfied'
  | 'objectiveStatusKnown'
  | 'objectiveMeasureKnown'
  | 'completed'
  | 'activityProgressKnown'
  | 'attempted'
  | 'attemptLimitExceeded'
  | 'timeLimitExceeded'
  | 'outsideAvailableTimeRange';

export interface RollupRule {
  childActivitySet: 'all' | 'any' | 'none' | 'atLeastCount' | 'atLeastPercent';
  minimumCount: number;
  /** A fraction 0–1, as IMS SS writes it. */
  minimumPercent: number;
  conditionCombination: 'all' | 'any';
  conditions: { condition: RollupConditionName; operator: 'not' | 'noOp' }[];
  action: 'satisfied' | 'notSatisfied' | 'completed' | 'incomplete';
}

export interface Objective {
  /** Absent only on a primary objective that declares none (IMS SS allows it). */
  objectiveID?: string;
  primary: boolean;
  satisfiedByMeasure: boolean;
  minNormalizedMeasure: number;
  mapInfo: ObjectiveMapInfo[];
  /** 4th edition adlseq:objectives/adlseq:objective/adlseq:mapInfo for this objective. */
  adlMapInfo?: AdlObjectiveMapInfo[];
}

export interface ObjectiveMapInfo {
  targetObjectiveID: string;
  readSatisfiedStatus: boolean;
  readNormalizedMeasure: boolean;
  writeSatisfiedStatus: boolean;
  writeNormalizedMeasure: boolean;
}

export interface AdlObjectiveMapInfo {
  targetObjectiveID: string;
  readRawScore: boolean;
  readMinScore: boolean;
  readMaxScore: boolean;
  readCompletionStatus: boolean;
  readProgressMeasure: boolean;
  writeRawScore: boolean;
  writeMinScore: boolean;
  writeMaxScore: boolean;
  writeCompletionStatus: boolean;
  writeProgressMeasure: boolean;
}

export interface RandomizationControls {
  randomizationTiming: 'never' | 'once' | 'onEachNewAttempt';
  selectCount?: number;
  reorderChildren: boolean;
  selectionTiming: 'never' | 'once' | 'onEachNewAttempt';
}

export interface DeliveryControls {
  tracked: boolean;
  completionSetByContent: boolean;
  objectiveSetByContent: boolean;
}

export interface ConstrainedChoiceConsiderations {
  preventActivation: boolean;
  constrainChoice: boolean;
}

export type RollupRequirement = 'always' | 'ifAttempted' | 'ifNotSkipped' | 'ifNotSuspended';

export interface RollupConsiderations {
  requiredForSatisfied: RollupRequirement;
  requiredForNotSatisfied: RollupRequirement;
  requiredForCompleted: RollupRequirement;
  requiredForIncomplete: RollupRequirement;
  measureSatisfactionIfActive: boolean;
}

/** Items in document order, depth first. */
export function flattenItems(items: readonly Item[]): Item[] {
  return items.flatMap((item) => [item, ...flattenItems(item.children)]);
}

/** The items of the default organization that launch a SCO. */
export function listScoItems(model: ScormCourseModel): Item[] {
  const org = model.organizations.find((o) => o.identifier === model.defaultOrganization);
  return org ? flattenItems(org.items).filter((i) => i.scormType === 'sco' && i.launchUrl !== undefined) : [];
}
