import { buildZip, type ZipFileSpec } from './zip-builder.ts';

/*
 * Real, minimal course packages built in code, so tests never depend on ../shared. Each SCO page is a
 * working SCORM page: it finds the API in a parent window and calls it.
 */

const SCO_12 = (
  title: string,
) => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>
<body><h1>${title}</h1><script>
function findAPI(w){for(var i=0;w&&i<10;i++){if(w.API)return w.API;if(w===w.parent)break;w=w.parent;}return null;}
var api=findAPI(window.parent||window);
if(api){api.LMSInitialize('');api.LMSSetValue('cmi.core.lesson_status','completed');api.LMSCommit('');}
</script></body></html>`;

const SCO_2004 = (
  title: string,
) => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>
<body><h1>${title}</h1><script>
function findAPI(w){for(var i=0;w&&i<10;i++){if(w.API_1484_11)return w.API_1484_11;if(w===w.parent)break;w=w.parent;}return null;}
var api=findAPI(window.parent||window);
if(api){api.Initialize('');api.SetValue('cmi.completion_status','completed');api.Commit('');}
</script></body></html>`;

const MANIFEST_NAMESPACES = {
  '1.2': `xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>`,
  '2004': `xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3" xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>`,
};

/** A SCORM 1.2 or 2004 (4th ed.) manifest with one organization, "org"; `items` and `resources` are XML. */
export function manifestXml(m: {
  identifier: string;
  version: '1.2' | '2004';
  title: string;
  items: string;
  resources: string;
}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="${m.identifier}" version="1"
  ${MANIFEST_NAMESPACES[m.version]}
  <organizations default="org">
    <organization identifier="org"><title>${m.title}</title>
      ${m.items}
    </organization>
  </organizations>
  <resources>
    ${m.resources}
  </resources>
</manifest>`;
}

/** A SCO's resource, with its one file. */
export function scoResource(id: string, href: string, version: '1.2' | '2004'): string {
  const scormType = version === '2004' ? 'adlcp:scormType' : 'adlcp:scormtype';
  return `<resource identifier="${id}" type="webcontent" ${scormType}="sco" href="${href}"><file href="${href}"/></resource>`;
}

export function scorm12Manifest(scos: string[], title = 'Workplace Safety'): string {
  const items = scos
    .map(
      (s, i) =>
        `<item identifier="item_${i}" identifierref="res_${i}"><title>${s}</title><adlcp:masteryscore>80</adlcp:masteryscore></item>`,
    )
    .join('\n      ');
  const resources = scos.map((_, i) => scoResource(`res_${i}`, `sco${i}/index.html`, '1.2')).join('\n    ');
  return manifestXml({ identifier: 'com.example.course12', version: '1.2', title, items, resources });
}

export function scorm2004Manifest(scos: string[], title = 'Compliance 2004'): string {
  const items = scos
    .map((s, i) => `<item identifier="item_${i}" identifierref="res_${i}"><title>${s}</title></item>`)
    .join('\n      ');
  const resources = scos.map((_, i) => scoResource(`res_${i}`, `sco${i}/index.html`, '2004')).join('\n    ');
  const sequencing = '<imsss:sequencing><imsss:controlMode choice="false" flow="true"/></imsss:sequencing>';
  return manifestXml({
    identifier: 'com.example.course2004',
    version: '2004',
    title,
    items: `${items}\n      ${sequencing}`,
    resources,
  });
}

export function cmi5Course(aus: string[], title = 'cmi5 Course'): string {
  const auXml = aus
    .map(
      (
        a,
        i,
      ) => `<au id="https://example.com/course/au/${i}" moveOn="CompletedOrPassed" masteryScore="0.8" launchMethod="AnyWindow">
      <title><langstring lang="en-US">${a}</langstring></title>
      <description><langstring lang="en-US">${a}</langstring></description>
      <url>au${i}/index.html</url>
    </au>`,
    )
    .join('\n    ');
  return `<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.com/course">
    <title><langstring lang="en-US">${title}</langstring></title>
    <description><langstring lang="en-US">${title}</langstring></description>
  </course>
  ${auXml}
</courseStructure>`;
}

export async function scorm12Package(
  scos = ['Introduction', 'Fire safety'],
  title?: string,
): Promise<Buffer> {
  const files: ZipFileSpec[] = [{ path: 'imsmanifest.xml', data: scorm12Manifest(scos, title) }];
  for (const [i, s] of scos.entries()) files.push({ path: `sco${i}/index.html`, data: SCO_12(s) });
  return buildZip(files);
}

export async function scorm2004Package(scos = ['Lesson 1', 'Lesson 2'], title?: string): Promise<Buffer> {
  const files: ZipFileSpec[] = [{ path: 'imsmanifest.xml', data: scorm2004Manifest(scos, title) }];
  for (const [i, s] of scos.entries()) files.push({ path: `sco${i}/index.html`, data: SCO_2004(s) });
  return buildZip(files);
}

export async function cmi5Package(aus = ['Module 1'], title?: string): Promise<Buffer> {
  const files: ZipFileSpec[] = [{ path: 'cmi5.xml', data: cmi5Course(aus, title) }];
  for (const [i, a] of aus.entries())
    files.push({ path: `au${i}/index.html`, data: `<!doctype html><title>${a}</title><h1>${a}</h1>` });
  return buildZip(files);
}
