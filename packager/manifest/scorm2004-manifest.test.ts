import test from 'ava';
import { flattenItems, type Item, listScoItems, type ScormCourseModel } from './course-model.ts';
import { toScormAgainSequencing } from './scorm-again-sequencing.ts';
import { parseScormManifest } from './scorm-manifest.ts';

/**
 * SCORM 2004 3rd edition, in the style of ADL's and Rustici's sequencing examples: forced sequential order, a
 * pre-test whose result lets the learner skip the content, remediation driven by a post-test through global
 * objectives, and custom rollup. Rules common to the content items live in the sequencingCollection.
 */
const THIRD = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.example.golf.remediation.20043rd" version="1"
          xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
          xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"
          xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3"
          xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>2004 3rd Edition</schemaversion>
  </metadata>
  <organizations default="golf_org">
    <organization identifier="golf_org" adlseq:objectivesGlobalToSystem="false">
      <title>Golf Explained - Pre-test and Remediation</title>
      <item identifier="pretest_item" identifierref="assessment_res" parameters="?test=pre">
        <title>Pre-test</title>
        <imsss:sequencing>
          <imsss:limitConditions attemptLimit="1"/>
          <imsss:rollupRules rollupObjectiveSatisfied="false" rollupProgressCompletion="false" objectiveMeasureWeight="0"/>
          <imsss:objectives>
            <imsss:primaryObjective objectiveID="pretest_passed" satisfiedByMeasure="true">
              <imsss:minNormalizedMeasure>0.8</imsss:minNormalizedMeasure>
              <imsss:mapInfo targetObjectiveID="com.example.golf.playing_mastered" readSatisfiedStatus="false" writeSatisfiedStatus="true"/>
            </imsss:primaryObjective>
          </imsss:objectives>
          <imsss:deliveryControls completionSetByContent="true" objectiveSetByContent="true"/>
        </imsss:sequencing>
      </item>
      <item identifier="content_cluster">
        <title>Playing the Game</title>
        <item identifier="playing_item" identifierref="playing_res">
          <title>How to Play</title>
          <imsss:sequencing IDRef="content_seq">
            <imsss:objectives>
              <imsss:primaryObjective objectiveID="playing_done">
                <imsss:mapInfo targetObjectiveID="com.example.golf.playing_mastered" readSatisfiedStatus="true" writeSatisfiedStatus="false"/>
              </imsss:primaryObjective>
            </imsss:objectives>
          </imsss:sequencing>
        </item>
        <item identifier="scoring_item" identifierref="scoring_res">
          <title>Keeping Score</title>
          <imsss:sequencing IDRef="content_seq"/>
        </item>
        <imsss:sequencing>
          <imsss:controlMode choice="false" flow="true"/>
          <imsss:sequencingRules>
            <imsss:preConditionRule>
              <imsss:ruleConditions conditionCombination="any">
                <imsss:ruleCondition referencedObjective="cluster_mastered" condition="satisfied"/>
                <imsss:ruleCondition condition="attemptLimitExceeded"/>
              </imsss:ruleConditions>
              <imsss:ruleAction action="skip"/>
            </imsss:preConditionRule>
          </imsss:sequencingRules>
          <imsss:rollupRules>
            <imsss:rollupRule childActivitySet="all">
              <imsss:rollupConditions><imsss:rollupCondition condition="completed"/></imsss:rollupConditions>
              <imsss:rollupAction action="completed"/>
            </imsss:rollupRule>
            <imsss:rollupRule childActivitySet="atLeastPercent" minimumPercent="0.5">
              <imsss:rollupConditions conditionCombination="all">
                <imsss:rollupCondition condition="satisfied"/>
                <imsss:rollupCondition operator="not" condition="attempted"/>
              </imsss:rollupConditions>
              <imsss:rollupAction action="satisfied"/>
            </imsss:rollupRule>
          </imsss:rollupRules>
          <imsss:objectives>
            <imsss:primaryObjective objectiveID="cluster_mastered">
              <imsss:mapInfo targetObjectiveID="com.example.golf.playing_mastered"/>
            </imsss:primaryObjective>
          </imsss:objectives>
          <adlseq:rollupConsiderations requiredForSatisfied="ifNotSkipped" measureSatisfactionIfActive="false"/>
        </imsss:sequencing>
      </item>
      <item identifier="posttest_item" identifierref="assessment_res" parameters="test=post">
        <title>Post-test</title>
        <imsss:sequencing>
          <imsss:sequencingRules>
            <imsss:exitConditionRule>
              <imsss:ruleConditions><imsss:ruleCondition condition="timeLimitExceeded"/></imsss:ruleConditions>
              <imsss:ruleAction action="exit"/>
            </imsss:exitConditionRule>
            <imsss:postConditionRule>
              <imsss:ruleConditions>
                <imsss:ruleCondition operator="not" condition="satisfied"/>
                <imsss:ruleCondition condition="objectiveMeasureLessThan" measureThreshold="0.5" referencedObjective="posttest_score"/>
              </imsss:ruleConditions>
              <imsss:ruleAction action="retryAll"/>
            </imsss:postConditionRule>
          </imsss:sequencingRules>
          <imsss:limitConditions attemptLimit="3" attemptAbsoluteDurationLimit="PT45M"/>
          <imsss:auxiliaryResources>
            <imsss:auxiliaryResource auxiliaryResourceID="urn:example:golf:rules-pdf" purpose="reference"/>
          </imsss:auxiliaryResources>
          <imsss:objectives>
            <imsss:primaryObjective objectiveID="posttest_score" satisfiedByMeasure="true">
              <imsss:minNormalizedMeasure>0.7</imsss:minNormalizedMeasure>
              <imsss:mapInfo targetObjectiveID="com.example.golf.playing_mastered" readSatisfiedStatus="false" writeSatisfiedStatus="true" writeNormalizedMeasure="true"/>
            </imsss:primaryObjective>
            <imsss:objective objectiveID="etiquette">
              <imsss:mapInfo targetObjectiveID="com.example.golf.etiquette"/>
            </imsss:objective>
          </imsss:objectives>
          <imsss:randomizationControls randomizationTiming="onEachNewAttempt" selectCount="10" reorderChildren="true" selectionTiming="once"/>
          <imsss:deliveryControls completionSetByContent="true" objectiveSetByContent="true"/>
          <adlseq:constrainedChoiceConsiderations preventActivation="true" constrainChoice="true"/>
        </imsss:sequencing>
        <adlnav:presentation>
          <adlnav:navigationInterface>
            <adlnav:hideLMSUI>continue</adlnav:hideLMSUI>
            <adlnav:hideLMSUI>previous</adlnav:hideLMSUI>
          </adlnav:navigationInterface>
        </adlnav:presentation>
        <adlcp:completionThreshold>0.75</adlcp:completionThreshold>
        <adlcp:timeLimitAction>exit,message</adlcp:timeLimitAction>
        <adlcp:dataFromLMS>pool=golf-2</adlcp:dataFromLMS>
      </item>
      <imsss:sequencing>
        <imsss:controlMode choice="true" flow="true" forwardOnly="false"/>
        <imsss:rollupRules>
          <imsss:rollupRule childActivitySet="any">
            <imsss:rollupConditions conditionCombination="any">
              <imsss:rollupCondition condition="satisfied"/>
              <imsss:rollupCondition condition="completed"/>
            </imsss:rollupConditions>
            <imsss:rollupAction action="satisfied"/>
          </imsss:rollupRule>
        </imsss:rollupRules>
      </imsss:sequencing>
    </organization>
  </organizations>
  <resources>
    <resource identifier="assessment_res" type="webcontent" adlcp:scormType="sco" href="shared/assessment.html">
      <file href="shared/assessment.html"/>
      <dependency identifierref="common_files"/>
    </resource>
    <resource identifier="playing_res" type="webcontent" adlcp:scormType="sco" href="Playing/Playing.html">
      <file href="Playing/Playing.html"/>
      <dependency identifierref="common_files"/>
    </resource>
    <resource identifier="scoring_res" type="webcontent" adlcp:scormType="sco" href="Playing/Scoring.html">
      <file href="Playing/Scoring.html"/>
      <dependency identifierref="common_files"/>
    </resource>
    <resource identifier="common_files" type="webcontent" adlcp:scormType="asset">
      <file href="shared/scormfunctions.js"/>
    </resource>
  </resources>
  <imsss:sequencingCollection>
    <imsss:sequencing ID="content_seq">
      <imsss:rollupRules objectiveMeasureWeight="0"/>
      <imsss:objectives>
        <imsss:primaryObjective objectiveID="content_default"/>
      </imsss:objectives>
      <imsss:deliveryControls completionSetByContent="false" objectiveSetByContent="false" tracked="true"/>
    </imsss:sequencing>
  </imsss:sequencingCollection>
