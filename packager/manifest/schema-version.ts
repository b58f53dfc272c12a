import type { ScormVersion } from './course-model.ts';
import {
  ADLCP_1_2,
  ADLCP_2004,
  ADLNAV_2004,
  ADLSEQ_2004,
  IMSCP_1_1_2,
  IMSCP_1_1_2_ALT,
  IMSCP_1_1_4,
  IMSSS,
} from './namespaces.ts';
import type { XmlElement } from './xml-document.ts';

/**
 * The values each SCORM CAM book tells a manifest to write in metadata/schemaversion: "1.2" (SCORM 1.2),
 * "CAM 1.3" (2004 2nd edition), "2004 3rd Edition", "2004 4th Edition".
 */
const EXACT: Record<string, ScormVersion> = {
  '1.2': '1.2',
  'cam 1.3': '2004-2nd',
  '2004 3rd edition': '2004-3rd',
  '2004 4th edition': '2004-4th',
};

export type SchemaVersionReading =
  | { kind: 'exact'; version: ScormVersion }
  | { kind: 'lenient'; version: ScormVersion }
  | { kind: 'unknown' };

/** Reads a schemaversion value; near misses that tools really write ("1.3", "SCORM 2004 4th ed") are lenient. */
export function readSchemaVersion(value: string): SchemaVersionReading {
  const v = value.trim().toLowerCase().replace(/\s+/g, ' ');
  const exact = EXACT[v];
  if (exact) return { kind: 'exact', version: exact };
  if (/^(scorm )?1\.2(\.\d+)?$/.test(v)) return { kind: 'lenient', version: '1.2' };
  if (/^(scorm )?(cam )?1\.3$/.test(v) || /2004 2nd/.test(v)) return { kind: 'lenient', version: '2004-2nd' };
  if (/2004.*(3rd|third)/.test(v)) return { kind: 'lenient', version: '2004-3rd' };
  if (/2004.*(4th|fourth)/.test(v)) return { kind: 'lenient', version: '2004-4th' };
  return { kind: 'unknown' };
}

/**
 * Without a usable schemaversion, the namespaces decide: the 1.2 bindings mean 1.2; the 2004 ones mean 2004,
 * 4th edition when a 4th-edition-only construct appears, else 3rd (by far the most common 2004 edition).
 */
export function inferScormVersion(root: XmlElement): ScormVersion {
  const seen = new Set<string>();
  let fourthOnly = false;
  const walk = (el: XmlElement) => {
    seen.add(el.ns);
    for (const a of el.attributes) seen.add(a.ns);
    if (el.ns === ADLSEQ_2004 && el.name === 'objectives') fourthOnly = true;
    if (el.ns === ADLCP_2004 && el.name === 'data') fourthOnly = true;
    if (el.ns === ADLCP_2004 && el.name === 'completionThreshold' && el.attributes.length > 0)
      fourthOnly = true;
    if (el.attributes.some((a) => a.ns === ADLCP_2004 && a.name === 'sharedDataGlobalToSystem'))
      fourthOnly = true;
    for (const c of el.children) walk(c);
  };
  walk(root);
  const adl2004 = [ADLCP_2004, ADLSEQ_2004, ADLNAV_2004, IMSSS].some((ns) => seen.has(ns));
  const cp2004Only =
    seen.has(IMSCP_1_1_4) && ![IMSCP_1_1_2, IMSCP_1_1_2_ALT, ADLCP_1_2].some((ns) => seen.has(ns));
  if (adl2004 || cp2004Only) return fourthOnly ? '2004-4th' : '2004-3rd';
  return '1.2';
}
