import test from 'ava';
import { isAppError } from '../../core/errors.ts';
import { flattenItems, listScoItems, type ScormCourseModel } from './course-model.ts';
import { prerequisiteIdentifiers } from './prerequisites.ts';
import { parseScormManifest } from './scorm-manifest.ts';
import { refuseOnErrors, type ValidationReport } from './validation-report.ts';

const HEAD_12 = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.example.safety.12" version="1.3"
          xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
          xsi:schemaLocation="http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd
                              http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>1.2</schemaversion>
  </metadata>`;

const SINGLE_SCO = `${HEAD_12}
  <organizations default="org">
    <organization identifier="org">
      <title>Fire Safety Basics</title>
      <item identifier="item_1" identifierref="res_1">
        <title>Fire Safety Basics</title>
        <adlcp:masteryscore>80</adlcp:masteryscore>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res_1" type="webcontent" adlcp:scormtype="sco" href="index.html">
      <file href="index.html"/>
      <file href="scripts/scorm.js"/>
      <file href="images/extinguisher.png"/>
    </resource>
  </resources>
</manifest>`;

const SINGLE_FILES = new Set([
  'imsmanifest.xml',
  'index.html',
  'scripts/scorm.js',
  'images/extinguisher.png',
  'adlcp_rootv1p2.xsd',
]);

const MULTI_SCO = `${HEAD_12}
  <organizations default="safety_org">
    <organization identifier="safety_org">
      <title>Workplace Safety</title>
      <item identifier="intro" identifierref="intro_res">
        <title>Introduction</title>
      </item>
      <item identifier="module_fire" isvisible="true">
        <title>Fire</title>
        <item identifier="fire_lesson" identifierref="fire_res" parameters="?chapter=1">
          <title>Fire lesson</title>
          <adlcp:prerequisites type="aicc_script">intro</adlcp:prerequisites>
          <adlcp:maxtimeallowed>00:30:00</adlcp:maxtimeallowed>
          <adlcp:timelimitaction>exit,message</adlcp:timelimitaction>
          <adlcp:datafromlms>difficulty=2</adlcp:datafromlms>
        </item>
        <item identifier="fire_quiz" identifierref="quiz_res" parameters="topic=fire">
          <title>Fire quiz</title>
          <adlcp:prerequisites type="aicc_script">fire_lesson &amp; intro</adlcp:prerequisites>
          <adlcp:masteryscore>75</adlcp:masteryscore>
        </item>
      </item>
      <item identifier="final_exam" identifierref="quiz_res" parameters="topic=all" isvisible="false">
        <title>Final exam</title>
        <adlcp:prerequisites type="aicc_script">fire_quiz="passed" | 2*{intro,fire_lesson,fire_quiz}</adlcp:prerequisites>
        <adlcp:masteryscore>85.5</adlcp:masteryscore>
      </item>
      <item identifier="glossary_item" identifierref="glossary_res">
        <title>Glossary</title>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="intro_res" type="webcontent" adlcp:scormtype="sco" href="intro/index.html">
      <file href="intro/index.html"/>
      <dependency identifierref="common"/>
    </resource>
    <resource identifier="fire_res" type="webcontent" adlcp:scormtype="sco" href="fire/lesson.html?lang=en">
      <file href="fire/lesson.html"/>
      <file href="fire/flames.mp4"/>
      <dependency identifierref="common"/>
    </resource>
    <resource identifier="quiz_res" type="webcontent" adlcp:scormtype="sco" href="quiz/quiz.html">
      <file href="quiz/quiz.html"/>
      <dependency identifierref="common"/>
    </resource>
    <resource identifier="glossary_res" type="webcontent" adlcp:scormtype="asset" href="glossary.pdf">
      <file href="glossary.pdf"/>
    </resource>
    <resource identifier="common" type="webcontent" adlcp:scormtype="asset">
      <file href="shared/scorm-api.js"/>
      <file href="shared/style.css"/>
      <dependency identifierref="fonts"/>
    </resource>
    <resource identifier="fonts" type="webcontent" adlcp:scormtype="asset">
      <file href="shared/fonts/open-sans.woff2"/>
      <dependency identifierref="common"/>
    </resource>
  </resources>