</manifest>`;

const THIRD_FILES = [
  'imsmanifest.xml',
  'shared/assessment.html',
  'shared/scormfunctions.js',
  'Playing/Playing.html',
  'Playing/Scoring.html',
  'adlcp_v1p3.xsd',
  'imsss_v1p0.xsd',
];

/**
 * SCORM 2004 4th edition with unusual prefixes: IMS CP as "cp", ADL CP as "a", ADL sequencing as "seq", and
 * IMS SS as the default namespace of each sequencing element.
 */
const FOURTH = `<?xml version="1.0" encoding="UTF-8"?>
<cp:manifest identifier="com.example.fourth" version="1"
          xmlns:cp="http://www.imsglobal.org/xsd/imscp_v1p1"
          xmlns:a="http://www.adlnet.org/xsd/adlcp_v1p3"
          xmlns:seq="http://www.adlnet.org/xsd/adlseq_v1p3"
          xmlns:nav="http://www.adlnet.org/xsd/adlnav_v1p3">
  <cp:metadata>
    <cp:schema>ADL SCORM</cp:schema>
    <cp:schemaversion>2004 4th Edition</cp:schemaversion>
  </cp:metadata>
  <cp:organizations default="org4">
    <cp:organization identifier="org4" a:sharedDataGlobalToSystem="false" seq:objectivesGlobalToSystem="true">
      <cp:title>Fourth Edition Course</cp:title>
      <cp:item identifier="lesson" identifierref="lesson_res">
        <cp:title>Lesson</cp:title>
        <a:completionThreshold completedByMeasure="true" minProgressMeasure="0.8" progressWeight="0.5"/>
        <a:data>
          <a:map targetID="com.example.fourth.notes" readSharedData="true" writeSharedData="false"/>
        </a:data>
        <sequencing xmlns="http://www.imsglobal.org/xsd/imsss">
          <objectives>
            <primaryObjective objectiveID="lesson_obj" satisfiedByMeasure="false">
              <mapInfo targetObjectiveID="com.example.fourth.lesson" readSatisfiedStatus="true" writeSatisfiedStatus="true"/>
            </primaryObjective>
            <objective objectiveID="skill">
              <minNormalizedMeasure>0.6</minNormalizedMeasure>
            </objective>
          </objectives>
          <seq:objectives>
            <seq:objective objectiveID="lesson_obj">
              <seq:mapInfo targetObjectiveID="com.example.fourth.lesson" writeCompletionStatus="true" writeProgressMeasure="true" readRawScore="false"/>
            </seq:objective>
            <seq:objective objectiveID="skill">
              <seq:mapInfo targetObjectiveID="com.example.fourth.skill" writeRawScore="true"/>
            </seq:objective>
          </seq:objectives>
        </sequencing>
        <nav:presentation>
          <nav:navigationInterface>
            <nav:hideLMSUI>suspendAll</nav:hideLMSUI>
            <nav:hideLMSUI>exitAll</nav:hideLMSUI>
          </nav:navigationInterface>
        </nav:presentation>
      </cp:item>
      <sequencing xmlns="http://www.imsglobal.org/xsd/imsss">
        <controlMode choice="true" flow="true" choiceExit="false" useCurrentAttemptObjectiveInfo="false"/>
      </sequencing>
    </cp:organization>
  </cp:organizations>
  <cp:resources>
    <cp:resource identifier="lesson_res" type="webcontent" a:scormType="sco" href="lesson/index.html">
      <cp:file href="lesson/index.html"/>
    </cp:resource>
  </cp:resources>
