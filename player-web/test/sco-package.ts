import { manifestXml, scoResource } from '../../test/packages.ts';
import { buildZip, type ZipFileSpec } from '../../test/zip-builder.ts';

/*
 * Course packages for the player tests, built in code: SCO pages that find the API in a parent window the
 * way real content does (SCORM 1.2 RTE §3.3.6.1 / 2004 RTE §3.1.2.1), initialize on load, run the item's
 * script, and terminate on pagehide like most authoring tools. Tests reach into a SCO through
 * `window.scoApi` in its frame.
 */

export interface ScoSpec {
  id: string;
  title: string;
  /** JavaScript run after Initialize, with `api`, `v2004`, `set(el, v)`, `get(el)`, `commit()`, `finish()`. */
  script?: string;
  /** SCORM 1.2 adlcp:prerequisites (AICC script). */
  prerequisites?: string;
  masteryScore?: number;
  /** Raw <imsss:sequencing> child XML for this item (SCORM 2004). */
  sequencing?: string;
  /** Raw XML inside the <item> after its title (e.g. adlnav:presentation). */
  itemXml?: string;
  /** A cluster: no resource of its own. */
  children?: ScoSpec[];
}

export interface PackageSpec {
  version: '1.2' | '2004';
  title: string;
  items: ScoSpec[];
  /** Raw children of the organization's <imsss:sequencing> (SCORM 2004). */
  orgSequencing?: string;
}

/** The smallest course: one SCO, `only`. */
export function oneSco(version: PackageSpec['version'], title: string, itemTitle = 'Only SCO'): PackageSpec {
  return { version, title, items: [{ id: 'only', title: itemTitle }] };
}

/** SCORM 2004 items in flow order under an organization that allows Choice and Flow; "one" is titled "One". */
export function choiceFlow(title: string, items: (string | ScoSpec)[]): PackageSpec {
  return {
    version: '2004',
    title,
    items: items.map((i) => (typeof i === 'string' ? { id: i, title: i[0]!.toUpperCase() + i.slice(1) } : i)),
    orgSequencing: '<imsss:controlMode choice="true" flow="true"/>',
  };
}

function scoPage(spec: ScoSpec, v2004: boolean): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${spec.title}</title></head>
<body><h1>${spec.title}</h1><p id="out"></p><script>
var v2004 = ${v2004};
function findAPI(w){for(var i=0;w&&i<10;i++){var a=v2004?w.API_1484_11:w.API;if(a)return a;if(w===w.parent)break;w=w.parent;}return null;}
var api = findAPI(window.parent);
window.scoApi = api; window.scoId = ${JSON.stringify(spec.id)}; window.finished = false;
function set(e,v){return v2004?api.SetValue(e,v):api.LMSSetValue(e,v);}
function get(e){return v2004?api.GetValue(e):api.LMSGetValue(e);}
function commit(){return v2004?api.Commit(''):api.LMSCommit('');}
function finish(){if(window.finished)return 'true';window.finished=true;return v2004?api.Terminate(''):api.LMSFinish('');}
window.set=set; window.get=get; window.commit=commit; window.finish=finish;
window.initResult = v2004?api.Initialize(''):api.LMSInitialize('');
window.entry = get(v2004?'cmi.entry':'cmi.core.entry');
document.getElementById('out').textContent = 'ready ' + window.entry;
window.addEventListener('pagehide', function(){ finish(); });
${spec.script ?? ''}
</script></body></html>`;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function itemXml(s: ScoSpec, v2004: boolean, indent: string): string {
  const kids = s.children?.map((c) => itemXml(c, v2004, `${indent}  `)).join('\n') ?? '';
  const ref = s.children ? '' : ` identifierref="res_${s.id}"`;
  const extra12 = v2004
    ? ''
    : `${s.prerequisites ? `<adlcp:prerequisites type="aicc_script">${xml(s.prerequisites)}</adlcp:prerequisites>` : ''}${
        s.masteryScore !== undefined ? `<adlcp:masteryscore>${s.masteryScore}</adlcp:masteryscore>` : ''
      }`;
  const seq = v2004 && s.sequencing ? `<imsss:sequencing>${s.sequencing}</imsss:sequencing>` : '';
  return `${indent}<item identifier="${s.id}"${ref}><title>${s.title}</title>${extra12}${s.itemXml ?? ''}\n${kids}${seq}</item>`;
}

function leaves(items: ScoSpec[]): ScoSpec[] {
  return items.flatMap((i) => (i.children ? leaves(i.children) : [i]));
}

export function manifest(spec: PackageSpec): string {
  const v2004 = spec.version === '2004';
  const items = spec.items.map((i) => itemXml(i, v2004, '      ')).join('\n');
  const orgSeq =
    v2004 && spec.orgSequencing ? `\n      <imsss:sequencing>${spec.orgSequencing}</imsss:sequencing>` : '';
  const resources = leaves(spec.items)
    .map((s) => scoResource(`res_${s.id}`, `${s.id}/index.html`, spec.version))
    .join('\n    ');
  return manifestXml({
    identifier: 'com.example.player',
    version: spec.version,
    title: spec.title,
    items: `${items.trimStart()}${orgSeq}`,
    resources,
  });
}

/** The package's files, path → content. */
export function packageFiles(spec: PackageSpec): Map<string, Buffer> {
  const files = new Map<string, Buffer>([['imsmanifest.xml', Buffer.from(manifest(spec))]]);
  for (const s of leaves(spec.items))
    files.set(`${s.id}/index.html`, Buffer.from(scoPage(s, spec.version === '2004')));
  return files;
}

export async function packageZip(spec: PackageSpec): Promise<Buffer> {
  const entries: ZipFileSpec[] = [...packageFiles(spec)].map(([path, data]) => ({ path, data }));
  return buildZip(entries);
}
