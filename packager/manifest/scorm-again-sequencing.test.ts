import test from 'ava';
import type { Item, RollupRule, ScormCourseModel, Sequencing } from './course-model.ts';
import { toScormAgainSequencing } from './scorm-again-sequencing.ts';

const rule = (over: Partial<RollupRule>): RollupRule => ({
  childActivitySet: 'all',
  minimumCount: 0,
  minimumPercent: 0,
  conditionCombination: 'any',
  conditions: [{ condition: 'satisfied', operator: 'noOp' }],
  action: 'satisfied',
  ...over,
});

function model(
  orgSequencing: Sequencing,
  items: Item[] = [],
  version: ScormCourseModel['version'] = '2004-3rd',
): ScormCourseModel {
  return {
    standard: 'scorm',
    version,
    versionSource: 'schemaversion',
    identifier: 'm',
    title: 'T',
    defaultOrganization: 'o',
    organizations: [
      { identifier: 'o', title: 'T', items, sequencing: orgSequencing },
      { identifier: 'o2', title: 'Other', items: [] },
    ],
    resources: [],
    subManifests: [],
    sequencingCollection: {},
  };
}

const leaf = (identifier: string, extra: Partial<Item> = {}): Item => ({
  identifier,
  title: identifier,
  isvisible: true,
  children: [],
  ...extra,
});

test('SCORM 1.2 has no sequencing to hand over', (t) => {
  const r = toScormAgainSequencing(model({}, [], '1.2'));
  t.is(r.sequencing, null);
});

test('a named organization is mapped instead of the default', (t) => {
  const r = toScormAgainSequencing(model({}), 'o2');
  t.is(r.sequencing?.activityTree.title, 'Other');
  t.is(toScormAgainSequencing(model({}), 'missing').sequencing, null);
});

test('rollup "not" conditions scorm-again cannot express drop the rule with a note; "not attempted" maps', (t) => {
  const r = toScormAgainSequencing(
    model({
      rollupRules: {
        rollupObjectiveSatisfied: true,
        rollupProgressCompletion: true,
        objectiveMeasureWeight: 1,
        rules: [
          rule({ conditions: [{ condition: 'satisfied', operator: 'not' }], action: 'notSatisfied' }),
          rule({ conditions: [{ condition: 'attempted', operator: 'not' }], action: 'incomplete' }),
          rule({
            conditions: [{ condition: 'activityProgressKnown', operator: 'noOp' }],
            action: 'completed',
          }),
        ],
      },
    }),
  );
  t.deepEqual(r.sequencing?.activityTree.rollupRules?.rules, [
    {
      action: 'incomplete',
      consideration: 'all',
      minimumCount: 0,
      minimumPercent: 0,
      conditions: [{ condition: 'notAttempted' }],
    },
    {
      action: 'completed',
      consideration: 'all',
      minimumCount: 0,
      minimumPercent: 0,
      conditions: [{ condition: 'progressKnown' }],
    },
  ]);
  t.is(r.notes.length, 1);
  t.regex(r.notes[0] ?? '', /^o: rollup rule "notSatisfied" uses "not satisfied"/);
});

test('"any" over several conditions is split only where that is exact', (t) => {
  const two = [
    { condition: 'satisfied' as const, operator: 'noOp' as const },
    { condition: 'completed' as const, operator: 'noOp' as const },
  ];
  const r = toScormAgainSequencing(
    model({
      rollupRules: {
        rollupObjectiveSatisfied: true,
        rollupProgressCompletion: true,
        objectiveMeasureWeight: 1,
        rules: [
          rule({ childActivitySet: 'any', conditions: two }),
          rule({ childActivitySet: 'atLeastCount', minimumCount: 2, conditions: two }),
          rule({
            childActivitySet: 'none',
            conditionCombination: 'all',
            conditions: two,
            action: 'notSatisfied',
          }),
        ],
      },
    }),
  );
  const rules = r.sequencing?.activityTree.rollupRules?.rules ?? [];
  t.deepEqual(
    rules.map((x) => [x.consideration, x.conditions.map((c) => c.condition)]),
    [
      ['any', ['satisfied']],
      ['any', ['completed']],
      ['none', ['satisfied', 'completed']],
    ],
  );
  t.regex(r.notes.join('\n'), /combines 2 conditions with "any" over childActivitySet "atLeastCount"/);
});

test('rollup conditions scorm-again does not evaluate drop the rule; IMS minimumPercent becomes a percentage', (t) => {
  const r = toScormAgainSequencing(
    model({
      rollupRules: {
        rollupObjectiveSatisfied: true,
        rollupProgressCompletion: true,
        objectiveMeasureWeight: 1,
        rules: [
          rule({ conditions: [{ condition: 'timeLimitExceeded', operator: 'noOp' }], action: 'incomplete' }),
          rule({ childActivitySet: 'atLeastPercent', minimumPercent: 0.75 }),
        ],
      },
    }),
  );
  t.deepEqual(
    r.sequencing?.activityTree.rollupRules?.rules.map((x) => x.minimumPercent),
    [75],
  );
  t.regex(r.notes[0] ?? '', /"timeLimitExceeded", which scorm-again's rollup does not evaluate/);
});

test('a primary objective without objectiveID gets a synthetic one; experienced-duration limits are noted', (t) => {
  const r = toScormAgainSequencing(
    model({}, [
      leaf('sco1', {
        isvisible: false,
        sequencing: {
          objectives: [{ primary: true, satisfiedByMeasure: true, minNormalizedMeasure: 0.6, mapInfo: [] }],
          limitConditions: {
            attemptExperiencedDurationLimit: 'PT1H',
            beginTimeLimit: '2030-01-01T00:00:00Z',
          },
        },
      }),
    ]),
  );
  const sco = r.sequencing?.activityTree.children?.[0];
  t.like(sco, {
    id: 'sco1',
    isVisible: false,
    beginTimeLimit: '2030-01-01T00:00:00Z',
    primaryObjective: {
      objectiveID: 'sco1#primary',
      isPrimary: true,
      satisfiedByMeasure: true,
      minNormalizedMeasure: 0.6,
    },
  });
  t.is(sco?.primaryObjective?.mapInfo, undefined);
  t.is(r.notes.length, 2);
});
