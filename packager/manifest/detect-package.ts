import { AppError } from '../../core/errors.ts';
import { normalizeArchivePath } from './archive-references.ts';
import type { ScormVersion } from './course-model.ts';
import { CONTENT_PACKAGING_NAMESPACES } from './namespaces.ts';
import { inferScormVersion, readSchemaVersion } from './schema-version.ts';
import { firstChild, parseXmlDocument, textOf } from './xml-document.ts';

export type PackageKind = 'scorm12' | 'scorm2004';

export type DetectedPackage =
  | {
      kind: PackageKind;
      /** Archive path of the manifest to parse (the root imsmanifest.xml, as the archive spells it). */
      manifest: string;
      /** The version read from schemaversion (or inferred); absent when the manifest could not be read. */
      version?: ScormVersion;
    }
  | { kind: 'cmi5'; manifest: string };

/** Reads one archive entry; may be async (stream-unzip) or sync (tests). */
export type ReadArchiveFile = (path: string) => Buffer | Promise<Buffer>;

// AICC CMI001: the course structure files of an AICC course (the .cst/.des/.au/.crs set, plus the optional
// .ort/.pre/.cmp files).
const AICC_EXTENSIONS = /\.(crs|au|des|cst|ort|pre|cmp)$/i;

/**
 * Which standard a package follows, from its archive listing (and, to tell SCORM 1.2 from 2004, the manifest's
 * schemaversion). Throws VALIDATION_FAILED with `details.rule` (as packager/archive does) for the refusals:
 * no-manifest, manifest-not-at-root, aicc-not-supported. (Proposal for core/errors.ts: a PACKAGE_REFUSED code,
 * 422, would let clients tell a refused package from a malformed request; VALIDATION_FAILED is used until then.)
 */
export async function detectPackage(
  entries: readonly string[],
  readFile?: ReadArchiveFile,
): Promise<DetectedPackage> {
  const paths = entries
    .map(normalizeArchivePath)
    .filter((p) => p !== '' && !p.toLowerCase().startsWith('__macosx/'));
  const files = paths.filter((p) => !p.endsWith('/'));
  const atRoot = (name: string) => files.find((p) => !p.includes('/') && p.toLowerCase() === name);

  // cmi5 §14.1: "it MUST contain the course structure XML file at its root directory". A package carrying both
  // cmi5.xml and imsmanifest.xml is taken as cmi5, the richer of the two for tracking.
  const cmi5 = atRoot('cmi5.xml');
  if (cmi5) return { kind: 'cmi5', manifest: cmi5 };

  const manifest = atRoot('imsmanifest.xml');
  if (manifest) {
    if (!readFile) return { kind: kindFromSchemaFiles(files), manifest };
    const version = versionOf(await readFile(manifest));
    if (!version) return { kind: kindFromSchemaFiles(files), manifest };
    return { kind: version === '1.2' ? 'scorm12' : 'scorm2004', manifest, version };
  }

  const nested = files
    .filter((p) => /(^|\/)(imsmanifest|cmi5)\.xml$/i.test(p))
    .sort((a, b) => depth(a) - depth(b));
  const first = nested[0];
  if (first) {
    const name = first.slice(first.lastIndexOf('/') + 1);
    const folder = first.slice(0, first.lastIndexOf('/') + 1);
    throw new AppError(
      'VALIDATION_FAILED',
      `${name} was found at ${first}, but it must be at the root of the zip. Zip the contents of ${folder} (not the folder itself) so that ${name} is at the top level.`,
      { rule: 'manifest-not-at-root', found: nested },
    );
  }

  const aicc = files.filter((p) => AICC_EXTENSIONS.test(p));
  if (aicc.length > 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      `AICC packages are not supported; export the course as SCORM 1.2/2004 or cmi5. (Found AICC course files: ${aicc.slice(0, 5).join(', ')}.)`,
      { rule: 'aicc-not-supported', found: aicc },
    );
  }

  throw new AppError(
    'VALIDATION_FAILED',
    'The package has no imsmanifest.xml (SCORM) and no cmi5.xml (cmi5) at the root of the zip. Export the course as SCORM or cmi5 from the authoring tool and upload the zip it produces.',
    { rule: 'no-manifest' },
  );
}

const depth = (p: string) => p.split('/').length;

function versionOf(xml: Buffer): ScormVersion | undefined {
  const parsed = parseXmlDocument(xml);
  if (!parsed.ok) return undefined;
  const root = parsed.root;
  const metadata = firstChild(root, CONTENT_PACKAGING_NAMESPACES, 'metadata');
  const schemaVersion = metadata && firstChild(metadata, CONTENT_PACKAGING_NAMESPACES, 'schemaversion');
  if (schemaVersion) {
    const reading = readSchemaVersion(textOf(schemaVersion));
    if (reading.kind !== 'unknown') return reading.version;
  }
  return inferScormVersion(root);
}

/**
 * Without the manifest's bytes (or when they don't parse; parseScormManifest reports why), the ADL schema files
 * that packages conventionally ship decide; SCORM 1.2 is the fallback, being what such bare packages usually are.
 */
function kindFromSchemaFiles(files: readonly string[]): PackageKind {
  const names = new Set(files.map((f) => f.slice(f.lastIndexOf('/') + 1).toLowerCase()));
  if (names.has('adlcp_v1p3.xsd') || names.has('imsss_v1p0.xsd') || names.has('imscp_v1p1.xsd'))
    return 'scorm2004';
  return 'scorm12';
}