</manifest>`;

const MULTI_FILES = new Set([
  'imsmanifest.xml',
  'intro/index.html',
  'fire/lesson.html',
  'fire/flames.mp4',
  'quiz/quiz.html',
  'glossary.pdf',
  'shared/scorm-api.js',
  'shared/style.css',
  'shared/fonts/open-sans.woff2',
  'imscp_rootv1p1p2.xsd',
  'common/anyElement.xsd',
  'shared/',
  '__MACOSX/._index.html',
]);

function parse(xml: string, files: Iterable<string> = []) {
  return parseScormManifest(Buffer.from(xml), { file: 'imsmanifest.xml', archiveFiles: new Set(files) });
}

function mustModel(r: { model: ScormCourseModel | null }): ScormCourseModel {
  if (!r.model) throw new Error('no model');
  return r.model;
}

const messages = (issues: ValidationReport['errors']) => issues.map((i) => i.message);

test('SCORM 1.2 single SCO: version, title, launch and masteryscore, with a clean report', (t) => {
  const r = parse(SINGLE_SCO, SINGLE_FILES);
  t.deepEqual(r.report, { errors: [], warnings: [] });
  const m = mustModel(r);
  t.is(m.standard, 'scorm');
  t.is(m.version, '1.2');
  t.is(m.versionSource, 'schemaversion');
  t.is(m.identifier, 'com.example.safety.12');
  t.is(m.title, 'Fire Safety Basics');
  t.is(m.defaultOrganization, 'org');
  const [item] = m.organizations[0]!.items;
  t.like(item, {
    identifier: 'item_1',
    identifierref: 'res_1',
    isvisible: true,
    href: 'index.html',
    launchUrl: 'index.html',
    scormType: 'sco',
    masteryScore: 80,
  });
  t.is(listScoItems(m).length, 1);
  t.deepEqual(m.resources[0]?.requiredFiles, ['index.html', 'scripts/scorm.js', 'images/extinguisher.png']);
  // Plain JSON: survives a round trip through JSON unchanged (it is stored as jsonb).
  t.deepEqual(JSON.parse(JSON.stringify(m)), m);
});

test('SCORM 1.2 multi-SCO: tree, prerequisites, masteryscore, time limits, parameters, dependencies', (t) => {
  const r = parse(MULTI_SCO, MULTI_FILES);
  t.deepEqual(r.report.errors, []);
  t.deepEqual(r.report.warnings, []);
  const m = mustModel(r);
  const org = m.organizations[0]!;
  t.deepEqual(
    org.items.map((i) => i.identifier),
    ['intro', 'module_fire', 'final_exam', 'glossary_item'],
  );
  const items = new Map(flattenItems(org.items).map((i) => [i.identifier, i]));
  t.is(items.get('module_fire')?.launchUrl, undefined);
  t.is(items.get('module_fire')?.children.length, 2);
  t.like(items.get('fire_lesson'), {
    parameters: '?chapter=1',
    href: 'fire/lesson.html?lang=en',
    launchUrl: 'fire/lesson.html?lang=en&chapter=1',
    prerequisites: { type: 'aicc_script', expression: 'intro' },
    maxTimeAllowed: '00:30:00',
    timeLimitAction: 'exit,message',
    dataFromLms: 'difficulty=2',
  });
  t.like(items.get('fire_quiz'), {
    launchUrl: 'quiz/quiz.html?topic=fire',
    masteryScore: 75,
    prerequisites: { expression: 'fire_lesson & intro' },
  });
  t.like(items.get('final_exam'), {
    isvisible: false,
    masteryScore: 85.5,
    launchUrl: 'quiz/quiz.html?topic=all',
  });
  t.like(items.get('glossary_item'), { scormType: 'asset', launchUrl: 'glossary.pdf' });
  t.deepEqual(
    listScoItems(m).map((i) => i.identifier),
    ['intro', 'fire_lesson', 'fire_quiz', 'final_exam'],
  );

  const quiz = m.resources.find((res) => res.identifier === 'quiz_res')!;
  t.deepEqual(quiz.dependencies, ['common']);
  // Transitive, and the common ↔ fonts cycle terminates.
  t.deepEqual(quiz.requiredFiles, [
    'quiz/quiz.html',
    'shared/scorm-api.js',
    'shared/style.css',
    'shared/fonts/open-sans.woff2',
  ]);
  t.is(m.resources.find((res) => res.identifier === 'fire_res')?.requiredFiles[0], 'fire/lesson.html');
});

test('prerequisite expressions yield the item identifiers they name', (t) => {
  t.deepEqual(prerequisiteIdentifiers('intro'), ['intro']);
  t.deepEqual(prerequisiteIdentifiers('fire_lesson & ~intro | (a.b-c)'), ['fire_lesson', 'intro', 'a.b-c']);
  t.deepEqual(prerequisiteIdentifiers('quiz="passed" | 2*{x,y,z}'), ['quiz', 'x', 'y', 'z']);
  t.deepEqual(prerequisiteIdentifiers('quiz <> failed & lesson = not attempted'), ['quiz', 'lesson']);
});

test('a prerequisite naming no item is a warning', (t) => {
  const xml = MULTI_SCO.replace('fire_lesson &amp; intro', 'fire_lessons &amp; intro');
  const r = parse(xml, MULTI_FILES);
  t.deepEqual(r.report.errors, []);
  const w = r.report.warnings.find((i) => i.message.includes('"fire_lessons"'));
  t.truthy(w);
  t.is(w?.line, 27);
});

test('a file the manifest lists that is missing from the archive is a warning with the listing line', (t) => {
  const files = new Set(MULTI_FILES);
  files.delete('fire/flames.mp4');
  files.delete('quiz/quiz.html');
  files.add('quiz/Quiz.html');
  const r = parse(MULTI_SCO, files);
  t.deepEqual(r.report.errors, []);
  const flames = r.report.warnings.find((w) => w.message.includes('fire/flames.mp4'));
  t.like(flames, { file: 'imsmanifest.xml', line: 50 });
  t.regex(flames?.fix ?? '', /Add the file/);
  const quiz = r.report.warnings.filter((w) => w.message.includes('"quiz/quiz.html"'));
  t.is(quiz.length, 1, 'one warning per missing path, not one per reference');
  t.regex(quiz[0]?.fix ?? '', /The archive has "quiz\/Quiz\.html"/);
});

test('files in the archive that no resource lists are warnings (schemas, folders and OS litter excepted)', (t) => {
  const r = parse(MULTI_SCO, [...MULTI_FILES, 'fire/old-draft.html', 'Thumbs.db', 'fire/.DS_Store']);
  t.deepEqual(r.report.errors, []);
  t.deepEqual(r.report.warnings, [
    {
      file: 'fire/old-draft.html',
      message: '"fire/old-draft.html" is in the archive but no resource in imsmanifest.xml lists it.',
      fix: 'List it as a <file> of the resource that uses it, or remove it from the package.',
    },
  ]);
});

test('many unreferenced files are summed up after the first twenty', (t) => {
  const extra = Array.from({ length: 30 }, (_, i) => `media/clip${String(i).padStart(2, '0')}.mp4`);
  const r = parse(SINGLE_SCO, [...SINGLE_FILES, ...extra]);
  t.is(r.report.warnings.length, 21);
  t.regex(r.report.warnings[20]?.message ?? '', /^10 more files/);
});

test('identifierref to a missing resource is an error with the item line', (t) => {
  const r = parse(SINGLE_SCO.replace('identifierref="res_1"', 'identifierref="res_one"'), SINGLE_FILES);
  t.is(r.report.errors.length, 2);
  t.like(r.report.errors[0], { file: 'imsmanifest.xml', line: 15 });
  t.regex(r.report.errors[0]?.message ?? '', /identifierref "res_one", but no resource has that identifier/);
  t.regex(r.report.errors[1]?.message ?? '', /^Nothing launchable/);
});

test('a dependency on a missing resource is an error', (t) => {
  const r = parse(
    MULTI_SCO.replace('<dependency identifierref="fonts"/>', '<dependency identifierref="font"/>'),
    MULTI_FILES,
  );
  t.deepEqual(messages(r.report.errors), [
    'Resource "common" depends on "font", which is not a resource in the manifest.',
  ]);
  t.is(r.report.errors[0]?.line, 63);
});

test('a SCO without href is an error', (t) => {
  const r = parse(SINGLE_SCO.replace(' href="index.html">', '>'), SINGLE_FILES);
  t.true(messages(r.report.errors).includes('Resource "res_1" is a SCO but has no href.'));
  t.is(r.report.errors[0]?.line, 22);
});

test('an item referencing an asset without href is an error', (t) => {
  const xml = SINGLE_SCO.replace('adlcp:scormtype="sco" href="index.html"', 'adlcp:scormtype="asset"');
  const r = parse(xml, SINGLE_FILES);
  t.regex(messages(r.report.errors).join('\n'), /references resource "res_1", which has no href/);
});

test('duplicate identifiers are errors naming both places', (t) => {
  const xml = MULTI_SCO.replace('<item identifier="glossary_item"', '<item identifier="intro"');
  const r = parse(xml, MULTI_FILES);
  t.deepEqual(messages(r.report.errors), [
    'The identifier "intro" of this item is already used by the item at line 15.',
  ]);
  const clash = parse(
    SINGLE_SCO.replace('<resource identifier="res_1"', '<resource identifier="org"'),
    SINGLE_FILES,
  );
  t.regex(
    messages(clash.report.errors)[0] ?? '',
    /"org" of this organization is already used by the resource at line 22/,
  );
});

test('empty organizations: nothing launchable (a resource package, CAM 1.3)', (t) => {
  const xml = SINGLE_SCO.replace(/<organizations default="org">[\s\S]*<\/organizations>/, '<organizations/>');
  const r = parse(xml, SINGLE_FILES);
  t.is(r.report.errors.length, 1);
  t.like(r.report.errors[0], { file: 'imsmanifest.xml', line: 12 });
  t.regex(r.report.errors[0]?.message ?? '', /Nothing launchable \(a resource package, CAM 1\.3\)/);
});

test('an organization without items is an error; missing organizations and resources elements are errors', (t) => {
  const noItems = SINGLE_SCO.replace(/<item identifier="item_1"[\s\S]*?<\/item>/, '');
  const r = parse(noItems, SINGLE_FILES);
  t.regex(messages(r.report.errors)[0] ?? '', /Organization "org" has no items/);
  t.regex(messages(r.report.errors)[1] ?? '', /^Nothing launchable/);

  const bare = parse(`${HEAD_12}\n</manifest>`);
  t.deepEqual(
    bare.report.errors.map((e) => e.message.slice(0, 40)),
    ['The manifest has no <resources> element ', 'The manifest has no <organizations> elem'],
  );
});

test('malformed XML is an error with the parser line, and no model', (t) => {
  const r = parse(
    SINGLE_SCO.replace('</title>\n        <adlcp:masteryscore>', '</titel>\n        <adlcp:masteryscore>'),
  );
  t.is(r.model, null);
  t.is(r.report.errors.length, 1);
  t.like(r.report.errors[0], { file: 'imsmanifest.xml', line: 16 });
});

test('a root element other than manifest is refused', (t) => {
  const r = parse('<?xml version="1.0"?>\n<course><title>x</title></course>');
  t.is(r.model, null);
  t.regex(
    r.report.errors[0]?.message ?? '',
    /root element is <course>, not an IMS Content Packaging <manifest>/,
  );
});

test('unknown or missing schemaversion is a warning and the version is inferred from namespaces', (t) => {
  const unknown = parse(
    SINGLE_SCO.replace('<schemaversion>1.2</schemaversion>', '<schemaversion>v7</schemaversion>'),
    SINGLE_FILES,
  );
  t.deepEqual(unknown.report.errors, []);
  t.regex(
    unknown.report.warnings[0]?.message ?? '',
    /Unknown schemaversion "v7"; the package was read as SCORM 1\.2/,
  );
  t.like(unknown.model, { version: '1.2', versionSource: 'inferred' });

  const missing = parse(SINGLE_SCO.replace(/<metadata>[\s\S]*<\/metadata>/, ''), SINGLE_FILES);
  t.regex(missing.report.warnings[0]?.message ?? '', /no metadata\/schemaversion/);
  t.is(missing.model?.version, '1.2');

  const lenient = parse(
    SINGLE_SCO.replace('<schemaversion>1.2</schemaversion>', '<schemaversion>SCORM 1.2</schemaversion>'),
    SINGLE_FILES,
  );
  t.regex(lenient.report.warnings[0]?.message ?? '', /not a value SCORM defines; it was read as SCORM 1\.2/);
  t.like(lenient.model, { version: '1.2', versionSource: 'schemaversion' });
});

test('1.2 extras out of range are warnings and are dropped', (t) => {
  const xml = MULTI_SCO.replace(
    '<adlcp:masteryscore>75</adlcp:masteryscore>',
    '<adlcp:masteryscore>0.75x</adlcp:masteryscore>',
  )
    .replace('00:30:00', 'PT30M')
    .replace('exit,message', 'exit, message');
  const r = parse(xml, MULTI_FILES);
  t.deepEqual(r.report.errors, []);
  t.is(r.report.warnings.length, 3);
  const items = new Map(flattenItems(r.model!.organizations[0]!.items).map((i) => [i.identifier, i]));
  t.is(items.get('fire_quiz')?.masteryScore, undefined);
  t.is(items.get('fire_lesson')?.maxTimeAllowed, undefined);
  t.is(items.get('fire_lesson')?.timeLimitAction, undefined);
});

test('a resource without scormtype is read as an asset, with a warning', (t) => {
  const r = parse(SINGLE_SCO.replace(' adlcp:scormtype="sco"', ''), SINGLE_FILES);
  t.deepEqual(r.report.errors, []);
  t.regex(r.report.warnings[0]?.message ?? '', /no adlcp:scormtype; it is launched as an asset/);
  t.is(r.model?.organizations[0]?.items[0]?.scormType, 'asset');
  t.is(listScoItems(r.model!).length, 0);
});

test('xml:base on manifest, resources and resource resolves hrefs and file paths', (t) => {
  const xml = `${HEAD_12.replace('identifier="com.example.safety.12"', 'identifier="b" xml:base="course/"')}
  <organizations default="o">
    <organization identifier="o"><title>Based</title>
      <item identifier="i1" identifierref="r1" parameters="a=1"><title>One</title></item>
      <item identifier="i2" identifierref="r2"><title>Two</title></item>
      <item identifier="i3" identifierref="r3"><title>Three</title></item>
    </organization>
  </organizations>
  <resources xml:base="content/">
    <resource identifier="r1" type="webcontent" adlcp:scormtype="sco" xml:base="unit%201/" href="start here.html">
      <file href="start here.html"/>
      <file href="media/a.png"/>
    </resource>
    <resource identifier="r2" type="webcontent" adlcp:scormtype="sco" href="two.html">
      <file href="two.html"/>
    </resource>
    <resource identifier="r3" type="webcontent" adlcp:scormtype="asset" xml:base="https://cdn.example.com/lib/" href="viewer.html"/>
  </resources>
