import test from 'ava';
import { parseCmi5Course } from './cmi5-course.ts';
import { listAus } from './cmi5-model.ts';

const NS = 'https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd';

/** A geology course in the shape of the spec's complex example: course objectives, nested blocks, several AUs. */
const COURSE = `<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="${NS}" xmlns:ext="https://example.com/cmi5/ext">
  <course id="https://courses.example.edu/geology">
    <title>
      <langstring lang="en-US">Geology</langstring>
      <langstring lang="de-DE">Geologie</langstring>
    </title>
    <description>
      <langstring lang="en-US">
        The study of the solid Earth.
      </langstring>
    </description>
    <ext:catalogue code="GEO-101"/>
  </course>
  <objectives>
    <objective id="https://objectives.example.com/geology/basics">
      <title><langstring lang="en-US">Basics</langstring></title>
      <description><langstring lang="en-US">Basic terms</langstring></description>
    </objective>
    <objective id="https://objectives.example.com/geology/minerals">
      <description><langstring lang="en-US">Identify minerals</langstring></description>
      <title><langstring lang="en-US">Minerals</langstring></title>
    </objective>
  </objectives>
  <block id="https://courses.example.edu/geology/blocks/materials">
    <title><langstring lang="en-US">Geologic materials</langstring></title>
    <description><langstring lang="en-US">Rock and unconsolidated material</langstring></description>
    <objectives>
      <objective idref="https://objectives.example.com/geology/basics"/>
    </objectives>
    <au id="https://courses.example.edu/geology/aus/rocks" moveOn="CompletedOrPassed" masteryScore="0.8"
        launchMethod="OwnWindow" activityType="http://adlnet.gov/expapi/activities/lesson">
      <title><langstring lang="en-US">Rock cycle</langstring></title>
      <description><langstring lang="en-US">How rocks form</langstring></description>
      <objectives>
        <objective idref="https://objectives.example.com/geology/minerals"/>
      </objectives>
      <url>rocks/index.html?unit=1</url>
      <launchParameters>
        Start=1,QuizMode=1
      </launchParameters>
      <entitlementKey>xyz-123-9999</entitlementKey>
    </au>
    <block id="https://courses.example.edu/geology/blocks/minerals">
      <title><langstring lang="en-US">Minerals</langstring></title>
      <description><langstring lang="en-US">Mineral identification</langstring></description>
      <au id="https://courses.example.edu/geology/aus/minerals-quiz" moveOn="Passed" masteryScore="0.75">
        <title><langstring lang="en-US">Mineral quiz</langstring></title>
        <description><langstring lang="en-US">Quiz</langstring></description>
        <url>https://content.example.com/minerals/quiz.html</url>
      </au>
    </block>
  </block>
  <au id="https://courses.example.edu/geology/aus/wrap-up">
    <title><langstring>Wrap-up</langstring></title>
    <description><langstring lang="en-US">Summary</langstring></description>
    <url>wrap%20up/index.html</url>
  </au>
</courseStructure>`;

const FILES = new Set(['cmi5.xml', 'rocks/index.html', 'wrap up/index.html']);

/** `null` stands for a standalone course structure XML, uploaded without a zip. */
const parse = (xml: string, archiveFiles: Set<string> | null = FILES) =>
  parseCmi5Course(Buffer.from(xml), archiveFiles ? { file: 'cmi5.xml', archiveFiles } : { file: 'cmi5.xml' });

const errorText = (xml: string, files?: Set<string>) =>
  parse(xml, files)
    .report.errors.map((e) => `${e.line}: ${e.message}`)
    .join('\n');

