import { type AttributeReader, DURATION, parseDecimal } from './attribute-values.ts';
import type {
  AdlObjectiveMapInfo,
  Objective,
  RollupConditionName,
  RollupRule,
  RuleAction,
  RuleConditionName,
  Sequencing,
  SequencingRule,
} from './course-model.ts';
import { ADLSEQ_2004, IMSSS } from './namespaces.ts';
import type { ReportBuilder } from './validation-report.ts';
import { childElements, firstChild, textOf, type XmlElement } from './xml-document.ts';

/**
 * imsss:sequencing (IMS Simple Sequencing 1.0 Information Model, with the ADL extensions of the SCORM 2004
 * Sequencing and Navigation book) into the plain `Sequencing` model. Every attribute default below is the one the
 * IMS SS binding (imsss_v1p0 XSD) or the adlseq_v1p3 XSD declares.
 */

/** A parsed sequencing element, before its IDRef is merged and adlseq:objectives are attached. */
export interface ParsedSequencing {
  sequencing: Sequencing;
  /** adlseq:objectives (4th ed.), kept apart until merging decides which imsss:objectives they extend. */
  adlObjectives?: { objectiveID: string; mapInfo: AdlObjectiveMapInfo[]; line: number }[];
  line: number;
}

const RULE_CONDITIONS: readonly RuleConditionName[] = [
  'satisfied',
  'objectiveStatusKnown',
  'objectiveMeasureKnown',
  'objectiveMeasureGreaterThan',
  'objectiveMeasureLessThan',
  'completed',
  'activityProgressKnown',
  'attempted',
  'attemptLimitExceeded',
  'timeLimitExceeded',
  'outsideAvailableTimeRange',
  'always',
];

// IMS SS 1.0 Information Model, Sequencing Rule Description: which actions each rule kind may take.
const PRE_ACTIONS = ['skip', 'disabled', 'hiddenFromChoice', 'stopForwardTraversal'] as const;
const EXIT_ACTIONS = ['exit'] as const;
const POST_ACTIONS = ['exitParent', 'exitAll', 'retry', 'retryAll', 'continue', 'previous'] as const;

const ROLLUP_CONDITIONS: readonly RollupConditionName[] = [
  'satisfied',
  'objectiveStatusKnown',
  'objectiveMeasureKnown',
  'completed',
  'activityProgressKnown',
  'attempted',
  'attemptLimitExceeded',
  'timeLimitExceeded',
  'outsideAvailableTimeRange',
];
const ROLLUP_ACTIONS = ['satisfied', 'notSatisfied', 'completed', 'incomplete'] as const;
const CHILD_ACTIVITY_SETS = ['all', 'any', 'none', 'atLeastCount', 'atLeastPercent'] as const;
const TIMINGS = ['never', 'once', 'onEachNewAttempt'] as const;
const REQUIREMENTS = ['always', 'ifAttempted', 'ifNotSkipped', 'ifNotSuspended'] as const;
const OPERATORS = ['not', 'noOp'] as const;
const COMBINATIONS = ['all', 'any'] as const;