</manifest>`;
  const files = [
    'imsmanifest.xml',
    'course/content/unit 1/start here.html',
    'course/content/unit 1/media/a.png',
    'course/content/two.html',
  ];
  const r = parse(xml, files);
  t.deepEqual(r.report, { errors: [], warnings: [] });
  const [i1, i2, i3] = r.model!.organizations[0]!.items;
  t.is(i1?.href, 'course/content/unit%201/start%20here.html');
  t.is(i1?.launchUrl, 'course/content/unit%201/start%20here.html?a=1');
  t.deepEqual(r.model!.resources[0]?.files, [
    'course/content/unit 1/start here.html',
    'course/content/unit 1/media/a.png',
  ]);
  t.is(i2?.launchUrl, 'course/content/two.html');
  t.is(i3?.launchUrl, 'https://cdn.example.com/lib/viewer.html');
});

test('namespaces decide, not prefixes: an unusual-prefix 1.2 manifest parses the same', (t) => {
  const xml = `<?xml version="1.0"?>
<cp:manifest identifier="p" xmlns:cp="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:scorm="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <cp:metadata><cp:schema>ADL SCORM</cp:schema><cp:schemaversion>1.2</cp:schemaversion></cp:metadata>
  <cp:organizations default="o">
    <cp:organization identifier="o"><cp:title>Prefixed</cp:title>
      <cp:item identifier="i" identifierref="r"><cp:title>Only</cp:title><scorm:masteryscore>70</scorm:masteryscore></cp:item>
    </cp:organization>
  </cp:organizations>
  <cp:resources>
    <cp:resource identifier="r" type="webcontent" scorm:scormtype="sco" href="a.html"><cp:file href="a.html"/></cp:resource>
  </cp:resources>
