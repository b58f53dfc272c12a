import test from 'ava';
import { parseScormManifest } from '../packager/manifest/scorm-manifest.ts';
import { manifestXml, scoResource, scorm12Manifest } from '../test/packages.ts';
import { courseInfo } from './course-info.ts';

function model(xml: string, files: string[]) {
  const { model, report } = parseScormManifest(Buffer.from(xml), {
    file: 'imsmanifest.xml',
    archiveFiles: new Set(files),
  });
  if (!model) throw new Error(JSON.stringify(report));
  return model;
}

const item = (i: number, sequencing = '') =>
  `<item identifier="item_${i}" identifierref="res_${i}"><title>SCO ${i}</title>${sequencing}</item>`;

/** Four SCOs: no Delivery Controls, both "set by content", untracked, and an element with no attributes. */
const manifest2004 = manifestXml({
  identifier: 'com.example.delivery',
  version: '2004',
  title: 'Delivery controls',
  items: [
    item(0),
    item(
      1,
      '<imsss:sequencing><imsss:deliveryControls completionSetByContent="true" objectiveSetByContent="true"/></imsss:sequencing>',
    ),
    item(2, '<imsss:sequencing><imsss:deliveryControls tracked="false"/></imsss:sequencing>'),
    item(3, '<imsss:sequencing><imsss:deliveryControls/></imsss:sequencing>'),
  ].join('\n'),
  resources: [0, 1, 2, 3].map((i) => scoResource(`res_${i}`, `sco${i}/index.html`, '2004')).join('\n'),
});
const files2004 = [0, 1, 2, 3].map((i) => `sco${i}/index.html`);

test('SCORM 2004 ScoInfo carries the Delivery Controls, with the SN §3.13 defaults when absent', (t) => {
  const info = courseInfo(model(manifest2004, files2004));
  const controls = (id: string) => {
    const s = info.scos.get(id)!;
    return {
      tracked: s.tracked,
      completionSetByContent: s.completionSetByContent,
      objectiveSetByContent: s.objectiveSetByContent,
    };
  };
  const defaults = { tracked: true, completionSetByContent: false, objectiveSetByContent: false };
  t.deepEqual(controls('item_0'), defaults, 'no imsss:sequencing at all');
  t.deepEqual(controls('item_1'), {
    tracked: true,
    completionSetByContent: true,
    objectiveSetByContent: true,
  });
  t.deepEqual(controls('item_2'), { ...defaults, tracked: false });
  t.deepEqual(controls('item_3'), defaults, 'an element with no attributes');
});

test('SN §3.13 Tracked: an untracked SCO is left out of the course rollup', (t) => {
  const info = courseInfo(model(manifest2004, files2004));
  t.deepEqual(info.rollupScoIds, ['item_0', 'item_1', 'item_3']);
});

test('SCORM 1.2 ScoInfo has no Delivery Controls; every SCO rolls up', (t) => {
  const info = courseInfo(model(scorm12Manifest(['A', 'B']), ['sco0/index.html', 'sco1/index.html']));
  const s = info.scos.get('item_0')!;
  t.is(s.tracked, undefined);
  t.is(s.completionSetByContent, undefined);
  t.is(s.objectiveSetByContent, undefined);
  t.deepEqual(info.rollupScoIds, ['item_0', 'item_1']);
});
