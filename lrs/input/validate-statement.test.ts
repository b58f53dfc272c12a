import test from 'ava';
import { AppError } from '../../core/errors.ts';
import type { Statement } from './statement-types.ts';
import {
  isDuration,
  isIri,
  isLanguageTag,
  isMailtoIri,
  isStatementVersion,
  isUuid,
  parseTimestamp,
  validateStatement,
  validateStatements,
} from './validate-statement.ts';
import type { XapiVersion } from './version.ts';

// ------------------------------------------------------------------------------------------------
// Fixtures: realistic statements built fresh for every case, so mutations never leak.

// biome-ignore lint/suspicious/noExplicitAny: fixtures are deliberately mutated into invalid shapes.
type Json = Record<string, any>;
const BOTH: XapiVersion[] = ['1.0.3', '2.0.0'];
const ID = 'fd41c918-b88b-4b20-a0a5-a4c32391aaa0';
const REF_ID = '8f87ccde-bb56-4c2e-ab83-44982ef22df0';
const REGISTRATION = 'ec531277-b57b-4c15-8d91-d292c5b2b8f7';
const SHA256 = '495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a';

const learner = (): Json => ({ objectType: 'Agent', name: 'Ada Learner', mbox: 'mailto:ada@example.com' });
const accountAgent = (): Json => ({ account: { homePage: 'https://lms.example.com', name: 'u-1625378' } });
const activity = (): Json => ({
  objectType: 'Activity',
  id: 'https://courses.example.com/algebra/quiz-1/q3',
  definition: {
    name: { 'en-US': 'Question 3', 'de-DE': 'Frage 3' },
    description: { en: 'Solve for x' },
    type: 'http://adlnet.gov/expapi/activities/cmi.interaction',
    moreInfo: 'https://courses.example.com/algebra/quiz-1',
    extensions: { 'https://example.com/xapi/ext/difficulty': 3 },
  },
});
const base = (): Json => ({
  id: ID,
  actor: learner(),
  verb: { id: 'http://adlnet.gov/expapi/verbs/answered', display: { 'en-US': 'answered' } },
  object: activity(),
  timestamp: '2024-05-04T12:00:00.123Z',
});
const subStatement = (): Json => ({
  objectType: 'SubStatement',
  actor: accountAgent(),
  verb: { id: 'http://example.com/verbs/will-visit', display: { 'en-US': 'will visit' } },
  object: { objectType: 'Activity', id: 'https://example.com/website' },
});
const fullResult = (): Json => ({
  score: { scaled: 0.95, raw: 95, min: 0, max: 100 },
  success: true,
  completion: true,
  response: 'We agreed on some example actions.',
  duration: 'PT1H0M0S',
  extensions: { 'http://example.com/profiles/meetings/resultextensions/minuteslocation': 'X:\\meetings' },
});
const fullContext = (): Json => ({
  registration: REGISTRATION,
  instructor: { objectType: 'Agent', name: 'Prof', mbox_sha1sum: 'cd9b00a5611f94eaa7b1661edab976068e364975' },
  team: { objectType: 'Group', name: 'Team A', openid: 'https://openid.example.org/team-a' },
  contextActivities: {
    parent: [{ id: 'https://courses.example.com/algebra/quiz-1' }],
    grouping: [{ objectType: 'Activity', id: 'https://courses.example.com/algebra' }],
    category: [{ id: 'https://w3id.org/xapi/cmi5/context/categories/moveon' }],
    other: [{ id: 'https://courses.example.com/textbook' }],
  },
  revision: 'rev_10_3_2',
  platform: 'Example virtual meeting software',
  language: 'tlh',
  statement: { objectType: 'StatementRef', id: REF_ID },
  extensions: { 'http://example.com/ext/airspeed': '600mph', 'http://example.com/ext/null': null },
});
const attachment = (): Json => ({
  usageType: 'http://adlnet.gov/expapi/attachments/signature',
  display: { 'en-US': 'A test attachment' },
  description: { 'en-US': 'A test attachment (description)' },
  contentType: 'text/plain; charset=ascii',
  length: 27,
  sha2: SHA256,
  fileUrl: 'http://over.there.com/file.txt',
});
const components = (...ids: string[]): Json[] =>
  ids.map((id) => ({ id, description: { 'en-US': `Option ${id}` } }));

function interaction(interactionType: string, extra: Json = {}): Json {
  const s = base();
  Object.assign(s.object.definition, { interactionType, ...extra });
  return s;
}

function with_(mutate: (s: Json) => void, make: () => Json = base): Json {
  const s = make();
  mutate(s);
  return s;
}