</cp:manifest>`;
  const r = parse(xml, ['a.html']);
  t.deepEqual(r.report, { errors: [], warnings: [] });
  t.like(r.model?.organizations[0]?.items[0], { masteryScore: 70, scormType: 'sco', launchUrl: 'a.html' });

  // The right local names in the wrong namespace are not SCORM elements.
  const wrong = parse(xml.replace('http://www.adlnet.org/xsd/adlcp_rootv1p2', 'urn:not-adl'), ['a.html']);
  t.is(wrong.model?.organizations[0]?.items[0]?.masteryScore, undefined);
  t.is(wrong.model?.organizations[0]?.items[0]?.scormType, 'asset');
});

test('a manifest in the imsglobal spelling of the 1.2 namespace, or with none, still parses', (t) => {
  const alt = parse(
    SINGLE_SCO.replace(
      'http://www.imsproject.org/xsd/imscp_rootv1p1p2"',
      'http://www.imsglobal.org/xsd/imscp_rootv1p1p2"',
    ),
    SINGLE_FILES,
  );
  t.deepEqual(alt.report.errors, []);
  t.is(listScoItems(alt.model!).length, 1);
  const none = parse(
    SINGLE_SCO.replace('xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"', ''),
    SINGLE_FILES,
  );
  t.deepEqual(none.report.errors, []);
  t.regex(none.report.warnings[0]?.message ?? '', /declares no IMS Content Packaging namespace/);
  t.is(listScoItems(none.model!).length, 1);
});

test('CRLF line endings keep line numbers right', (t) => {
  const r = parse(
    SINGLE_SCO.replace('identifierref="res_1"', 'identifierref="nope"').replace(/\n/g, '\r\n'),
    SINGLE_FILES,
  );
  t.is(r.report.errors[0]?.line, 15);
});

test('sub-manifests: their resources resolve, and an item referencing one gets its default organization', (t) => {
  const xml = `${HEAD_12}
  <organizations default="o">
    <organization identifier="o"><title>Parent</title>
      <item identifier="i_main" identifierref="r_main"><title>Main</title></item>
      <item identifier="i_sub" identifierref="sub_m"><title>Imported unit</title></item>
      <item identifier="i_direct" identifierref="r_sub"><title>Direct</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="r_main" type="webcontent" adlcp:scormtype="sco" href="main.html"><file href="main.html"/></resource>
  </resources>
  <manifest identifier="sub_m" xml:base="unit2/">
    <organizations default="sub_o">
      <organization identifier="sub_o"><title>Unit 2</title>
        <item identifier="i_sub_1" identifierref="r_sub"><title>Unit 2 page</title></item>
      </organization>
    </organizations>
    <resources>
      <resource identifier="r_sub" type="webcontent" adlcp:scormtype="sco" href="page.html"><file href="page.html"/></resource>
    </resources>
  </manifest>