export function parseSequencing(
  el: XmlElement,
  read: AttributeReader,
  report: ReportBuilder,
): ParsedSequencing {
  const s: Sequencing = {};
  const id = read.string(el, 'ID');
  const idRef = read.string(el, 'IDRef');
  if (id) s.id = id;
  if (idRef) s.idRef = idRef;

  const controlMode = firstChild(el, IMSSS, 'controlMode');
  if (controlMode) {
    s.controlMode = read.booleans(controlMode, {
      choice: true,
      choiceExit: true,
      flow: false,
      forwardOnly: false,
      useCurrentAttemptObjectiveInfo: true,
      useCurrentAttemptProgressInfo: true,
    });
  }

  const rules = firstChild(el, IMSSS, 'sequencingRules');
  if (rules) {
    s.sequencingRules = {
      preConditionRules: childElements(rules, IMSSS, 'preConditionRule').map((r) =>
        parseRule(r, PRE_ACTIONS, read, report),
      ),
      exitConditionRules: childElements(rules, IMSSS, 'exitConditionRule').map((r) =>
        parseRule(r, EXIT_ACTIONS, read, report),
      ),
      postConditionRules: childElements(rules, IMSSS, 'postConditionRule').map((r) =>
        parseRule(r, POST_ACTIONS, read, report),
      ),
    };
  }

  const limits = firstChild(el, IMSSS, 'limitConditions');
  if (limits) {
    s.limitConditions = {};
    const attemptLimit = read.integer(limits, 'attemptLimit', { min: 0 });
    if (attemptLimit !== undefined) s.limitConditions.attemptLimit = attemptLimit;
    for (const name of [
      'attemptAbsoluteDurationLimit',
      'attemptExperiencedDurationLimit',
      'activityAbsoluteDurationLimit',
      'activityExperiencedDurationLimit',
    ] as const) {
      const v = read.string(limits, name);
      if (v === undefined) continue;
      if (!DURATION.test(v)) {
        report.error(
          limits.line,
          `${name} is "${v}", not an xs:duration.`,
          `Write an ISO 8601 duration such as "PT1H30M".`,
        );
        continue;
      }
      s.limitConditions[name] = v;
    }
    for (const name of ['beginTimeLimit', 'endTimeLimit'] as const) {
      const v = read.string(limits, name);
      if (v !== undefined) s.limitConditions[name] = v;
    }
    // SCORM 2004 SN, Limit Conditions: only attemptLimit and attemptAbsoluteDurationLimit are required of an LMS.
    const unsupported = Object.keys(s.limitConditions).filter(
      (k) => k !== 'attemptLimit' && k !== 'attemptAbsoluteDurationLimit',
    );
    if (unsupported.length > 0) {
      report.warning(
        limits.line,
        `limitConditions sets ${unsupported.join(', ')}, which SCORM 2004 does not require an LMS to enforce.`,
        'Use attemptLimit or attemptAbsoluteDurationLimit if the limit matters.',
      );
    }
  }

  const aux = firstChild(el, IMSSS, 'auxiliaryResources');
  if (aux) {
    s.auxiliaryResources = childElements(aux, IMSSS, 'auxiliaryResource').flatMap((a) => {
      const auxiliaryResourceID = read.string(a, 'auxiliaryResourceID');
      const purpose = read.string(a, 'purpose');
      if (!auxiliaryResourceID || purpose === undefined) {
        report.error(
          a.line,
          'auxiliaryResource needs auxiliaryResourceID and purpose.',
          'Add both attributes.',
        );
        return [];
      }
      return [{ auxiliaryResourceID, purpose }];
    });
  }

  const rollup = firstChild(el, IMSSS, 'rollupRules');
  if (rollup) {
    s.rollupRules = {
      ...read.booleans(rollup, { rollupObjectiveSatisfied: true, rollupProgressCompletion: true }),
      objectiveMeasureWeight: read.decimal(rollup, 'objectiveMeasureWeight', { min: 0, max: 1 }) ?? 1,
      rules: childElements(rollup, IMSSS, 'rollupRule').flatMap((r) => parseRollupRule(r, read, report)),
    };
  }

  const objectives = firstChild(el, IMSSS, 'objectives');
  if (objectives) s.objectives = parseObjectives(objectives, read, report);

  const randomization = firstChild(el, IMSSS, 'randomizationControls');
  if (randomization) {
    s.randomizationControls = {
      randomizationTiming: read.enumeration(randomization, 'randomizationTiming', TIMINGS, 'never'),
      reorderChildren: read.boolean(randomization, 'reorderChildren', false),
      selectionTiming: read.enumeration(randomization, 'selectionTiming', TIMINGS, 'never'),
    };
    const selectCount = read.integer(randomization, 'selectCount', { min: 0 });
    if (selectCount !== undefined) s.randomizationControls.selectCount = selectCount;
  }

  const delivery = firstChild(el, IMSSS, 'deliveryControls');
  if (delivery) {
    s.deliveryControls = read.booleans(delivery, {
      tracked: true,
      completionSetByContent: false,
      objectiveSetByContent: false,
    });
  }

  const constrained = firstChild(el, ADLSEQ_2004, 'constrainedChoiceConsiderations');
  if (constrained) {
    s.constrainedChoiceConsiderations = read.booleans(constrained, {
      preventActivation: false,
      constrainChoice: false,
    });
  }

  const considerations = firstChild(el, ADLSEQ_2004, 'rollupConsiderations');
  if (considerations) {
    s.rollupConsiderations = {
      requiredForSatisfied: read.enumeration(considerations, 'requiredForSatisfied', REQUIREMENTS, 'always'),
      requiredForNotSatisfied: read.enumeration(
        considerations,
        'requiredForNotSatisfied',
        REQUIREMENTS,
        'always',
      ),
      requiredForCompleted: read.enumeration(considerations, 'requiredForCompleted', REQUIREMENTS, 'always'),
      requiredForIncomplete: read.enumeration(
        considerations,
        'requiredForIncomplete',
        REQUIREMENTS,
        'always',
      ),
      measureSatisfactionIfActive: read.boolean(considerations, 'measureSatisfactionIfActive', true),
    };
  }

  const parsed: ParsedSequencing = { sequencing: s, line: el.line };
  const adlObjectives = firstChild(el, ADLSEQ_2004, 'objectives');
  if (adlObjectives) {
    parsed.adlObjectives = childElements(adlObjectives, ADLSEQ_2004, 'objective').flatMap((o) => {
      const objectiveID = read.string(o, 'objectiveID');
      if (!objectiveID) {
        report.error(
          o.line,
          'adlseq:objective has no objectiveID.',
          'Add the objectiveID of the imsss objective it extends.',
        );
        return [];
      }
      return [
        {
          objectiveID,
          mapInfo: childElements(o, ADLSEQ_2004, 'mapInfo').flatMap((m) =>
            parseMapInfo(m, read, report, 'adlseq:mapInfo', ADLSEQ_MAP_INFO),
          ),
          line: o.line,
        },
      ];
    });
  }
  return parsed;
}