test('a cmi5 course with blocks parses into the model with a clean report', (t) => {
  const r = parse(COURSE);
  t.deepEqual(r.report, { errors: [], warnings: [] });
  const m = r.model!;
  t.is(m.standard, 'cmi5');
  t.deepEqual(m.course, {
    id: 'https://courses.example.edu/geology',
    title: [
      { lang: 'en-US', value: 'Geology' },
      { lang: 'de-DE', value: 'Geologie' },
    ],
    description: [{ lang: 'en-US', value: 'The study of the solid Earth.' }],
  });
  t.deepEqual(
    m.objectives.map((o) => [o.id, o.title[0]?.value]),
    [
      ['https://objectives.example.com/geology/basics', 'Basics'],
      ['https://objectives.example.com/geology/minerals', 'Minerals'],
    ],
  );
  const [materials, wrapUp] = m.children;
  t.is(materials?.type, 'block');
  if (materials?.type !== 'block') return;
  t.deepEqual(materials.objectives, ['https://objectives.example.com/geology/basics']);
  t.deepEqual(
    materials.children.map((c) => c.type),
    ['au', 'block'],
  );
  t.deepEqual(materials.children[0], {
    type: 'au',
    id: 'https://courses.example.edu/geology/aus/rocks',
    title: [{ lang: 'en-US', value: 'Rock cycle' }],
    description: [{ lang: 'en-US', value: 'How rocks form' }],
    objectives: ['https://objectives.example.com/geology/minerals'],
    url: 'rocks/index.html?unit=1',
    urlIsAbsolute: false,
    launchMethod: 'OwnWindow',
    moveOn: 'CompletedOrPassed',
    masteryScore: 0.8,
    launchParameters: 'Start=1,QuizMode=1',
    entitlementKey: 'xyz-123-9999',
    activityType: 'http://adlnet.gov/expapi/activities/lesson',
  });
  t.like(wrapUp, {
    type: 'au',
    launchMethod: 'AnyWindow',
    moveOn: 'NotApplicable',
    title: [{ value: 'Wrap-up' }],
    url: 'wrap%20up/index.html',
  });
  t.deepEqual(
    listAus(m.children).map((a) => [a.moveOn, a.urlIsAbsolute]),
    [
      ['CompletedOrPassed', false],
      ['Passed', true],
      ['NotApplicable', false],
    ],
  );
  t.deepEqual(JSON.parse(JSON.stringify(m)), m);
});