</manifest>`;
  const r = parse(xml, ['main.html', 'unit2/page.html']);
  t.deepEqual(r.report.errors, []);
  t.true(r.report.warnings.some((w) => /sub-manifest/.test(w.message)));
  const m = r.model!;
  const [, sub, direct] = m.organizations[0]!.items;
  t.is(sub?.children[0]?.identifier, 'i_sub_1');
  t.is(sub?.children[0]?.launchUrl, 'unit2/page.html');
  t.is(direct?.launchUrl, 'unit2/page.html');
  t.deepEqual(m.subManifests, [
    {
      identifier: 'sub_m',
      organizations: [m.subManifests[0]!.organizations[0]!],
      resourceIds: ['r_sub'],
      subManifests: [],
    },
  ]);
  t.is(m.resources.find((res) => res.identifier === 'r_sub')?.manifest, 'sub_m');
});

test('refuseOnErrors throws VALIDATION_FAILED carrying the whole report, and passes a clean one', (t) => {
  t.notThrows(() => refuseOnErrors(parse(SINGLE_SCO, SINGLE_FILES).report));
  const bad = parse(SINGLE_SCO.replace('identifierref="res_1"', 'identifierref="nope"'), SINGLE_FILES).report;
  const err = t.throws(() => refuseOnErrors(bad));
  t.true(isAppError(err));
  if (!isAppError(err)) return;
  t.is(err.code, 'VALIDATION_FAILED');
  t.regex(
    err.message,
    /^The package was refused: imsmanifest\.xml:15: Item "item_1" has identifierref "nope".* \(and 1 more\)$/,
  );
  t.is((err.details.errors as unknown[]).length, 2);
  t.is(err.details.rule, 'invalid-course-structure');
});