function parseRule<A extends RuleAction>(
  el: XmlElement,
  actions: readonly A[],
  read: AttributeReader,
  report: ReportBuilder,
): SequencingRule {
  const conditionsEl = firstChild(el, IMSSS, 'ruleConditions');
  const actionEl = firstChild(el, IMSSS, 'ruleAction');
  const conditions = conditionsEl
    ? childElements(conditionsEl, IMSSS, 'ruleCondition').flatMap((c) => {
        const condition = read.optionalEnumeration(c, 'condition', RULE_CONDITIONS);
        if (!condition) {
          if (read.string(c, 'condition') === undefined) {
            report.error(
              c.line,
              'ruleCondition has no condition attribute.',
              'Add condition="…" (for example "satisfied").',
            );
          }
          return [];
        }
        const out: SequencingRule['conditions'][number] = {
          condition,
          operator: read.enumeration(c, 'operator', OPERATORS, 'noOp'),
        };
        const referencedObjective = read.string(c, 'referencedObjective');
        if (referencedObjective) out.referencedObjective = referencedObjective;
        const measureThreshold = read.decimal(c, 'measureThreshold', { min: -1, max: 1 });
        if (measureThreshold !== undefined) out.measureThreshold = measureThreshold;
        if (
          (condition === 'objectiveMeasureGreaterThan' || condition === 'objectiveMeasureLessThan') &&
          measureThreshold === undefined
        ) {
          report.warning(
            c.line,
            `The ${condition} condition has no measureThreshold; it compares against 0.`,
            'Add measureThreshold="…" (a decimal from -1 to 1).',
          );
        }
        return [out];
      })
    : [];
  if (!conditionsEl || conditions.length === 0) {
    report.error(
      el.line,
      `<${el.qname}> has no ruleConditions/ruleCondition.`,
      'Give the rule at least one ruleCondition (use condition="always" for an unconditional rule).',
    );
  }
  let action = actions[0] as A;
  if (!actionEl) {
    report.error(
      el.line,
      `<${el.qname}> has no ruleAction.`,
      `Add <ruleAction action="…"/> with one of: ${actions.join(', ')}.`,
    );
  } else {
    const a = read.optionalEnumeration(actionEl, 'action', actions);
    if (a) action = a;
    else if (read.string(actionEl, 'action') === undefined) {
      report.error(
        actionEl.line,
        'ruleAction has no action attribute.',
        `Add action="…" with one of: ${actions.join(', ')}.`,
      );
    }
  }
  return {
    conditionCombination: conditionsEl
      ? read.enumeration(conditionsEl, 'conditionCombination', COMBINATIONS, 'all')
      : 'all',
    conditions,
    action,
  };
}