</cp:manifest>`;

function parse(xml: string, files: Iterable<string>) {
  return parseScormManifest(Buffer.from(xml), { file: 'imsmanifest.xml', archiveFiles: new Set(files) });
}

function itemsOf(m: ScormCourseModel | null): Map<string, Item> {
  if (!m) throw new Error('no model');
  return new Map(flattenItems(m.organizations[0]!.items).map((i) => [i.identifier, i]));
}

test('2004 3rd edition: version, tree, launch URLs and 2004 item extras', (t) => {
  const r = parse(THIRD, THIRD_FILES);
  t.deepEqual(r.report, { errors: [], warnings: [] });
  const m = r.model!;
  t.is(m.version, '2004-3rd');
  t.is(m.organizations[0]?.objectivesGlobalToSystem, false);
  t.deepEqual(
    listScoItems(m).map((i) => i.launchUrl),
    [
      'shared/assessment.html?test=pre',
      'Playing/Playing.html',
      'Playing/Scoring.html',
      'shared/assessment.html?test=post',
    ],
  );
  const post = itemsOf(m).get('posttest_item')!;
  t.deepEqual(post.hideLmsUi, ['continue', 'previous']);
  t.deepEqual(post.completionThreshold, {
    completedByMeasure: true,
    minProgressMeasure: 0.75,
    progressWeight: 1,
  });
  t.is(post.timeLimitAction, 'exit,message');
  t.is(post.dataFromLms, 'pool=golf-2');
  t.deepEqual(JSON.parse(JSON.stringify(m)), m);
});

test('forced sequential order: controlMode with IMS SS defaults filled in', (t) => {
  const items = itemsOf(parse(THIRD, THIRD_FILES).model);
  t.deepEqual(items.get('content_cluster')?.sequencing?.controlMode, {
    choice: false,
    choiceExit: true,
    flow: true,
    forwardOnly: false,
    useCurrentAttemptObjectiveInfo: true,
    useCurrentAttemptProgressInfo: true,
  });
});

test('pre-test skip: a precondition rule over the objective the pre-test writes globally', (t) => {
  const items = itemsOf(parse(THIRD, THIRD_FILES).model);
  const cluster = items.get('content_cluster')!.sequencing!;
  t.deepEqual(cluster.sequencingRules, {
    preConditionRules: [
      {
        conditionCombination: 'any',
        conditions: [
          { condition: 'satisfied', operator: 'noOp', referencedObjective: 'cluster_mastered' },
          { condition: 'attemptLimitExceeded', operator: 'noOp' },
        ],
        action: 'skip',
      },
    ],
    exitConditionRules: [],
    postConditionRules: [],
  });
  const pre = items.get('pretest_item')!.sequencing!;
  t.deepEqual(pre.objectives, [
    {
      objectiveID: 'pretest_passed',
      primary: true,
      satisfiedByMeasure: true,
      minNormalizedMeasure: 0.8,
      mapInfo: [
        {
          targetObjectiveID: 'com.example.golf.playing_mastered',
          readSatisfiedStatus: false,
          readNormalizedMeasure: true,
          writeSatisfiedStatus: true,
          writeNormalizedMeasure: false,
        },
      ],
    },
  ]);
  t.deepEqual(pre.limitConditions, { attemptLimit: 1 });
  t.like(pre.rollupRules, {
    rollupObjectiveSatisfied: false,
    rollupProgressCompletion: false,
    objectiveMeasureWeight: 0,
    rules: [],
  });
});

test('remediation: post-test rules, objectives with global mapInfo, limits, randomization and ADL extensions', (t) => {
  const post = itemsOf(parse(THIRD, THIRD_FILES).model).get('posttest_item')!.sequencing!;
  t.deepEqual(post.sequencingRules?.exitConditionRules, [
    {
      conditionCombination: 'all',
      conditions: [{ condition: 'timeLimitExceeded', operator: 'noOp' }],
      action: 'exit',
    },
  ]);
  t.deepEqual(post.sequencingRules?.postConditionRules, [
    {
      conditionCombination: 'all',
      conditions: [
        { condition: 'satisfied', operator: 'not' },
        {
          condition: 'objectiveMeasureLessThan',
          operator: 'noOp',
          referencedObjective: 'posttest_score',
          measureThreshold: 0.5,
        },
      ],
      action: 'retryAll',
    },
  ]);
  t.deepEqual(post.limitConditions, { attemptLimit: 3, attemptAbsoluteDurationLimit: 'PT45M' });
  t.deepEqual(post.auxiliaryResources, [
    { auxiliaryResourceID: 'urn:example:golf:rules-pdf', purpose: 'reference' },
  ]);
  t.is(post.objectives?.length, 2);
  t.like(post.objectives?.[1], {
    objectiveID: 'etiquette',
    primary: false,
    satisfiedByMeasure: false,
    minNormalizedMeasure: 1,
    mapInfo: [
      {
        targetObjectiveID: 'com.example.golf.etiquette',
        readSatisfiedStatus: true,
        writeSatisfiedStatus: false,
      },
    ],
  });
  t.deepEqual(post.randomizationControls, {
    randomizationTiming: 'onEachNewAttempt',
    selectCount: 10,
    reorderChildren: true,
    selectionTiming: 'once',
  });
  t.deepEqual(post.deliveryControls, {
    tracked: true,
    completionSetByContent: true,
    objectiveSetByContent: true,
  });
  t.deepEqual(post.constrainedChoiceConsiderations, { preventActivation: true, constrainChoice: true });
});

test('rollup rules keep their child set, thresholds, combination and operators', (t) => {
  const m = parse(THIRD, THIRD_FILES).model!;
  const cluster = itemsOf(m).get('content_cluster')!.sequencing!;
  t.deepEqual(cluster.rollupRules, {
    rollupObjectiveSatisfied: true,
    rollupProgressCompletion: true,
    objectiveMeasureWeight: 1,
    rules: [
      {
        childActivitySet: 'all',
        minimumCount: 0,
        minimumPercent: 0,
        conditionCombination: 'any',
        conditions: [{ condition: 'completed', operator: 'noOp' }],
        action: 'completed',
      },
      {
        childActivitySet: 'atLeastPercent',
        minimumCount: 0,
        minimumPercent: 0.5,
        conditionCombination: 'all',
        conditions: [
          { condition: 'satisfied', operator: 'noOp' },
          { condition: 'attempted', operator: 'not' },
        ],
        action: 'satisfied',
      },
    ],
  });
  t.deepEqual(cluster.rollupConsiderations, {
    requiredForSatisfied: 'ifNotSkipped',
    requiredForNotSatisfied: 'always',
    requiredForCompleted: 'always',
    requiredForIncomplete: 'always',
    measureSatisfactionIfActive: false,
  });
  t.is(m.organizations[0]?.sequencing?.rollupRules?.rules[0]?.conditionCombination, 'any');
});

test('sequencingCollection: IDRef merges element by element, the local element winning', (t) => {
  const m = parse(THIRD, THIRD_FILES).model!;
  const items = itemsOf(m);
  const playing = items.get('playing_item')!.sequencing!;
  t.is(playing.idRef, 'content_seq');
  t.is(playing.rollupRules?.objectiveMeasureWeight, 0);
  t.deepEqual(playing.deliveryControls, {
    tracked: true,
    completionSetByContent: false,
    objectiveSetByContent: false,
  });
  t.deepEqual(
    playing.objectives?.map((o) => o.objectiveID),
    ['playing_done'],
  );
  const scoring = items.get('scoring_item')!.sequencing!;
  t.deepEqual(
    scoring.objectives?.map((o) => o.objectiveID),
    ['content_default'],
  );
  t.deepEqual(Object.keys(m.sequencingCollection), ['content_seq']);
  t.is(m.sequencingCollection.content_seq?.id, 'content_seq');
  t.is(playing.id, undefined);
});

test('2004 4th edition: completionThreshold attributes, adlseq:objectives mapInfo, shared data, unusual prefixes', (t) => {
  const r = parse(FOURTH, ['lesson/index.html']);
  t.deepEqual(r.report, { errors: [], warnings: [] });
  const m = r.model!;
  t.is(m.version, '2004-4th');
  t.like(m.organizations[0], {
    sharedDataGlobalToSystem: false,
    objectivesGlobalToSystem: true,
    title: 'Fourth Edition Course',
  });
  t.deepEqual(m.organizations[0]?.sequencing?.controlMode, {
    choice: true,
    choiceExit: false,
    flow: true,
    forwardOnly: false,
    useCurrentAttemptObjectiveInfo: false,
    useCurrentAttemptProgressInfo: true,
  });
  const lesson = itemsOf(m).get('lesson')!;
  t.deepEqual(lesson.completionThreshold, {
    completedByMeasure: true,
    minProgressMeasure: 0.8,
    progressWeight: 0.5,
  });
  t.deepEqual(lesson.sharedData, [
    { targetID: 'com.example.fourth.notes', readSharedData: true, writeSharedData: false },
  ]);
  t.deepEqual(lesson.hideLmsUi, ['suspendAll', 'exitAll']);
  const [primary, skill] = lesson.sequencing!.objectives!;
  t.deepEqual(primary?.adlMapInfo, [
    {
      targetObjectiveID: 'com.example.fourth.lesson',
      readRawScore: false,
      readMinScore: true,
      readMaxScore: true,
      readCompletionStatus: true,
      readProgressMeasure: true,
      writeRawScore: false,
      writeMinScore: false,
      writeMaxScore: false,
      writeCompletionStatus: true,
      writeProgressMeasure: true,
    },
  ]);
  t.is(skill?.minNormalizedMeasure, 0.6);
  t.is(skill?.adlMapInfo?.[0]?.writeRawScore, true);
});

test('without schemaversion, 4th-edition constructs infer 4th edition, others 3rd', (t) => {
  const noVersion = (xml: string) => xml.replace(/<(cp:)?schemaversion>[^<]*<\/(cp:)?schemaversion>/, '');
  const fourth = parse(noVersion(FOURTH), ['lesson/index.html']);
  t.like(fourth.model, { version: '2004-4th', versionSource: 'inferred' });
  t.regex(fourth.report.warnings[0]?.message ?? '', /read as SCORM 2004 4th edition/);
  t.like(parse(noVersion(THIRD), THIRD_FILES).model, { version: '2004-3rd', versionSource: 'inferred' });
  t.like(parse(THIRD.replace('2004 3rd Edition', 'CAM 1.3'), THIRD_FILES).model, { version: '2004-2nd' });
});

test('sequencing errors: bad IDRef, bad vocabulary, wrong rule action, missing parts', (t) => {
  const cases: [string, string, RegExp][] = [
    [
      'IDRef="content_seq"/>',
      'IDRef="content_sequencing"/>',
      /IDRef="content_sequencing" names no sequencing/,
    ],
    [
      '<imsss:ruleAction action="exit"/>',
      '<imsss:ruleAction action="retry"/>',
      /action on <imsss:ruleAction> is "retry"/,
    ],
    [
      'condition="timeLimitExceeded"/>',
      'condition="timeLimitExceded"/>',
      /condition on <imsss:ruleCondition> is "timeLimitExceded"/,
    ],
    ['childActivitySet="all"', 'childActivitySet="every"', /childActivitySet .* is "every"/],
    [
      'choice="false" flow="true"',
      'choice="no" flow="true"',
      /choice on <imsss:controlMode> is "no", not a boolean/,
    ],
    ['attemptLimit="3"', 'attemptLimit="three"', /attemptLimit .* whole number/],
    [
      'attemptAbsoluteDurationLimit="PT45M"',
      'attemptAbsoluteDurationLimit="45 minutes"',
      /not an xs:duration/,
    ],
    ['minimumPercent="0.5"', 'minimumPercent="50"', /minimumPercent .* decimal from 0 to 1/],
    ['<imsss:minNormalizedMeasure>0.7<', '<imsss:minNormalizedMeasure>70<', /minNormalizedMeasure is "70"/],
    ['<imsss:rollupAction action="completed"/>', '', /rollupRule has no rollupAction/],
    ['<imsss:sequencing ID="content_seq">', '<imsss:sequencing>', /sequencingCollection has no ID/],
    [
      '<imsss:objective objectiveID="etiquette">',
      '<imsss:objective objectiveID="posttest_score">',
      /objectiveID "posttest_score" appears twice/,
    ],
    [
      '<imsss:objective objectiveID="etiquette">\n              <imsss:mapInfo targetObjectiveID="com.example.golf.etiquette"/>\n            </imsss:objective>',
      '<imsss:primaryObjective objectiveID="etiquette"/>',
      /2 primaryObjective elements/,
    ],
    [
      '<imsss:mapInfo targetObjectiveID="com.example.golf.etiquette"/>',
      '<imsss:mapInfo/>',
      /mapInfo has no targetObjectiveID/,
    ],
    [
      'adlcp:scormType="sco" href="Playing/Scoring.html"',
      'adlcp:scormType="SCORM" href="Playing/Scoring.html"',
      /must be "sco" or "asset"/,
    ],
  ];
  for (const [from, to, expected] of cases) {
    t.true(THIRD.includes(from), from);
    const r = parse(THIRD.replace(from, to), THIRD_FILES);
    t.true(
      r.report.errors.some((e) => expected.test(e.message) && typeof e.line === 'number'),
      `${expected}: ${JSON.stringify(r.report.errors)}`,
    );
  }
});

test('sequencing warnings: unknown referencedObjective, measure condition without threshold, unenforced limits', (t) => {
  const xml = THIRD.replace('referencedObjective="posttest_score"', 'referencedObjective="post_score"')
    .replace(' measureThreshold="0.5"', '')
    .replace('attemptLimit="3"', 'attemptLimit="3" activityExperiencedDurationLimit="PT2H"');
  const r = parse(xml, THIRD_FILES);
  t.deepEqual(r.report.errors, []);
  const text = r.report.warnings.map((w) => w.message).join('\n');
  t.regex(text, /references the objective "post_score", which this activity does not define/);
  t.regex(text, /objectiveMeasureLessThan condition has no measureThreshold/);
  t.regex(text, /activityExperiencedDurationLimit, which SCORM 2004 does not require/);
});

test('4th edition: adlseq:objective extending no imsss objective is an error', (t) => {
  const r = parse(
    FOURTH.replace('<seq:objective objectiveID="skill">', '<seq:objective objectiveID="skills">'),
    ['lesson/index.html'],
  );
  t.regex(r.report.errors[0]?.message ?? '', /adlseq:objective "skills" extends no imsss objective/);
});

test('4th edition: an adlseq:mapInfo without targetObjectiveID is an error on its line', (t) => {
  const xml = FOURTH.replace(
    '<seq:mapInfo targetObjectiveID="com.example.fourth.skill" writeRawScore="true"/>',
    '<seq:mapInfo writeRawScore="true"/>',
  );
  t.not(xml, FOURTH);
  const r = parse(xml, ['lesson/index.html']);
  const error = r.report.errors.find((e) => /adlseq:mapInfo has no targetObjectiveID/.test(e.message));
  t.truthy(error, JSON.stringify(r.report.errors));
  t.is(error!.line, xml.split('\n').findIndex((l) => l.includes('<seq:mapInfo writeRawScore="true"/>')) + 1);
});

test('2004: a cluster with an identifierref and a leaf without one are warnings', (t) => {
  const xml = THIRD.replace(
    '<item identifier="content_cluster">',
    '<item identifier="content_cluster" identifierref="playing_res">',
  ).replace(
    '<item identifier="scoring_item" identifierref="scoring_res">',
    '<item identifier="scoring_item">',
  );
  const r = parse(xml, THIRD_FILES);
  t.deepEqual(r.report.errors, []);
  const text = r.report.warnings.map((w) => w.message).join('\n');
  t.regex(text, /"content_cluster" has child items and also an identifierref/);
  t.regex(text, /"scoring_item" has no children and no identifierref/);
  t.is(itemsOf(r.model).get('content_cluster')?.launchUrl, undefined);
});

test('scorm-again: the 3rd edition course maps to an activity tree with controls, rules, objectives', (t) => {
  const { sequencing, notes } = toScormAgainSequencing(parse(THIRD, THIRD_FILES).model!);
  t.truthy(sequencing);
  const root = sequencing!.activityTree;
  t.is(root.id, 'golf_org');
  t.is(root.title, 'Golf Explained - Pre-test and Remediation');
  t.like(root.sequencingControls, { choice: true, flow: true, forwardOnly: false });
  // "any" of two conditions over childActivitySet "any" splits exactly into two rules.
  t.deepEqual(root.rollupRules?.rules, [
    {
      action: 'satisfied',
      consideration: 'any',
      minimumCount: 0,
      minimumPercent: 0,
      conditions: [{ condition: 'satisfied' }],
    },
    {
      action: 'satisfied',
      consideration: 'any',
      minimumCount: 0,
      minimumPercent: 0,
      conditions: [{ condition: 'completed' }],
    },
  ]);
  t.deepEqual(
    root.children?.map((c) => c.id),
    ['pretest_item', 'content_cluster', 'posttest_item'],
  );
  const [pre, cluster, post] = root.children!;
  t.like(cluster?.sequencingControls, { choice: false, flow: true });
  t.deepEqual(cluster?.sequencingRules?.preConditionRules, [
    {
      action: 'skip',
      conditionCombination: 'any',
      conditions: [
        { condition: 'satisfied', referencedObjective: 'cluster_mastered' },
        { condition: 'attemptLimitExceeded' },
      ],
    },
  ]);
  t.deepEqual(cluster?.rollupRules?.rules, [
    {
      action: 'completed',
      consideration: 'all',
      minimumCount: 0,
      minimumPercent: 0,
      conditions: [{ condition: 'completed' }],
    },
    {
      action: 'satisfied',
      consideration: 'atLeastPercent',
      minimumCount: 0,
      minimumPercent: 50,
      conditions: [{ condition: 'satisfied' }, { condition: 'notAttempted' }],
    },
  ]);
  t.like(cluster?.rollupConsiderations, {
    requiredForSatisfied: 'ifNotSkipped',
    measureSatisfactionIfActive: false,
  });
  t.like(pre?.primaryObjective, {
    objectiveID: 'pretest_passed',
    isPrimary: true,
    satisfiedByMeasure: true,
    minNormalizedMeasure: 0.8,
  });
  t.like(pre?.primaryObjective?.mapInfo?.[0], {
    targetObjectiveID: 'com.example.golf.playing_mastered',
    readSatisfiedStatus: false,
    writeSatisfiedStatus: true,
    readCompletionStatus: false,
  });
  t.is(pre?.attemptLimit, 1);
  t.like(pre?.sequencingControls, { rollupObjectiveSatisfied: false, objectiveMeasureWeight: 0 });
  t.like(post, {
    attemptLimit: 3,
    attemptAbsoluteDurationLimit: 'PT45M',
    timeLimitAction: 'exit,message',
    hideLmsUi: ['continue', 'previous'],
    auxiliaryResources: [{ resourceId: 'urn:example:golf:rules-pdf', purpose: 'reference' }],
    completionThreshold: { completedByMeasure: true, minProgressMeasure: 0.75, progressWeight: 1 },
    deliveryControls: { tracked: true, completionSetByContent: true, objectiveSetByContent: true },
  });
  t.like(post?.sequencingControls, {
    preventActivation: true,
    constrainChoice: true,
    randomizeChildren: true,
    randomizationTiming: 'onEachNewAttempt',
    selectionTiming: 'once',
    selectCount: 10,
  });
  t.false('reorderChildren' in (post?.sequencingControls ?? {}));
  t.deepEqual(post?.sequencingRules?.postConditionRules?.[0]?.conditions, [
    { condition: 'satisfied', operator: 'not' },
    {
      condition: 'objectiveMeasureLessThan',
      referencedObjective: 'posttest_score',
      parameters: { threshold: 0.5 },
    },
  ]);
  t.deepEqual(
    post?.objectives?.map((o) => o.objectiveID),
    ['etiquette'],
  );
  t.deepEqual(notes, []);
  t.deepEqual(JSON.parse(JSON.stringify(sequencing)), sequencing);
});

test('scorm-again: 4th edition mapInfo merges imsss and adlseq flags per target', (t) => {
  const { sequencing } = toScormAgainSequencing(parse(FOURTH, ['lesson/index.html']).model!);
  const lesson = sequencing!.activityTree.children![0]!;
  t.like(lesson, {
    completionThreshold: { completedByMeasure: true, minProgressMeasure: 0.8, progressWeight: 0.5 },
    hideLmsUi: ['suspendAll', 'exitAll'],
  });
  t.deepEqual(lesson.primaryObjective?.mapInfo, [
    {
      targetObjectiveID: 'com.example.fourth.lesson',
      readSatisfiedStatus: true,
      readNormalizedMeasure: true,
      writeSatisfiedStatus: true,
      writeNormalizedMeasure: false,
      readCompletionStatus: true,
      writeCompletionStatus: true,
      readProgressMeasure: true,
      writeProgressMeasure: true,
      readRawScore: false,
      writeRawScore: false,
      readMinScore: true,
      writeMinScore: false,
      readMaxScore: true,
      writeMaxScore: false,
    },
  ]);
  // A target named only by adlseq:mapInfo shares no satisfaction or measure.
  t.like(lesson.objectives?.[0]?.mapInfo?.[0], {
    targetObjectiveID: 'com.example.fourth.skill',
    readSatisfiedStatus: false,
    readNormalizedMeasure: false,
    writeRawScore: true,
  });
});