function expectRejected(
  t: {
    throws: (fn: () => unknown, expectations?: object) => unknown;
    is: (a: unknown, b: unknown) => void;
    regex: (s: string, r: RegExp) => void;
  },
  value: unknown,
  version: XapiVersion,
  path: string,
  rule: string,
): AppError {
  const err = t.throws(() => validateStatement(value, version), { instanceOf: AppError }) as AppError;
  t.is(err.code, 'VALIDATION_FAILED');
  t.is(err.status, 400);
  t.is(err.details.path, path);
  t.is(err.details.rule, rule);
  t.regex(err.message, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
  return err;
}

// ------------------------------------------------------------------------------------------------
// Accepted statements

interface Valid {
  name: string;
  versions?: XapiVersion[];
  make: () => unknown;
}

const valid: Valid[] = [
  { name: 'minimal statement with mbox actor and Activity object', make: base },
  { name: 'Activity object without objectType', make: () => with_((s) => delete s.object.objectType) },
  { name: 'Activity with empty definition', make: () => with_((s) => (s.object.definition = {})) },
  { name: 'no id (the LRS assigns one)', make: () => with_((s) => delete s.id) },
  { name: 'upper-case UUID id', make: () => with_((s) => (s.id = ID.toUpperCase())) },
  {
    name: 'actor without objectType, identified by account',
    make: () => with_((s) => (s.actor = accountAgent())),
  },
  {
    name: 'actor identified by openid',
    make: () => with_((s) => (s.actor = { objectType: 'Agent', openid: 'http://openid.example.org/12345' })),
  },
  {
    name: 'actor identified by mbox_sha1sum (upper-case hex)',
    make: () => with_((s) => (s.actor = { mbox_sha1sum: 'CD9B00A5611F94EAA7B1661EDAB976068E364975' })),
  },
  {
    name: 'identified Group actor with members',
    make: () =>
      with_(
        (s) =>
          (s.actor = {
            objectType: 'Group',
            name: 'Team',
            account: { homePage: 'http://www.example.com', name: 'team-1' },
            member: [learner(), accountAgent()],
          }),
      ),
  },
  {
    name: 'identified Group without members',
    make: () => with_((s) => (s.actor = { objectType: 'Group', mbox: 'mailto:team@example.com' })),
  },
  {
    name: 'anonymous Group actor',
    make: () => with_((s) => (s.actor = { objectType: 'Group', member: [learner(), accountAgent()] })),
  },
  { name: 'Agent object', make: () => with_((s) => (s.object = learner())) },
  {
    name: 'Group object',
    make: () => with_((s) => (s.object = { objectType: 'Group', name: 'G', mbox: 'mailto:g@example.com' })),
  },
  {
    name: 'StatementRef object',
    make: () => with_((s) => (s.object = { objectType: 'StatementRef', id: REF_ID })),
  },
  { name: 'SubStatement object with Activity', make: () => with_((s) => (s.object = subStatement())) },
  {
    name: 'SubStatement with Agent object, result, context, timestamp and attachments',
    make: () =>
      with_((s) => {
        s.object = subStatement();
        s.object.object = learner();
        s.object.result = fullResult();
        s.object.context = { registration: REGISTRATION, language: 'fr-CA', instructor: accountAgent() };
        s.object.timestamp = '2030-01-01T00:00:00Z';
        s.object.attachments = [attachment()];
      }),
  },
  {
    name: 'SubStatement with StatementRef object',
    make: () =>
      with_((s) => (s.object = { ...subStatement(), object: { objectType: 'StatementRef', id: REF_ID } })),
  },
  {
    name: 'SubStatement with Group object',
    make: () =>
      with_((s) => (s.object = { ...subStatement(), object: { objectType: 'Group', member: [learner()] } })),
  },
  {
    name: 'true-false interaction',
    make: () => interaction('true-false', { correctResponsesPattern: ['true'] }),
  },
  {
    name: 'choice interaction',
    make: () =>
      interaction('choice', {
        correctResponsesPattern: ['golf[,]tetris'],
        choices: components('golf', 'tetris', 'facebook'),
      }),
  },
  {
    name: 'fill-in interaction',
    make: () => interaction('fill-in', { correctResponsesPattern: ['{case_matters=false}Bob'] }),
  },
  {
    name: 'long-fill-in interaction',
    make: () => interaction('long-fill-in', { correctResponsesPattern: ['{lang=en}It was a dark night'] }),
  },
  {
    name: 'matching interaction',
    make: () =>
      interaction('matching', {
        correctResponsesPattern: ['ben[.]3[,]chris[.]2'],
        source: components('ben', 'chris'),
        target: components('1', '2', '3'),
      }),
  },
  {
    name: 'performance interaction',
    make: () =>
      interaction('performance', {
        correctResponsesPattern: ['pong[.]1:[,]dg[.]:10'],
        steps: components('pong', 'dg'),
      }),
  },
  {
    name: 'sequencing interaction',
    make: () =>
      interaction('sequencing', {
        correctResponsesPattern: ['tim[,]mike'],
        choices: components('tim', 'mike'),
      }),
  },
  {
    name: 'likert interaction with component language maps',
    make: () =>
      interaction('likert', {
        correctResponsesPattern: ['likert_3'],
        scale: [
          { id: 'likert_0', description: { 'sr-Latn-RS': 'Nije' } },
          { id: 'likert_3', description: { ja: 'はい' } },
        ],
      }),
  },
  { name: 'numeric interaction', make: () => interaction('numeric', { correctResponsesPattern: ['4[:]'] }) },
  {
    name: 'other interaction',
    make: () => interaction('other', { correctResponsesPattern: ['(35.937432,-86.868896)'] }),
  },
  {
    name: 'interaction with empty correctResponsesPattern',
    make: () => interaction('choice', { correctResponsesPattern: [] }),
  },
  { name: 'full result', make: () => with_((s) => (s.result = fullResult())) },
  { name: 'empty result', make: () => with_((s) => (s.result = {})) },
  {
    name: 'score scaled at the -1 boundary',
    make: () => with_((s) => (s.result = { score: { scaled: -1 } })),
  },
  {
    name: 'score raw equal to min and max bounds',
    make: () => with_((s) => (s.result = { score: { raw: 0, min: 0, max: 0.5 } })),
  },
  ...[
    'PT4H35M59.14S',
    'PT16559.14S',
    'P3Y1M29DT4H35M59.14S',
    'P3Y',
    'P4W',
    'P1DT12H36M0.12567S',
    'PT0.5S',
  ].map((d) => ({
    name: `duration ${d}`,
    make: () => with_((s) => (s.result = { duration: d })),
  })),
  { name: 'full context with Activity object', make: () => with_((s) => (s.context = fullContext())) },
  {
    name: 'context without revision/platform on a StatementRef object',
    make: () =>
      with_((s) => {
        s.object = { objectType: 'StatementRef', id: REF_ID };
        s.context = { registration: REGISTRATION, instructor: { objectType: 'Group', member: [learner()] } };
      }),
  },
  {
    name: 'revision allowed when the object has no objectType',
    make: () =>
      with_((s) => {
        delete s.object.objectType;
        s.context = { revision: '1' };
      }),
  },
  ...['parent', 'grouping', 'category', 'other'].map((key) => ({
    name: `single contextActivities.${key} object`,
    make: () => with_((s) => (s.context = { contextActivities: { [key]: { id: 'https://example.com/a' } } })),
  })),
  {
    name: 'extension values may be null, empty string, empty object or anything',
    make: () =>
      with_((s) => {
        s.object.definition.extensions = {
          'http://example.com/ex': null,
          'http://example.com/ex2': '',
          'urn:x:ex3': {},
        };
        s.result = { extensions: {} };
        s.context = { extensions: { 'http://example.com/ex': [1, { deep: null }] } };
      }),
  },
  {
    name: 'attachments',
    make: () => with_((s) => (s.attachments = [attachment(), { ...attachment(), fileUrl: undefined }])),
  },
  { name: 'empty attachments array', make: () => with_((s) => (s.attachments = [])) },
  { name: 'authority Agent', make: () => with_((s) => (s.authority = learner())) },
  {
    name: 'authority OAuth Group (application + user)',
    make: () =>
      with_(
        (s) =>
          (s.authority = {
            objectType: 'Group',
            member: [
              { account: { homePage: 'http://example.com/xAPI/OAuth/Token', name: 'oauth_consumer_x75db' } },
              { mbox: 'mailto:bob@example.com' },
            ],
          }),
      ),
  },
  { name: 'stored may be sent', make: () => with_((s) => (s.stored = '2011-07-15T00:00:00.000Z')) },
  { name: 'version 1.0', make: () => with_((s) => (s.version = '1.0')) },
  { name: 'version 1.0.9', make: () => with_((s) => (s.version = '1.0.9')) },
  { name: 'version 2.0.0', versions: ['2.0.0'], make: () => with_((s) => (s.version = '2.0.0')) },
  {
    name: 'timestamp with +00:00',
    make: () => with_((s) => (s.timestamp = '2008-09-15T15:53:00.601+00:00')),
  },
  { name: 'timestamp with -05:00', make: () => with_((s) => (s.timestamp = '2023-05-04T12:00:00-05:00')) },
  {
    name: 'timestamp with nanoseconds',
    make: () => with_((s) => (s.timestamp = '2023-05-04T12:00:00.123456789Z')),
  },
  { name: 'timestamp far in the future', make: () => with_((s) => (s.timestamp = '2099-12-31T23:59:59Z')) },
  {
    name: '1.0.3 timestamp without a zone',
    versions: ['1.0.3'],
    make: () => with_((s) => (s.timestamp = '2015-11-18T12:17:00')),
  },
  {
    name: '1.0.3 timestamp with +0530 offset',
    versions: ['1.0.3'],
    make: () => with_((s) => (s.timestamp = '2015-11-18T12:17:00+0530')),
  },
  {
    name: '2.0 timestamp with lower-case t and z',
    versions: ['2.0.0'],
    make: () => with_((s) => (s.timestamp = '2015-11-18t12:17:00z')),
  },
  {
    name: '2.0 top-level timestamp null is treated as absent',
    versions: ['2.0.0'],
    make: () => with_((s) => (s.timestamp = null)),
  },
  {
    name: 'voiding statement',
    make: () =>
      with_((s) => {
        s.verb = { id: 'http://adlnet.gov/expapi/verbs/voided', display: { 'en-US': 'voided' } };
        s.object = { objectType: 'StatementRef', id: REF_ID };
      }),
  },
  {
    name: 'unicode language maps and IRIs',
    make: () =>
      with_((s) => {
        s.verb = {
          id: 'http://example.com/فعل/خواندن',
          display: { 'ja-JP': '出席した', 'zh-Hans-CN': '出席', 'sr-Cyrl': 'присуствовао' },
        };
        s.object.definition.name = {
          'zh-Hant': '例如会议',
          ase: 'x',
          cmn: 'y',
          'x-private': 'z',
          'i-klingon': 'w',
          'es-419': 'v',
        };
      }),
  },
  {
    name: '2.0 contextAgents and contextGroups',
    versions: ['2.0.0'],
    make: () =>
      with_(
        (s) =>
          (s.context = {
            contextAgents: [
              {
                objectType: 'contextAgent',
                agent: { objectType: 'Agent', mbox: 'mailto:player-1@example.com' },
                relevantTypes: ['https://example.com/xapi/activity-types/personnel/player'],
              },
              { objectType: 'contextAgent', agent: accountAgent() },
            ],
            contextGroups: [
              {
                objectType: 'contextGroup',
                group: { objectType: 'Group', mbox: 'mailto:team-1@example.com', member: [learner()] },
                relevantTypes: ['https://example.com/xapi/activity-types/team/a'],
              },
            ],
          }),
      ),
  },
];

for (const c of valid) {
  for (const version of c.versions ?? BOTH) {
    test(`accepts (${version}): ${c.name}`, (t) => {
      const out = validateStatement(c.make(), version);
      t.truthy(out.actor);
      t.truthy(out.verb.id);
      t.truthy(out.object);
    });
  }
}

// ------------------------------------------------------------------------------------------------
// Rejected statements: each rule with the path and rule id it must report.

interface Invalid {
  name: string;
  versions?: XapiVersion[];
  make: () => unknown;
  path: string;
  rule: string;
}

const invalid: Invalid[] = [
  // Structure (1.0.3 §2.2, 2.0 §4.2)
  { name: 'a string body', make: () => 'statement', path: 'statement', rule: 'type' },
  { name: 'an array as a single statement', make: () => [base()], path: 'statement', rule: 'type' },
  {
    name: 'missing actor',
    make: () => with_((s) => delete s.actor),
    path: 'statement.actor',
    rule: 'required',
  },
  { name: 'missing verb', make: () => with_((s) => delete s.verb), path: 'statement.verb', rule: 'required' },
  {
    name: 'missing object',
    make: () => with_((s) => delete s.object),
    path: 'statement.object',
    rule: 'required',
  },
  { name: 'null actor', make: () => with_((s) => (s.actor = null)), path: 'statement.actor', rule: 'null' },
  {
    name: 'null context',
    make: () => with_((s) => (s.context = null)),
    path: 'statement.context',
    rule: 'null',
  },
  {
    name: 'null verb display value',
    make: () => with_((s) => (s.verb.display = { 'en-US': null })),
    path: 'statement.verb.display["en-US"]',
    rule: 'null',
  },
  {
    name: 'null definition moreInfo',
    make: () => with_((s) => (s.object.definition.moreInfo = null)),
    path: 'statement.object.definition.moreInfo',
    rule: 'null',
  },
  {
    name: '1.0.3 null timestamp',
    versions: ['1.0.3'],
    make: () => with_((s) => (s.timestamp = null)),
    path: 'statement.timestamp',
    rule: 'null',
  },
  {
    name: 'null SubStatement timestamp (2.0 too)',
    make: () => with_((s) => (s.object = { ...subStatement(), timestamp: null })),
    path: 'statement.object.timestamp',
    rule: 'null',
  },
  {
    name: 'unknown top-level property',
    make: () => with_((s) => (s.dummy = 'dummy')),
    path: 'statement.dummy',
    rule: 'unknown-property',
  },
  {
    name: 'wrong-case property name',
    make: () => with_((s) => (s.timeStamp = s.timestamp)),
    path: 'statement.timeStamp',
    rule: 'unknown-property',
  },
  {
    name: 'unknown Agent property',
    make: () => with_((s) => (s.actor.key = 'x')),
    path: 'statement.actor.key',
    rule: 'unknown-property',
  },
  {
    name: 'unknown Verb property',
    make: () => with_((s) => (s.verb.extra = 1)),
    path: 'statement.verb.extra',
    rule: 'unknown-property',
  },
  {
    name: 'unknown definition property',
    make: () => with_((s) => (s.object.definition.foo = 1)),
    path: 'statement.object.definition.foo',
    rule: 'unknown-property',
  },
  {
    name: 'unknown result property',
    make: () => with_((s) => (s.result = { grade: 'A' })),
    path: 'statement.result.grade',
    rule: 'unknown-property',
  },
  {
    name: 'unknown score property',
    make: () => with_((s) => (s.result = { score: { percent: 1 } })),
    path: 'statement.result.score.percent',
    rule: 'unknown-property',
  },
  {
    name: 'unknown attachment property',
    make: () => with_((s) => (s.attachments = [{ ...attachment(), data: 'x' }])),
    path: 'statement.attachments[0].data',
    rule: 'unknown-property',
  },
  {
    name: 'unknown contextActivities key',
    make: () => with_((s) => (s.context = { contextActivities: { sibling: [] } })),
    path: 'statement.context.contextActivities.sibling',
    rule: 'unknown-property',
  },
  {
    name: 'unknown account property',
    make: () => with_((s) => (s.actor = { account: { homePage: 'http://x.example', name: 'a', id: 1 } })),
    path: 'statement.actor.account.id',
    rule: 'unknown-property',
  },
  {
    name: '1.0.3 rejects contextAgents',
    versions: ['1.0.3'],
    make: () => with_((s) => (s.context = { contextAgents: [] })),
    path: 'statement.context.contextAgents',
    rule: 'unknown-property',
  },
  // Types
  {
    name: 'verb as a string',
    make: () => with_((s) => (s.verb = 'answered')),
    path: 'statement.verb',
    rule: 'type',
  },
  { name: 'id as a number', make: () => with_((s) => (s.id = 12345)), path: 'statement.id', rule: 'type' },
  {
    name: 'success as the string "true"',
    make: () => with_((s) => (s.result = { success: 'true' })),
    path: 'statement.result.success',
    rule: 'type',
  },
  {
    name: 'completion as the string "false"',
    make: () => with_((s) => (s.result = { completion: 'false' })),
    path: 'statement.result.completion',
    rule: 'type',
  },
  {
    name: 'score raw as the string "100"',
    make: () => with_((s) => (s.result = { score: { raw: '100' } })),
    path: 'statement.result.score.raw',
    rule: 'type',
  },
  {
    name: 'response as a number',
    make: () => with_((s) => (s.result = { response: 12345 })),
    path: 'statement.result.response',
    rule: 'type',
  },
  {
    name: 'definition as a string',
    make: () => with_((s) => (s.object.definition = 'quiz')),
    path: 'statement.object.definition',
    rule: 'type',
  },
  {
    name: 'extensions as an array',
    make: () => with_((s) => (s.result = { extensions: [] })),
    path: 'statement.result.extensions',
    rule: 'type',
  },
  {
    name: 'account name as an object',
    make: () => with_((s) => (s.actor = { account: { homePage: 'http://x.example', name: { key: 'v' } } })),
    path: 'statement.actor.account.name',
    rule: 'type',
  },
  {
    name: 'actor name as an object',
    make: () => with_((s) => (s.actor.name = { key: 'value' })),
    path: 'statement.actor.name',
    rule: 'type',
  },
  // objectType (case-sensitive enumerations)
  {
    name: 'objectType "activity"',
    make: () => with_((s) => (s.object.objectType = 'activity')),
    path: 'statement.object.objectType',
    rule: 'object-type',
  },
  {
    name: 'objectType "agent" as object',
    make: () => with_((s) => (s.object = { ...learner(), objectType: 'agent' })),
    path: 'statement.object.objectType',
    rule: 'object-type',
  },
  {
    name: 'objectType "substatement"',
    make: () => with_((s) => (s.object = { ...subStatement(), objectType: 'substatement' })),
    path: 'statement.object.objectType',
    rule: 'object-type',
  },
  {
    name: 'actor objectType "Activity"',
    make: () => with_((s) => (s.actor.objectType = 'Activity')),
    path: 'statement.actor.objectType',
    rule: 'object-type',
  },
  {
    name: 'actor objectType as a number',
    make: () => with_((s) => (s.actor.objectType = 123)),
    path: 'statement.actor.objectType',
    rule: 'type',
  },
  {
    name: 'Agent object without objectType',
    make: () => with_((s) => (s.object = { mbox: 'mailto:a@example.com' })),
    path: 'statement.object.objectType',
    rule: 'required',
  },
  {
    name: 'Group object without objectType',
    make: () => with_((s) => (s.object = { member: [learner()] })),
    path: 'statement.object.objectType',
    rule: 'required',
  },
  // Agents and Groups (1.0.3 §2.4.2)
  {
    name: 'Agent with no IFI',
    make: () => with_((s) => (s.actor = { objectType: 'Agent', name: 'x' })),
    path: 'statement.actor',
    rule: 'ifi-count',
  },
  {
    name: 'Agent with two IFIs',
    make: () => with_((s) => (s.actor.openid = 'http://openid.example.org/1')),
    path: 'statement.actor',
    rule: 'ifi-count',
  },
  {
    name: 'mbox without mailto:',
    make: () => with_((s) => (s.actor.mbox = 'http://should.fail.com')),
    path: 'statement.actor.mbox',
    rule: 'mbox',
  },
  {
    name: 'mbox without an address',
    make: () => with_((s) => (s.actor.mbox = 'mailto:should.fail.com')),
    path: 'statement.actor.mbox',
    rule: 'mbox',
  },
  {
    name: 'mbox_sha1sum not 40 hex',
    make: () => with_((s) => (s.actor = { mbox_sha1sum: 'xyz' })),
    path: 'statement.actor.mbox_sha1sum',
    rule: 'mbox_sha1sum',
  },
  {
    name: 'openid with a bad scheme',
    make: () => with_((s) => (s.actor = { openid: 'ab=c://should.fail.com' })),
    path: 'statement.actor.openid',
    rule: 'iri',
  },
  {
    name: 'account without homePage',
    make: () => with_((s) => (s.actor = { account: { name: 'a' } })),
    path: 'statement.actor.account.homePage',
    rule: 'required',
  },
  {
    name: 'account without name',
    make: () => with_((s) => (s.actor = { account: { homePage: 'http://x.example' } })),
    path: 'statement.actor.account.name',
    rule: 'required',
  },
  {
    name: 'account homePage without scheme',
    make: () => with_((s) => (s.actor = { account: { homePage: 'homePage.com/u', name: '1' } })),
    path: 'statement.actor.account.homePage',
    rule: 'iri',
  },
  {
    name: 'anonymous Group without member',
    make: () => with_((s) => (s.actor = { objectType: 'Group', name: 'G' })),
    path: 'statement.actor.member',
    rule: 'required',
  },
  {
    name: 'anonymous Group with empty member',
    make: () => with_((s) => (s.actor = { objectType: 'Group', member: [] })),
    path: 'statement.actor.member',
    rule: 'required',
  },
  {
    name: 'Group member as an object',
    make: () => with_((s) => (s.actor = { objectType: 'Group', member: learner() })),
    path: 'statement.actor.member',
    rule: 'type',
  },
  {
    name: 'Group with two IFIs',
    make: () =>
      with_(
        (s) =>
          (s.actor = { objectType: 'Group', mbox: 'mailto:g@example.com', openid: 'http://o.example/g' }),
      ),
    path: 'statement.actor',
    rule: 'ifi-count',
  },
  {
    name: 'nested Group member',
    make: () =>
      with_(
        (s) =>
          (s.actor = {
            objectType: 'Group',
            member: [{ objectType: 'Group', mbox: 'mailto:g@example.com' }],
          }),
      ),
    path: 'statement.actor.member[0].objectType',
    rule: 'nested-group',
  },
  {
    name: 'invalid Group member',
    make: () => with_((s) => (s.actor = { objectType: 'Group', member: [{ name: 'x' }] })),
    path: 'statement.actor.member[0]',
    rule: 'ifi-count',
  },
  {
    name: 'context.team as an Agent',
    make: () => with_((s) => (s.context = { team: learner() })),
    path: 'statement.context.team.objectType',
    rule: 'object-type',
  },
  {
    name: 'context.instructor with bad key',
    make: () => with_((s) => (s.context = { instructor: { objectType: 'Agent', key: 'x' } })),
    path: 'statement.context.instructor.key',
    rule: 'unknown-property',
  },
  // Authority (1.0.3 §2.4.9)
  {
    name: 'authority Agent without IFI',
    make: () => with_((s) => (s.authority = { objectType: 'Agent' })),
    path: 'statement.authority',
    rule: 'ifi-count',
  },
  {
    name: 'authority identified Group',
    make: () =>
      with_(
        (s) =>
          (s.authority = {
            objectType: 'Group',
            mbox: 'mailto:g@example.com',
            member: [
              { account: { homePage: 'http://example.com/OAuth/Token', name: 'c' } },
              { mbox: 'mailto:bob@example.com' },
            ],
          }),
      ),
    path: 'statement.authority',
    rule: 'authority',
  },
  {
    name: 'authority Group with three members',
    make: () =>
      with_(
        (s) =>
          (s.authority = {
            objectType: 'Group',
            member: [
              { account: { homePage: 'http://example.com/OAuth/Token', name: 'c' } },
              learner(),
              accountAgent(),
            ],
          }),
      ),
    path: 'statement.authority.member',
    rule: 'authority',
  },
  {
    name: 'authority Group without an account-identified application',
    make: () =>
      with_(
        (s) =>
          (s.authority = { objectType: 'Group', member: [learner(), { mbox: 'mailto:bob@example.com' }] }),
      ),
    path: 'statement.authority.member',
    rule: 'authority',
  },
  // Verb (1.0.3 §2.4.3)
  {
    name: 'verb without id',
    make: () => with_((s) => delete s.verb.id),
    path: 'statement.verb.id',
    rule: 'required',
  },
  {
    name: 'verb id without scheme',
    make: () => with_((s) => (s.verb.id = 'adlnet.gov/expapi/verbs/attended')),
    path: 'statement.verb.id',
    rule: 'iri',
  },
  {
    name: 'verb id with a space',
    make: () => with_((s) => (s.verb.id = 'http://example.com/a verb')),
    path: 'statement.verb.id',
    rule: 'iri',
  },
  {
    name: 'verb display as a string',
    make: () => with_((s) => (s.verb.display = 'attended')),
    path: 'statement.verb.display',
    rule: 'type',
  },
  // Language maps (1.0.3 §4.2)
  {
    name: 'language tag "something"',
    make: () => with_((s) => (s.verb.display = { something: 'x' })),
    path: 'statement.verb.display.something',
    rule: 'language-tag',
  },
  {
    name: 'language tag "a12345678"',
    make: () => with_((s) => (s.object.definition.name = { a12345678: 'x' })),
    path: 'statement.object.definition.name.a12345678',
    rule: 'language-tag',
  },
  {
    name: 'language tag "zh-something-ccc"',
    make: () => with_((s) => (s.object.definition.description = { 'zh-something-ccc': 'x' })),
    path: 'statement.object.definition.description["zh-something-ccc"]',
    rule: 'language-tag',
  },
  {
    name: 'language tag "s-something"',
    make: () => with_((s) => (s.verb.display = { 's-something': 'x' })),
    path: 'statement.verb.display["s-something"]',
    rule: 'language-tag',
  },
  {
    name: 'language tag with repeated singleton',
    make: () => with_((s) => (s.verb.display = { 'zh-z-aaa-z-bbb': 'x' })),
    path: 'statement.verb.display["zh-z-aaa-z-bbb"]',
    rule: 'language-tag',
  },
  {
    name: 'language map value as a number',
    make: () => with_((s) => (s.verb.display = { en: 1 })),
    path: 'statement.verb.display.en',
    rule: 'type',
  },
  {
    name: 'context.language invalid',
    make: () => with_((s) => (s.context = { language: 'something' })),
    path: 'statement.context.language',
    rule: 'language-tag',
  },
  {
    name: 'attachment display invalid tag',
    make: () => with_((s) => (s.attachments = [{ ...attachment(), display: { 'en-something-AU': 'x' } }])),
    path: 'statement.attachments[0].display["en-something-AU"]',
    rule: 'language-tag',
  },
  // Activities (1.0.3 §2.4.4.1)
  {
    name: 'Activity without id',
    make: () => with_((s) => delete s.object.id),
    path: 'statement.object.id',
    rule: 'required',
  },
  {
    name: 'Activity id without scheme',
    make: () => with_((s) => (s.object.id = 'www.example.com/meetings/1')),
    path: 'statement.object.id',
    rule: 'iri',
  },
  {
    name: 'definition type not an IRI',
    make: () => with_((s) => (s.object.definition.type = 'should error')),
    path: 'statement.object.definition.type',
    rule: 'iri',
  },
  {
    name: 'definition moreInfo not an IRL',
    make: () => with_((s) => (s.object.definition.moreInfo = 'should error')),
    path: 'statement.object.definition.moreInfo',
    rule: 'iri',
  },
  {
    name: 'definition name as a number',
    make: () => with_((s) => (s.object.definition.name = 12345)),
    path: 'statement.object.definition.name',
    rule: 'type',
  },
  {
    name: 'extension key not an IRI',
    make: () => with_((s) => (s.object.definition.extensions = { 'not.valid.com/extension': 1 })),
    path: 'statement.object.definition.extensions["not.valid.com/extension"]',
    rule: 'iri',
  },
  {
    name: 'result extension key "id"',
    make: () => with_((s) => (s.result = { extensions: { id: 1 } })),
    path: 'statement.result.extensions.id',
    rule: 'iri',
  },
  {
    name: 'context extension key with bad scheme',
    make: () => with_((s) => (s.context = { extensions: { 'ab=c://x': 1 } })),
    path: 'statement.context.extensions["ab=c://x"]',
    rule: 'iri',
  },
  // Interactions
  {
    name: 'interactionType wrong case',
    make: () => interaction('choiCe'),
    path: 'statement.object.definition.interactionType',
    rule: 'interaction-type',
  },
  {
    name: 'interactionType "Other"',
    make: () => interaction('Other'),
    path: 'statement.object.definition.interactionType',
    rule: 'interaction-type',
  },
  {
    name: 'interactionType as an IRI',
    make: () => interaction('http://example.com/choice'),
    path: 'statement.object.definition.interactionType',
    rule: 'interaction-type',
  },
  {
    name: 'interactionType as a number',
    make: () => interaction(12345 as unknown as string),
    path: 'statement.object.definition.interactionType',
    rule: 'type',
  },
  {
    name: 'correctResponsesPattern without interactionType',
    make: () => with_((s) => (s.object.definition.correctResponsesPattern = ['a'])),
    path: 'statement.object.definition.interactionType',
    rule: 'interaction-type',
  },
  {
    name: 'choices without interactionType',
    make: () => with_((s) => (s.object.definition.choices = components('a'))),
    path: 'statement.object.definition.interactionType',
    rule: 'interaction-type',
  },
  {
    name: 'correctResponsesPattern as a string',
    make: () => interaction('choice', { correctResponsesPattern: 'a' }),
    path: 'statement.object.definition.correctResponsesPattern',
    rule: 'type',
  },
  {
    name: 'correctResponsesPattern with a number',
    make: () => interaction('numeric', { correctResponsesPattern: [4] }),
    path: 'statement.object.definition.correctResponsesPattern[0]',
    rule: 'type',
  },
  {
    name: 'scale on a choice interaction',
    make: () => interaction('choice', { scale: components('a') }),
    path: 'statement.object.definition.scale',
    rule: 'interaction-components',
  },
  {
    name: 'choices on a true-false interaction',
    make: () => interaction('true-false', { choices: components('true') }),
    path: 'statement.object.definition.choices',
    rule: 'interaction-components',
  },
  {
    name: 'steps on a matching interaction',
    make: () => interaction('matching', { steps: components('a') }),
    path: 'statement.object.definition.steps',
    rule: 'interaction-components',
  },
  {
    name: 'duplicate component ids',
    make: () => interaction('choice', { choices: components('a', 'b', 'a') }),
    path: 'statement.object.definition.choices[2].id',
    rule: 'duplicate-component-id',
  },
  {
    name: 'component without id',
    make: () => interaction('likert', { scale: [{ description: { en: 'x' } }] }),
    path: 'statement.object.definition.scale[0].id',
    rule: 'required',
  },
  {
    name: 'component description invalid tag',
    make: () => interaction('sequencing', { choices: [{ id: 'a', description: { something: 'x' } }] }),
    path: 'statement.object.definition.choices[0].description.something',
    rule: 'language-tag',
  },
  {
    name: 'component with extra key',
    make: () => interaction('performance', { steps: [{ id: 'a', name: 'x' }] }),
    path: 'statement.object.definition.steps[0].name',
    rule: 'unknown-property',
  },
  // StatementRef and SubStatement (1.0.3 §2.4.4.3)
  {
    name: 'StatementRef without id',
    make: () => with_((s) => (s.object = { objectType: 'StatementRef' })),
    path: 'statement.object.id',
    rule: 'required',
  },
  {
    name: 'StatementRef id not a UUID',
    make: () => with_((s) => (s.object = { objectType: 'StatementRef', id: 'should fail' })),
    path: 'statement.object.id',
    rule: 'uuid',
  },
  {
    name: 'StatementRef with extra key',
    make: () => with_((s) => (s.object = { objectType: 'StatementRef', id: REF_ID, verb: {} })),
    path: 'statement.object.verb',
    rule: 'unknown-property',
  },
  {
    name: 'SubStatement without actor',
    make: () =>
      with_((s) => {
        s.object = subStatement();
        delete s.object.actor;
      }),
    path: 'statement.object.actor',
    rule: 'required',
  },
  {
    name: 'SubStatement with id',
    make: () => with_((s) => (s.object = { ...subStatement(), id: ID })),
    path: 'statement.object.id',
    rule: 'substatement',
  },
  {
    name: 'SubStatement with stored',
    make: () => with_((s) => (s.object = { ...subStatement(), stored: '2013-05-18T05:32:34.804Z' })),
    path: 'statement.object.stored',
    rule: 'substatement',
  },
  {
    name: 'SubStatement with version',
    make: () => with_((s) => (s.object = { ...subStatement(), version: '1.0.0' })),
    path: 'statement.object.version',
    rule: 'substatement',
  },
  {
    name: 'SubStatement with authority',
    make: () => with_((s) => (s.object = { ...subStatement(), authority: learner() })),
    path: 'statement.object.authority',
    rule: 'substatement',
  },
  {
    name: 'nested SubStatement',
    make: () => with_((s) => (s.object = { ...subStatement(), object: subStatement() })),
    path: 'statement.object.object.objectType',
    rule: 'nested-substatement',
  },
  {
    name: 'SubStatement with invalid inner actor',
    make: () => with_((s) => (s.object = { ...subStatement(), actor: { mbox: 'x' } })),
    path: 'statement.object.actor.mbox',
    rule: 'mbox',
  },
  // Result (1.0.3 §2.4.5)
  {
    name: 'scaled above 1',
    make: () => with_((s) => (s.result = { score: { scaled: 1.01 } })),
    path: 'statement.result.score.scaled',
    rule: 'score-range',
  },
  {
    name: 'scaled below -1',
    make: () => with_((s) => (s.result = { score: { scaled: -1.00001 } })),
    path: 'statement.result.score.scaled',
    rule: 'score-range',
  },
  {
    name: 'raw above max',
    make: () => with_((s) => (s.result = { score: { raw: 11, min: 0, max: 10 } })),
    path: 'statement.result.score.raw',
    rule: 'score-range',
  },
  {
    name: 'raw below min',
    make: () => with_((s) => (s.result = { score: { raw: 1, min: 2, max: 10 } })),
    path: 'statement.result.score.raw',
    rule: 'score-range',
  },
  {
    name: 'min greater than max',
    make: () => with_((s) => (s.result = { score: { min: 5, max: 4 } })),
    path: 'statement.result.score.min',
    rule: 'score-range',
  },
  {
    name: 'min equal to max',
    make: () => with_((s) => (s.result = { score: { min: 5, max: 5 } })),
    path: 'statement.result.score.min',
    rule: 'score-range',
  },
  {
    name: 'score as a number',
    make: () => with_((s) => (s.result = { score: 12345 })),
    path: 'statement.result.score',
    rule: 'type',
  },
  ...['PA1H0M0S', 'P4W1D', 'should fail', 'P', 'PT', 'P1DT', '1H', 'PT1H30', 'P1Y2M3DT4H5M6.S'].map((d) => ({
    name: `duration ${JSON.stringify(d)}`,
    make: () => with_((s) => (s.result = { duration: d })),
    path: 'statement.result.duration',
    rule: 'duration',
  })),
  {
    name: 'duration as a number',
    make: () => with_((s) => (s.result = { duration: 12345 })),
    path: 'statement.result.duration',
    rule: 'type',
  },
  // Context (1.0.3 §2.4.6)
  {
    name: 'registration not a UUID',
    make: () => with_((s) => (s.context = { registration: 'AA97B177-9383-4934-8543-0F91A7A028368' })),
    path: 'statement.context.registration',
    rule: 'uuid',
  },
  {
    name: 'registration with non-hex character',
    make: () => with_((s) => (s.context = { registration: 'MA97B177-9383-4934-8543-0F91A7A02836' })),
    path: 'statement.context.registration',
    rule: 'uuid',
  },
  {
    name: 'revision with an Agent object',
    make: () =>
      with_((s) => {
        s.object = learner();
        s.context = { revision: 'r1' };
      }),
    path: 'statement.context.revision',
    rule: 'context-activity-only',
  },
  {
    name: 'platform with a SubStatement object',
    make: () =>
      with_((s) => {
        s.object = subStatement();
        s.context = { platform: 'p' };
      }),
    path: 'statement.context.platform',
    rule: 'context-activity-only',
  },
  {
    name: 'platform in a SubStatement whose object is a StatementRef',
    make: () =>
      with_(
        (s) =>
          (s.object = {
            ...subStatement(),
            object: { objectType: 'StatementRef', id: REF_ID },
            context: { platform: 'p' },
          }),
      ),
    path: 'statement.object.context.platform',
    rule: 'context-activity-only',
  },
  {
    name: 'revision as an object',
    make: () => with_((s) => (s.context = { revision: { key: 'x' } })),
    path: 'statement.context.revision',
    rule: 'type',
  },
  {
    name: 'context.statement without objectType',
    make: () => with_((s) => (s.context = { statement: { id: REF_ID } })),
    path: 'statement.context.statement.objectType',
    rule: 'required',
  },
  {
    name: 'context.statement with bad id',
    make: () => with_((s) => (s.context = { statement: { objectType: 'StatementRef', id: 12345 } })),
    path: 'statement.context.statement.id',
    rule: 'type',
  },
  {
    name: 'contextActivities value as a string',
    make: () => with_((s) => (s.context = { contextActivities: { parent: 'https://example.com/a' } })),
    path: 'statement.context.contextActivities.parent',
    rule: 'type',
  },
  {
    name: 'contextActivities array item not an Activity',
    make: () =>
      with_(
        (s) =>
          (s.context = {
            contextActivities: { other: [{ id: 'https://example.com/a' }, { key: 'should fail' }] },
          }),
      ),
    path: 'statement.context.contextActivities.other[1].key',
    rule: 'unknown-property',
  },
  {
    name: 'contextActivities as an array',
    make: () => with_((s) => (s.context = { contextActivities: [] })),
    path: 'statement.context.contextActivities',
    rule: 'type',
  },
  // 2.0 contextAgents / contextGroups (2.0 §4.2.2.5)
  ...(
    [
      [
        'contextAgent objectType wrong',
        { contextAgents: [{ objectType: 'Should fail', agent: learner() }] },
        'statement.context.contextAgents[0].objectType',
        'object-type',
      ],
      [
        'contextAgent objectType missing',
        { contextAgents: [{ agent: learner() }] },
        'statement.context.contextAgents[0].objectType',
        'required',
      ],
      [
        'contextAgent agent invalid',
        { contextAgents: [{ objectType: 'contextAgent', agent: { key: 'Should fail' } }] },
        'statement.context.contextAgents[0].agent.key',
        'unknown-property',
      ],
      [
        'contextAgent agent missing',
        { contextAgents: [{ objectType: 'contextAgent' }] },
        'statement.context.contextAgents[0].agent',
        'required',
      ],
      [
        'contextAgent agent is a Group',
        {
          contextAgents: [
            { objectType: 'contextAgent', agent: { objectType: 'Group', member: [learner()] } },
          ],
        },
        'statement.context.contextAgents[0].agent.objectType',
        'object-type',
      ],
      [
        'contextAgent relevantTypes empty',
        { contextAgents: [{ objectType: 'contextAgent', agent: learner(), relevantTypes: [] }] },
        'statement.context.contextAgents[0].relevantTypes',
        'relevant-types',
      ],
      [
        'contextAgent relevantTypes not IRIs',
        { contextAgents: [{ objectType: 'contextAgent', agent: learner(), relevantTypes: ['abc'] }] },
        'statement.context.contextAgents[0].relevantTypes[0]',
        'iri',
      ],
      [
        'contextAgents not an array',
        { contextAgents: { objectType: 'contextAgent', agent: learner() } },
        'statement.context.contextAgents',
        'type',
      ],
      [
        'contextGroup objectType wrong',
        {
          contextGroups: [
            { objectType: 'contextAgent', group: { objectType: 'Group', mbox: 'mailto:t@example.com' } },
          ],
        },
        'statement.context.contextGroups[0].objectType',
        'object-type',
      ],
      [
        'contextGroup group invalid',
        { contextGroups: [{ objectType: 'contextGroup', group: { key: 'Should fail' } }] },
        'statement.context.contextGroups[0].group.objectType',
        'required',
      ],
      [
        'contextGroup relevantTypes empty',
        {
          contextGroups: [
            {
              objectType: 'contextGroup',
              group: { objectType: 'Group', mbox: 'mailto:t@example.com' },
              relevantTypes: [],
            },
          ],
        },
        'statement.context.contextGroups[0].relevantTypes',
        'relevant-types',
      ],
    ] as const
  ).map(([name, ctx, path, rule]) => ({
    name,
    versions: ['2.0.0'] as XapiVersion[],
    make: () => with_((s) => (s.context = structuredClone(ctx))),
    path,
    rule,
  })),
  // Timestamps (1.0.3 §4.5, 2.0 §4.2.7)
  ...[
    'should fail',
    '01/011/2015',
    '2008-09-15T15:53:00.601-00',
    '2008-09-15T15:53:00.601-0000',
    '2008-09-15T15:53:00.601-00:00',
    '2015-11-18T12',
    '2015-02-29T12:00:00Z',
    '2015-11-18T24:00:00Z',
    '20151118T121700Z',
    '2015-11-18 12:17:00Z',
  ].map((ts) => ({
    name: `timestamp ${JSON.stringify(ts)}`,
    make: () => with_((s) => (s.timestamp = ts)),
    path: 'statement.timestamp',
    rule: 'timestamp',
  })),
  {
    name: '2.0 timestamp without a zone',
    versions: ['2.0.0'],
    make: () => with_((s) => (s.timestamp = '2015-11-18T12:17:00')),
    path: 'statement.timestamp',
    rule: 'timestamp',
  },
  {
    name: '2.0 timestamp offset without colon',
    versions: ['2.0.0'],
    make: () => with_((s) => (s.timestamp = '2015-11-18T12:17:00+0530')),
    path: 'statement.timestamp',
    rule: 'timestamp',
  },
  {
    name: '1.0.3 lower-case designators',
    versions: ['1.0.3'],
    make: () => with_((s) => (s.timestamp = '2015-11-18t12:17:00z')),
    path: 'statement.timestamp',
    rule: 'timestamp',
  },
  {
    name: 'stored not a timestamp',
    make: () => with_((s) => (s.stored = 'yesterday')),
    path: 'statement.stored',
    rule: 'timestamp',
  },
  {
    name: 'SubStatement timestamp invalid',
    make: () => with_((s) => (s.object = { ...subStatement(), timestamp: '01/011/2015' })),
    path: 'statement.object.timestamp',
    rule: 'timestamp',
  },
  // Statement id (1.0.3 §2.4.1)
  {
    name: 'id with too many digits',
    make: () => with_((s) => (s.id = 'AA97B177-9383-4934-8543-0F91A7A028368')),
    path: 'statement.id',
    rule: 'uuid',
  },
  {
    name: 'id without hyphens',
    make: () => with_((s) => (s.id = ID.replaceAll('-', ''))),
    path: 'statement.id',
    rule: 'uuid',
  },
  { name: 'id in braces', make: () => with_((s) => (s.id = `{${ID}}`)), path: 'statement.id', rule: 'uuid' },
  // Version (1.0.3 §2.4.10, 2.0 §4.2.4.3)
  ...['should fail', '0.9.9', '1.1.0', '1.0.', '2.1.0', '1'].map((v) => ({
    name: `version ${JSON.stringify(v)}`,
    make: () => with_((s) => (s.version = v)),
    path: 'statement.version',
    rule: 'version',
  })),
  {
    name: '1.0.3 rejects version 2.0.0',
    versions: ['1.0.3'],
    make: () => with_((s) => (s.version = '2.0.0')),
    path: 'statement.version',
    rule: 'version',
  },
  {
    name: 'version as a number',
    make: () => with_((s) => (s.version = 1.0)),
    path: 'statement.version',
    rule: 'type',
  },
  // Attachments (1.0.3 §2.4.11)
  {
    name: 'attachments as an object',
    make: () => with_((s) => (s.attachments = attachment())),
    path: 'statement.attachments',
    rule: 'type',
  },
  {
    name: 'attachment as a number',
    make: () => with_((s) => (s.attachments = [12345])),
    path: 'statement.attachments[0]',
    rule: 'type',
  },
  ...(['usageType', 'display', 'contentType', 'length', 'sha2'] as const).map((key) => ({
    name: `attachment without ${key}`,
    make: () =>
      with_((s) => {
        s.attachments = [attachment()];
        delete s.attachments[0][key];
      }),
    path: `statement.attachments[0].${key}`,
    rule: 'required',
  })),
  {
    name: 'attachment usageType not an IRI',
    make: () => with_((s) => (s.attachments = [{ ...attachment(), usageType: 'should fail' }])),
    path: 'statement.attachments[0].usageType',
    rule: 'iri',
  },
  {
    name: 'attachment contentType as a number',
    make: () => with_((s) => (s.attachments = [{ ...attachment(), contentType: 12345 }])),
    path: 'statement.attachments[0].contentType',
    rule: 'type',
  },
  {
    name: 'attachment contentType not a media type',
    make: () => with_((s) => (s.attachments = [{ ...attachment(), contentType: 'text' }])),
    path: 'statement.attachments[0].contentType',
    rule: 'content-type',
  },
  {
    name: 'attachment length as a string',
    make: () => with_((s) => (s.attachments = [{ ...attachment(), length: 'should fail' }])),
    path: 'statement.attachments[0].length',
    rule: 'type',
  },
  {
    name: 'attachment length fractional',
    make: () => with_((s) => (s.attachments = [{ ...attachment(), length: 2.5 }])),
    path: 'statement.attachments[0].length',
    rule: 'type',
  },
  {
    name: 'attachment sha2 as a number',
    make: () => with_((s) => (s.attachments = [{ ...attachment(), sha2: 12345 }])),
    path: 'statement.attachments[0].sha2',
    rule: 'type',
  },
  {
    name: 'attachment sha2 not hex',
    make: () => with_((s) => (s.attachments = [{ ...attachment(), sha2: 'z'.repeat(64) }])),
    path: 'statement.attachments[0].sha2',
    rule: 'sha2',
  },
  {
    name: 'attachment fileUrl not an IRL',
    make: () => with_((s) => (s.attachments = [{ ...attachment(), fileUrl: 'should fail' }])),
    path: 'statement.attachments[0].fileUrl',
    rule: 'iri',
  },
  {
    name: 'attachment display as a string',
    make: () => with_((s) => (s.attachments = [{ ...attachment(), display: 'should fail' }])),
    path: 'statement.attachments[0].display',
    rule: 'type',
  },
  // Voiding (1.0.3 §2.3.2, 2.0 §4.2.5)
  {
    name: 'voiding statement with an Activity object',
    make: () =>
      with_(
        (s) => (s.verb = { id: 'http://adlnet.gov/expapi/verbs/voided', display: { 'en-US': 'voided' } }),
      ),
    path: 'statement.object.objectType',
    rule: 'voiding',
  },
];

for (const c of invalid) {
  for (const version of c.versions ?? BOTH) {
    test(`rejects (${version}): ${c.name}`, (t) => {
      expectRejected(t, c.make(), version, c.path, c.rule);
    });
  }
}

// ------------------------------------------------------------------------------------------------
// Output shape

test('contextActivities single objects are normalised to arrays, at top level and in SubStatements', (t) => {
  const s = base();
  s.context = {
    contextActivities: {
      parent: { id: 'https://example.com/p' },
      grouping: [{ id: 'https://example.com/g' }],
    },
  };
  s.object = {
    ...subStatement(),
    context: { contextActivities: { other: { id: 'https://example.com/o' } } },
  };
  const out = validateStatement(s, '2.0.0');
  t.deepEqual(out.context?.contextActivities, {
    parent: [{ id: 'https://example.com/p' }],
    grouping: [{ id: 'https://example.com/g' }],
  });
  const sub = out.object as { context?: { contextActivities?: unknown } };
  t.deepEqual(sub.context?.contextActivities, { other: [{ id: 'https://example.com/o' }] });
  // The input is left as it was.
  t.false(Array.isArray(s.context.contextActivities.parent));
});

test('a valid statement round-trips unchanged apart from normalisation', (t) => {
  const s = with_((x) => {
    x.result = fullResult();
    x.context = fullContext();
    x.attachments = [attachment()];
    x.authority = learner();
    x.version = '1.0.0';
    x.stored = '2024-05-04T12:00:01.000Z';
  });
  const copy = structuredClone(s);
  const out: Statement = validateStatement(s, '1.0.3');
  t.deepEqual(out, copy);
  t.deepEqual(s, copy);
});

test('2.0 drops a top-level null timestamp from the output', (t) => {
  const out = validateStatement(
    with_((s) => (s.timestamp = null)),
    '2.0.0',
  );
  t.false('timestamp' in out);
});

test('an Agent used as object keeps objectType; an actor without one stays without', (t) => {
  const out = validateStatement(
    with_((s) => {
      s.actor = accountAgent();
      s.object = learner();
    }),
    '1.0.3',
  );
  t.false('objectType' in out.actor);
  t.is(out.object.objectType, 'Agent');
});

test('the error names a custom base path', (t) => {
  const err = t.throws(
    () =>
      validateStatement(
        with_((s) => (s.actor.mbox = 'x')),
        '2.0.0',
        { path: 'body' },
      ),
    {
      instanceOf: AppError,
    },
  );
  t.is(err?.details.path, 'body.actor.mbox');
  t.regex(err?.message ?? '', /^body\.actor\.mbox must be a "mailto:" IRI/);
});

test('unknown-property errors hint at the right case', (t) => {
  const err = t.throws(
    () =>
      validateStatement(
        with_((s) => (s.Actor = s.actor)),
        '1.0.3',
      ),
    { instanceOf: AppError },
  );
  t.regex(err?.message ?? '', /did you mean "actor"/);
});

// ------------------------------------------------------------------------------------------------
// validateStatements

test('validateStatements accepts a single object and returns an array', (t) => {
  const out = validateStatements(base(), '2.0.0');
  t.is(out.length, 1);
  t.is(out[0]?.id, ID);
});

test('validateStatements accepts a batch', (t) => {
  const out = validateStatements([base(), with_((s) => delete s.id), with_((s) => (s.id = REF_ID))], '1.0.3');
  t.is(out.length, 3);
});

test('validateStatements rejects an empty array', (t) => {
  const err = t.throws(() => validateStatements([], '2.0.0'), { instanceOf: AppError });
  t.is(err?.status, 400);
  t.is(err?.details.rule, 'empty-batch');
});

test('validateStatements names the index of the bad statement', (t) => {
  const err = t.throws(
    () =>
      validateStatements(
        [base(), with_((s) => (s.id = REF_ID)), with_((s) => (s.actor.mbox = 'bob@example.com'))],
        '2.0.0',
      ),
    { instanceOf: AppError },
  );
  t.is(err?.details.path, 'statement[2].actor.mbox');
  t.regex(err?.message ?? '', /^statement\[2\]\.actor\.mbox /);
});

test('validateStatements rejects two statements with the same id (case-insensitive)', (t) => {
  const err = t.throws(() => validateStatements([base(), with_((s) => (s.id = ID.toUpperCase()))], '2.0.0'), {
    instanceOf: AppError,
  });
  t.is(err?.details.path, 'statement[1].id');
  t.is(err?.details.rule, 'duplicate-id');
});

test('validateStatements rejects null and non-JSON-object bodies', (t) => {
  for (const body of [null, 42, 'x', true]) {
    const err = t.throws(() => validateStatements(body, '1.0.3'), { instanceOf: AppError });
    t.is(err?.details.path, 'statement');
  }
});

// ------------------------------------------------------------------------------------------------
// Exported helpers

test('isUuid', (t) => {
  t.true(isUuid(ID));
  t.true(isUuid(ID.toUpperCase()));
  t.true(isUuid('00000000-0000-0000-0000-000000000000'));
  t.false(isUuid(`${ID}0`));
  t.false(isUuid('MA97B177-9383-4934-8543-0F91A7A02836'));
  t.false(isUuid(ID.replaceAll('-', '_')));
  t.false(isUuid(12345));
});

test('isIri', (t) => {
  for (const ok of [
    'http://example.com/a',
    'urn:uuid:1',
    'mailto:a@b.c',
    'http://example.com/فعل',
    'tag:x,2024:a%20b',
    'http://example.com/path/../x',
  ]) {
    t.true(isIri(ok), ok);
  }
  for (const bad of [
    '',
    'example.com/x',
    'should fail',
    'ab=c://x',
    '1http://x',
    'http:',
    'http://a b',
    'http://x/%zz',
    'http://x/<y>',
    42,
  ]) {
    t.false(isIri(bad), String(bad));
  }
});

test('isMailtoIri', (t) => {
  t.true(isMailtoIri('mailto:ada@example.com'));
  t.false(isMailtoIri('MAILTO:ada@example.com'));
  t.false(isMailtoIri('mailto:ada@example.com?subject=x'));
  t.false(isMailtoIri('mailto:a@b,c@d'));
  t.false(isMailtoIri('mailto:@example.com'));
  t.false(isMailtoIri('mailto:ada@'));
});

test('isLanguageTag follows RFC 5646 well-formedness', (t) => {
  for (const ok of [
    'de',
    'de-DE',
    'zh-Hant',
    'sr-Latn-RS',
    'zh-Hans-CN',
    'cmn',
    'tlh',
    'es-419',
    'en-US-x-twain',
    'x-private',
    'i-klingon',
    'zh-yue-HK',
    'de-CH-1901',
    'en-a-bbb-c-ddd',
    'EN-us',
  ]) {
    t.true(isLanguageTag(ok), ok);
  }
  for (const bad of [
    '',
    'something',
    'a12345',
    'a12345678',
    's-something',
    'zh-something-ccc',
    'en-something-AU',
    'zh-z-aaa-z-bbb-c-ccc',
    'de-1901-1901',
    'en--US',
    'en-',
    'x',
    'en-a',
    '12',
    'en-US-x',
  ]) {
    t.false(isLanguageTag(bad), bad);
  }
});

test('parseTimestamp returns the instant and honours the version rules', (t) => {
  t.is(parseTimestamp('2023-05-04T12:00:00-05:00', '2.0.0'), Date.parse('2023-05-04T17:00:00.000Z'));
  t.is(parseTimestamp('2024-02-29T23:59:59.1239Z', '1.0.3'), Date.parse('2024-02-29T23:59:59.123Z'));
  t.is(parseTimestamp('0001-01-01T00:00:00Z', '2.0.0'), Date.parse('0001-01-01T00:00:00Z'));
  t.is(parseTimestamp('2015-11-18T12:17:00', '1.0.3'), Date.parse('2015-11-18T12:17:00Z'));
  t.is(parseTimestamp('2015-11-18T12:17:00', '2.0.0'), undefined);
  t.is(parseTimestamp('2015-11-18T12:17:00+05', '1.0.3'), Date.parse('2015-11-18T07:17:00Z'));
  t.is(parseTimestamp('2015-11-18T12:17:00+05', '2.0.0'), undefined);
  t.is(parseTimestamp('2015-11-18T12:17:60Z', '2.0.0'), undefined);
  t.is(parseTimestamp('2015-11-18T12:17:00,5Z', '1.0.3'), Date.parse('2015-11-18T12:17:00.500Z'));
  t.is(parseTimestamp('2015-11-18T12:17:00,5Z', '2.0.0'), undefined);
});

test('isDuration', (t) => {
  for (const ok of ['PT1H0M0.1S', 'P4W', 'P3Y', 'PT0S', 'P1DT2H', 'P0.5D', 'PT1,5S'])
    t.true(isDuration(ok), ok);
  for (const bad of ['P4W1D', 'PA1H0M0S', 'P', 'PT', 'T1H', 'P1H', '', 'P1Y-2M'])
    t.false(isDuration(bad), bad);
});

test('isStatementVersion', (t) => {
  t.true(isStatementVersion('1.0.3', '1.0.3'));
  t.false(isStatementVersion('2.0.0', '1.0.3'));
  t.true(isStatementVersion('2.0.0', '2.0.0'));
  t.true(isStatementVersion('1.0', '2.0.0'));
  t.false(isStatementVersion('2.1.0', '2.0.0'));
});

test('validation stays linear on hostile input', (t) => {
  const long = `P${'1'.repeat(50_000)}X`;
  const start = performance.now();
  t.false(isDuration(long));
  t.is(parseTimestamp(`2015-11-18T12:17:00.${'1'.repeat(50_000)}Z`, '2.0.0'), undefined);
  t.false(isIri(`http://${'a'.repeat(100_000)} `));
  t.false(isLanguageTag(`en-${'a-'.repeat(10_000)}`));
  t.true(performance.now() - start < 500);
});