function parseRollupRule(el: XmlElement, read: AttributeReader, report: ReportBuilder): RollupRule[] {
  const conditionsEl = firstChild(el, IMSSS, 'rollupConditions');
  const actionEl = firstChild(el, IMSSS, 'rollupAction');
  const conditions = conditionsEl
    ? childElements(conditionsEl, IMSSS, 'rollupCondition').flatMap((c) => {
        const condition = read.optionalEnumeration(c, 'condition', ROLLUP_CONDITIONS);
        if (!condition) {
          if (read.string(c, 'condition') === undefined) {
            report.error(
              c.line,
              'rollupCondition has no condition attribute.',
              'Add condition="…" (for example "satisfied").',
            );
          }
          return [];
        }
        return [{ condition, operator: read.enumeration(c, 'operator', OPERATORS, 'noOp') }];
      })
    : [];
  const action = actionEl ? read.optionalEnumeration(actionEl, 'action', ROLLUP_ACTIONS) : undefined;
  if (!conditionsEl || conditions.length === 0) {
    report.error(
      el.line,
      'rollupRule has no rollupConditions/rollupCondition.',
      'Give the rollup rule at least one rollupCondition.',
    );
  }
  if (!action) {
    if (!actionEl || read.string(actionEl, 'action') === undefined) {
      report.error(
        el.line,
        'rollupRule has no rollupAction action.',
        `Add <rollupAction action="…"/> with one of: ${ROLLUP_ACTIONS.join(', ')}.`,
      );
    }
    return [];
  }
  return [
    {
      childActivitySet: read.enumeration(el, 'childActivitySet', CHILD_ACTIVITY_SETS, 'all'),
      minimumCount: read.integer(el, 'minimumCount', { min: 0 }) ?? 0,
      minimumPercent: read.decimal(el, 'minimumPercent', { min: 0, max: 1 }) ?? 0,
      conditionCombination: conditionsEl
        ? read.enumeration(conditionsEl, 'conditionCombination', COMBINATIONS, 'any')
        : 'any',
      conditions,
      action,
    },
  ];
}

function parseObjectives(el: XmlElement, read: AttributeReader, report: ReportBuilder): Objective[] {
  const primaries = childElements(el, IMSSS, 'primaryObjective');
  if (primaries.length !== 1) {
    report.error(
      el.line,
      `imsss:objectives has ${primaries.length} primaryObjective elements; it must have exactly one.`,
      'Keep one primaryObjective and make the others imsss:objective elements.',
    );
  }
  const others = childElements(el, IMSSS, 'objective');
  const out: Objective[] = [];
  const seen = new Set<string>();
  for (const o of [...primaries.slice(0, 1), ...others]) {
    const primary = o.name === 'primaryObjective';
    const objectiveID = read.string(o, 'objectiveID');
    if (!objectiveID && !primary) {
      report.error(
        o.line,
        'imsss:objective has no objectiveID.',
        'Add objectiveID="…"; only the primary objective may omit it.',
      );
      continue;
    }
    if (objectiveID) {
      if (seen.has(objectiveID)) {
        report.error(
          o.line,
          `The objectiveID "${objectiveID}" appears twice in one activity.`,
          'Give each objective of an activity its own objectiveID.',
        );
      }
      seen.add(objectiveID);
    }
    const minEl = firstChild(o, IMSSS, 'minNormalizedMeasure');
    let minNormalizedMeasure = 1;
    if (minEl) {
      const v = parseDecimal(textOf(minEl));
      if (v === undefined || v < -1 || v > 1) {
        report.error(
          minEl.line,
          `minNormalizedMeasure is "${textOf(minEl)}"; it must be a decimal from -1 to 1.`,
          'Write a decimal such as 0.8.',
        );
      } else {
        minNormalizedMeasure = v;
      }
    }
    const objective: Objective = {
      primary,
      satisfiedByMeasure: read.boolean(o, 'satisfiedByMeasure', false),
      minNormalizedMeasure,
      mapInfo: childElements(o, IMSSS, 'mapInfo').flatMap((m) =>
        parseMapInfo(m, read, report, 'mapInfo', IMSSS_MAP_INFO),
      ),
    };
    if (objectiveID) objective.objectiveID = objectiveID;
    out.push(objective);
  }
  return out;
}