test('the namespace is required, and a root other than courseStructure is refused', (t) => {
  const noNs = parse(COURSE.replace(`xmlns="${NS}"`, ''));
  t.is(noNs.model, null);
  t.regex(noNs.report.errors[0]?.message ?? '', /cmi5 §14 requires <courseStructure> in the namespace/);
  t.regex(noNs.report.errors[0]?.fix ?? '', /xmlns="https:\/\/w3id\.org/);
  const oldNs = parse(COURSE.replace(`xmlns="${NS}"`, 'xmlns="http://aicc.org/CMI5/CourseStructure.xsd"'));
  t.regex(oldNs.report.errors[0]?.message ?? '', /in namespace "http:\/\/aicc\.org/);
  t.is(parse('<manifest/>').model, null);
});

test('prefixes do not matter: the cmi5 namespace under a prefix parses the same', (t) => {
  const prefixed = COURSE.replace(`xmlns="${NS}"`, `xmlns:c="${NS}"`).replace(
    /<(\/?)(courseStructure|course|title|description|langstring|objectives|objective|block|au|url|launchParameters|entitlementKey)\b/g,
    '<$1c:$2',
  );
  const r = parse(prefixed);
  t.deepEqual(r.report, { errors: [], warnings: [] });
  t.is(listAus(r.model!.children).length, 3);
});

test('required attributes and elements are errors with their line', (t) => {
  t.regex(
    errorText(COURSE.replace('<course id="https://courses.example.edu/geology">', '<course>')),
    /^3: <course> has no id attribute/m,
  );
  t.regex(
    errorText(COURSE.replace('<url>https://content.example.com/minerals/quiz.html</url>', '')),
    /^47: The children of <au> do not match CourseStructure\.xsd: found <title>, <description>/m,
  );
  t.regex(
    errorText(COURSE.replace(/<description><langstring lang="en-US">Quiz<\/langstring><\/description>/, '')),
    /children of <au>/,
  );
  t.regex(
    errorText(COURSE.replace('<url>rocks/index.html?unit=1</url>', '<url> </url>')),
    /has an empty <url>/,
  );
});

test('element order follows the XSD sequence', (t) => {
  const swapped = COURSE.replace(
    '<url>rocks/index.html?unit=1</url>',
    '<entitlementKey>early</entitlementKey>\n      <url>rocks/index.html?unit=1</url>',
  );
  const text = errorText(swapped);
  t.regex(
    text,
    /children of <au> do not match CourseStructure\.xsd: found <title>, <description>, <objectives>, <entitlementKey>, <url>/,
  );
});

test('enumerations and masteryScore range are checked', (t) => {
  t.regex(
    errorText(COURSE.replace('moveOn="Passed"', 'moveOn="passed"')),
    /moveOn on <au> is "passed", which is not one of the allowed values/,
  );
  t.regex(
    errorText(COURSE.replace('launchMethod="OwnWindow"', 'launchMethod="NewWindow"')),
    /launchMethod on <au> is "NewWindow"/,
  );
  t.regex(
    errorText(COURSE.replace('masteryScore="0.75"', 'masteryScore="75"')),
    /masteryScore on <au> is "75"; it must be a decimal from 0 to 1/,
  );
  t.regex(errorText(COURSE.replace('masteryScore="0.75"', 'masteryScore="1e-1"')), /masteryScore/);
  const precise = parse(COURSE.replace('masteryScore="0.75"', 'masteryScore="0.12345"'));
  t.deepEqual(precise.report.errors, []);
  t.regex(precise.report.warnings[0]?.message ?? '', /more than 4 decimal places/);
});

test('ids must be fully qualified IRIs and unique within the course structure', (t) => {
  t.regex(
    errorText(COURSE.replace('id="https://courses.example.edu/geology/aus/rocks"', 'id="rocks"')),
    /The au id "rocks" is not a fully qualified IRI/,
  );
  t.regex(
    errorText(
      COURSE.replace(
        'id="https://courses.example.edu/geology/aus/wrap-up"',
        'id="https://courses.example.edu/geology/aus/rocks"',
      ),
    ),
    /id "https:\/\/courses\.example\.edu\/geology\/aus\/rocks" of this au is already used by the au at line 31/,
  );
  t.regex(
    errorText(
      COURSE.replace(
        'id="https://courses.example.edu/geology/blocks/minerals"',
        'id="https://objectives.example.com/geology/minerals"',
      ),
    ),
    /already used by the objective at line 20/,
  );
});

test('objective references must name a declared objective', (t) => {
  t.regex(
    errorText(
      COURSE.replace(
        'idref="https://objectives.example.com/geology/basics"',
        'idref="https://objectives.example.com/geology/basic"',
      ),
    ),
    /^29: The objective reference "https:\/\/objectives\.example\.com\/geology\/basic" names no objective/m,
  );
});

test('at least one AU is required', (t) => {
  const xml = `<courseStructure xmlns="${NS}">
  <course id="https://example.com/c"><title><langstring>C</langstring></title><description><langstring>D</langstring></description></course>
  <block id="https://example.com/b"><title><langstring>B</langstring></title><description><langstring>D</langstring></description></block>
</courseStructure>`;
  const text = errorText(xml);
  t.regex(text, /has no AU, so there is nothing to launch/);
  t.regex(text, /children of <block> do not match/);
});

test('unknown attributes and unqualified elements are refused; foreign-namespace extensions are allowed', (t) => {
  t.regex(
    errorText(COURSE.replace('moveOn="Passed"', 'moveon="Passed"')),
    /attribute moveon, which CourseStructure\.xsd does not allow/,
  );
  const fix = parse(COURSE.replace('moveOn="Passed"', 'moveon="Passed"')).report.errors[0]?.fix;
  t.is(fix, 'Spell it moveOn (attribute names are case-sensitive).');
  t.regex(
    errorText(COURSE.replace('<ext:catalogue code="GEO-101"/>', '<catalogue xmlns="" code="GEO-101"/>')),
    /<catalogue> is in no namespace/,
  );
  t.regex(
    errorText(COURSE.replace('<ext:catalogue code="GEO-101"/>', '<prerequisites/>')),
    /children of <course> do not match/,
  );
});

test('a relative url missing from the zip is a warning; without a zip a relative url is an error', (t) => {
  const missing = parse(COURSE, new Set(['cmi5.xml', 'Rocks/index.html', 'wrap up/index.html']));
  t.deepEqual(missing.report.errors, []);
  t.like(missing.report.warnings[0], { file: 'cmi5.xml', line: 38 });
  t.regex(
    missing.report.warnings[0]?.message ?? '',
    /launches "rocks\/index\.html", which is not in the zip/,
  );
  t.regex(missing.report.warnings[0]?.fix ?? '', /The zip has "Rocks\/index\.html"/);

  const standalone = parse(COURSE, null);
  t.regex(
    standalone.report.errors.map((e) => e.message).join('\n'),
    /relative url "rocks\/index\.html\?unit=1", but this course structure came without a zip/,
  );
});

test('langstring lang must look like a language tag (warning)', (t) => {
  const r = parse(COURSE.replace('lang="de-DE"', 'lang="German (Germany)"'));
  t.deepEqual(r.report.errors, []);
  t.regex(r.report.warnings[0]?.message ?? '', /is not a language tag/);
});

test('XXE in cmi5.xml is refused like in a manifest', (t) => {
  const r = parse(
    `<?xml version="1.0"?>\n<!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<courseStructure xmlns="${NS}">&x;</courseStructure>`,
  );
  t.is(r.model, null);
  t.like(r.report.errors[0], { file: 'cmi5.xml', line: 2 });
});
