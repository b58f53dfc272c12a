import test from 'ava';
import { isAppError } from '../../core/errors.ts';
import { detectPackage } from './detect-package.ts';

const manifest = (schemaversion: string, ns = 'http://www.imsglobal.org/xsd/imscp_v1p1') =>
  Buffer.from(`<?xml version="1.0"?>
<manifest identifier="m" xmlns="${ns}">
  <metadata><schema>ADL SCORM</schema><schemaversion>${schemaversion}</schemaversion></metadata>
  <organizations/><resources/>
</manifest>`);

const reader = (files: Record<string, Buffer>) => (path: string) => {
  const f = files[path];
  if (!f) throw new Error(`no ${path}`);
  return f;
};

async function refusal(entries: string[]) {
  const err = await detectPackage(entries).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAppError(err)) throw new Error('expected an AppError');
  return err;
}

test('SCORM 1.2 and each 2004 edition are told apart by schemaversion', async (t) => {
  const cases: [string, string, 'scorm12' | 'scorm2004', string][] = [
    ['1.2', 'http://www.imsproject.org/xsd/imscp_rootv1p1p2', 'scorm12', '1.2'],
    ['CAM 1.3', 'http://www.imsglobal.org/xsd/imscp_v1p1', 'scorm2004', '2004-2nd'],
    ['2004 3rd Edition', 'http://www.imsglobal.org/xsd/imscp_v1p1', 'scorm2004', '2004-3rd'],
    ['2004 4th Edition', 'http://www.imsglobal.org/xsd/imscp_v1p1', 'scorm2004', '2004-4th'],
  ];
  for (const [sv, ns, kind, version] of cases) {
    const found = await detectPackage(
      ['imsmanifest.xml', 'index.html'],
      reader({ 'imsmanifest.xml': manifest(sv, ns) }),
    );
    t.deepEqual(found, { kind, manifest: 'imsmanifest.xml', version });
  }
});

test('an async reader works, and without a reader the shipped schema files decide', async (t) => {
  const found = await detectPackage(['imsmanifest.xml'], async () => manifest('2004 4th Edition'));
  t.is(found.kind, 'scorm2004');
  t.deepEqual(await detectPackage(['imsmanifest.xml', 'adlcp_v1p3.xsd']), {
    kind: 'scorm2004',
    manifest: 'imsmanifest.xml',
  });
  t.deepEqual(await detectPackage(['imsmanifest.xml', 'adlcp_rootv1p2.xsd']), {
    kind: 'scorm12',
    manifest: 'imsmanifest.xml',
  });
});

test('a manifest that does not parse still detects (the parser reports why later)', async (t) => {
  const found = await detectPackage(['imsmanifest.xml'], () => Buffer.from('<?xml version="1.0"?>'));
  t.deepEqual(found, { kind: 'scorm12', manifest: 'imsmanifest.xml' });
});

test('cmi5.xml at the root is cmi5, and wins over an imsmanifest.xml beside it', async (t) => {
  t.deepEqual(await detectPackage(['cmi5.xml', 'au/index.html']), { kind: 'cmi5', manifest: 'cmi5.xml' });
  t.deepEqual(await detectPackage(['imsmanifest.xml', 'cmi5.xml']), { kind: 'cmi5', manifest: 'cmi5.xml' });
});

test('leading "./", directory entries and __MACOSX litter do not confuse detection', async (t) => {
  const found = await detectPackage(['./', './imsmanifest.xml', '__MACOSX/._imsmanifest.xml'], () =>
    manifest('1.2'),
  );
  t.is(found.manifest, 'imsmanifest.xml');
});

test('no manifest and no cmi5.xml is refused', async (t) => {
  const err = await refusal(['test.htm']);
  t.is(err.code, 'VALIDATION_FAILED');
  t.is(err.details.rule, 'no-manifest');
  t.regex(err.message, /no imsmanifest\.xml \(SCORM\) and no cmi5\.xml/);
});

test('a manifest only in a subfolder is refused, naming where it was found', async (t) => {
  const err = await refusal(['badscorm/', 'badscorm/imsmanifest.xml', 'badscorm/index.html']);
  t.is(err.details.rule, 'manifest-not-at-root');
  t.regex(err.message, /found at badscorm\/imsmanifest\.xml/);
  t.regex(err.message, /must be at the root/);
  const cmi5 = await refusal(['course/cmi5.xml']);
  t.regex(cmi5.message, /cmi5\.xml was found at course\/cmi5\.xml/);
});

test('an AICC-only package is refused as unsupported', async (t) => {
  const err = await refusal(['moodle.cst']);
  t.is(err.details.rule, 'aicc-not-supported');
  t.regex(err.message, /^AICC packages are not supported; export the course as SCORM 1\.2\/2004 or cmi5/);
  const full = await refusal(['course.crs', 'course.au', 'course.des', 'course.cst', 'index.html']);
  t.deepEqual(full.details.found, ['course.crs', 'course.au', 'course.des', 'course.cst']);
});

test('AICC files beside a SCORM manifest are ignored', async (t) => {
  const found = await detectPackage(['imsmanifest.xml', 'course.crs', 'course.au'], () => manifest('1.2'));
  t.is(found.kind, 'scorm12');
});