/**
 * A mapInfo element (imsss or adlseq): its target global objective, and its read/write flags with the schema's
 * defaults (imsss_v1p0objective.xsd mapInfoType; SCORM 2004 4th Edition's adlseq_v1p3.xsd for adlseq).
 */
function parseMapInfo<K extends string>(
  el: XmlElement,
  read: AttributeReader,
  report: ReportBuilder,
  element: string,
  defaults: Readonly<Record<K, boolean>>,
): ({ targetObjectiveID: string } & Record<K, boolean>)[] {
  const targetObjectiveID = read.string(el, 'targetObjectiveID');
  if (!targetObjectiveID) {
    report.error(
      el.line,
      `${element} has no targetObjectiveID.`,
      'Add targetObjectiveID="…" naming the global objective.',
    );
    return [];
  }
  return [{ targetObjectiveID, ...read.booleans(el, defaults) }];
}

const IMSSS_MAP_INFO = {
  readSatisfiedStatus: true,
  readNormalizedMeasure: true,
  writeSatisfiedStatus: false,
  writeNormalizedMeasure: false,
} as const;

const ADLSEQ_MAP_INFO = {
  readRawScore: true,
  readMinScore: true,
  readMaxScore: true,
  readCompletionStatus: true,
  readProgressMeasure: true,
  writeRawScore: false,
  writeMinScore: false,
  writeMaxScore: false,
  writeCompletionStatus: false,
  writeProgressMeasure: false,
} as const;

/**
 * Applies an IDRef: the collection entry supplies every sequencing element the local one does not write
 * (SCORM 2004 CAM, imsss:sequencingCollection: "the local definition overrides the referenced one, element by
 * element").
 */
export function mergeSequencing(base: ParsedSequencing, local: ParsedSequencing): ParsedSequencing {
  // Cloned: one collection entry serves many items, and finishing one item must not touch the others.
  const { id: _baseId, idRef: _baseRef, ...inherited } = structuredClone(base.sequencing);
  const merged: Sequencing = inherited;
  for (const [key, value] of Object.entries(local.sequencing) as [keyof Sequencing, unknown][]) {
    if (key === 'id') continue;
    (merged as Record<string, unknown>)[key] = value;
  }
  const out: ParsedSequencing = { sequencing: merged, line: local.line };
  const adl = local.adlObjectives ?? base.adlObjectives;
  if (adl) out.adlObjectives = structuredClone(adl);
  return out;
}

/** Attaches adlseq:objectives to the imsss objectives they extend, and checks rule references. */
export function finishSequencing(parsed: ParsedSequencing, report: ReportBuilder): Sequencing {
  const s = parsed.sequencing;
  const objectives = s.objectives ?? [];
  for (const adl of parsed.adlObjectives ?? []) {
    const target = objectives.find((o) => o.objectiveID === adl.objectiveID);
    if (!target) {
      report.error(
        adl.line,
        `adlseq:objective "${adl.objectiveID}" extends no imsss objective of this activity.`,
        'Make its objectiveID match the objectiveID of an imsss:primaryObjective or imsss:objective.',
      );
      continue;
    }
    target.adlMapInfo = [...(target.adlMapInfo ?? []), ...adl.mapInfo];
  }
  const ids = new Set(objectives.flatMap((o) => (o.objectiveID ? [o.objectiveID] : [])));
  const rules = s.sequencingRules;
  if (rules) {
    for (const rule of [
      ...rules.preConditionRules,
      ...rules.exitConditionRules,
      ...rules.postConditionRules,
    ]) {
      for (const c of rule.conditions) {
        if (c.referencedObjective && !ids.has(c.referencedObjective)) {
          report.warning(
            parsed.line,
            `A ${c.condition} rule condition references the objective "${c.referencedObjective}", which this activity does not define; it is evaluated as unknown.`,
            "Make referencedObjective match an objectiveID in the same item's imsss:objectives.",
          );
        }
      }
    }
  }
  return s;
}
