import { checkArchiveReferences, normalizeArchivePath } from './archive-references.ts';
import { createAttributeReader } from './attribute-values.ts';
import {
  flattenItems,
  type Organization,
  type ScormCourseModel,
  type ScormVersion,
  type SubManifest,
} from './course-model.ts';
import { resolveHref } from './launch-url.ts';
import { claimId, type ManifestContext } from './manifest-context.ts';
import { ADLCP_NAMESPACES, CONTENT_PACKAGING_NAMESPACES, IMSSS, XML_NS } from './namespaces.ts';
import { checkPrerequisites, parseOrganizations } from './parse-organizations.ts';
import { parseResources, resolveDependencies } from './parse-resources.ts';
import { parseSequencing } from './parse-sequencing.ts';
import { inferScormVersion, readSchemaVersion } from './schema-version.ts';
import { createReportBuilder, type ReportBuilder, type ValidationReport } from './validation-report.ts';
import {
  attribute,
  childElements,
  firstChild,
  parseXmlDocument,
  textOf,
  type XmlElement,
} from './xml-document.ts';

export interface ParseScormManifestOptions {
  /** The manifest's archive path, for the report ("imsmanifest.xml"). */
  file: string;
  /** Every path in the archive, '/'-separated: to report missing and unreferenced files. */
  archiveFiles: ReadonlySet<string>;
}

export interface ParseScormManifestResult {
  /** Null only when the document cannot be read as an IMS manifest at all; the report then says why. */
  model: ScormCourseModel | null;
  report: ValidationReport;
}

/**
 * imsmanifest.xml (IMS CP 1.1.2 for SCORM 1.2, IMS CP 1.1.4 with the ADL and IMS SS extensions for SCORM 2004)
 * into the course model and a validation report. Pure: reads only its arguments.
 */
export function parseScormManifest(
  xml: Buffer | string,
  opts: ParseScormManifestOptions,
): ParseScormManifestResult {
  const report = createReportBuilder(opts.file);
  const parsed = parseXmlDocument(xml);
  for (const w of parsed.warnings) report.warning(w.line, w.message, w.fix);
  if (!parsed.ok) {
    report.error(parsed.error.line, parsed.error.message, parsed.error.fix);
    return { model: null, report: report.report };
  }
  const root = parsed.root;
  if (root.name !== 'manifest' || !CONTENT_PACKAGING_NAMESPACES.has(root.ns)) {
    report.error(
      root.line,
      `The root element is <${root.qname}>${root.ns ? ` in namespace ${root.ns}` : ''}, not an IMS Content Packaging <manifest>.`,
      'Make <manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"> (SCORM 2004) or xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" (SCORM 1.2) the root element.',
    );
    return { model: null, report: report.report };
  }
  if (root.ns === '') {
    report.warning(
      root.line,
      '<manifest> declares no IMS Content Packaging namespace.',
      'Add xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" (SCORM 1.2) or xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" (SCORM 2004) to <manifest>.',
    );
  }

  const { version, source } = detectVersion(root, report);
  const ctx: ManifestContext = {
    report,
    read: createAttributeReader(report),
    version,
    is2004: version !== '1.2',
    ids: new Map(),
    resources: new Map(),
    subManifestOrganizations: new Map(),
    collection: new Map(),
    fileReferences: [],
    dependencyRefs: [],
    untypedResourcesReported: new Set(),
  };

  const identifier = ctx.read.string(root, 'identifier') ?? '';
  if (identifier) claimId(ctx, identifier, root.line, 'manifest');
  else {
    report.warning(
      root.line,
      '<manifest> has no identifier.',
      'Add identifier="…", for example the course\'s reverse-domain name.',
    );
  }

  // Resources first, across every (sub)manifest: items anywhere may reference any of them.
  const rootBases = [attribute(root, 'base', XML_NS) ?? ''];
  const subManifestEls: { el: XmlElement; identifier: string }[] = [];
  const walkManifests = (el: XmlElement, id: string, bases: string[]) => {
    parseResources(el, id, bases, ctx);
    for (const sub of childElements(el, CONTENT_PACKAGING_NAMESPACES, 'manifest')) {
      const subId = ctx.read.string(sub, 'identifier');
      if (!subId) {
        report.error(
          sub.line,
          'A sub-manifest has no identifier.',
          'Add identifier="…" to the nested <manifest>.',
        );
        continue;
      }
      claimId(ctx, subId, sub.line, 'manifest');
      walkManifests(sub, subId, [...bases, attribute(sub, 'base', XML_NS) ?? '']);
      subManifestEls.push({ el: sub, identifier: subId });
    }
  };
  walkManifests(root, identifier, rootBases);
  resolveDependencies(ctx);
  if (subManifestEls.length > 0) {
    report.warning(
      subManifestEls[0]!.el.line,
      `The manifest nests ${subManifestEls.length} sub-manifest(s); SCORM 2004 does not require an LMS to support them.`,
      'Merge the sub-manifests into the main manifest when the authoring tool allows it.',
    );
  }

  if (ctx.is2004) readSequencingCollection(root, ctx);
  else if (firstChild(root, IMSSS, 'sequencingCollection')) {
    report.warning(
      undefined,
      'A SCORM 1.2 manifest has an imsss:sequencingCollection; SCORM 1.2 ignores it.',
      'Remove it, or declare the package as SCORM 2004.',
    );
  }

  // Deepest sub-manifests were pushed first, so a sub-manifest may reference one nested inside it.
  for (const { el, identifier: subId } of subManifestEls) {
    ctx.subManifestOrganizations.set(subId, parseOrganizations(el, ctx, false));
  }
  const { defaultOrganization, organizations } = parseOrganizations(root, ctx, true);
  if (!ctx.is2004) checkPrerequisites(organizations, ctx);

  checkLaunchable(root, organizations, ctx);
  collectMetadataLocations(root, ctx);
  checkArchiveReferences(ctx.fileReferences, opts.archiveFiles, normalizeArchivePath(opts.file), report);

  const defaultOrg = organizations.find((o) => o.identifier === defaultOrganization);
  const model: ScormCourseModel = {
    standard: 'scorm',
    version,
    versionSource: source,
    identifier,
    title: defaultOrg?.title ?? identifier,
    defaultOrganization,
    organizations,
    resources: [...ctx.resources.values()].map((r) => r.resource),
    subManifests: buildSubManifests(root, ctx),
    sequencingCollection: Object.fromEntries(
      [...ctx.collection.entries()].map(([id, p]) => [id, p.sequencing]),
    ),
  };
  return { model, report: report.report };
}

function detectVersion(
  root: XmlElement,
  report: ReportBuilder,
): { version: ScormVersion; source: 'schemaversion' | 'inferred' } {
  const metadata = firstChild(root, CONTENT_PACKAGING_NAMESPACES, 'metadata');
  const schemaVersionEl = metadata && firstChild(metadata, CONTENT_PACKAGING_NAMESPACES, 'schemaversion');
  const inferred = inferScormVersion(root);
  if (!schemaVersionEl) {
    report.warning(
      metadata?.line ?? root.line,
      `The manifest has no metadata/schemaversion; the package was read as SCORM ${label(inferred)} from the namespaces it uses.`,
      'Add <metadata><schema>ADL SCORM</schema><schemaversion>…</schemaversion></metadata> with "1.2", "CAM 1.3", "2004 3rd Edition" or "2004 4th Edition".',
    );
    return { version: inferred, source: 'inferred' };
  }
  const text = textOf(schemaVersionEl);
  const reading = readSchemaVersion(text);
  if (reading.kind === 'exact') return { version: reading.version, source: 'schemaversion' };
  if (reading.kind === 'lenient') {
    report.warning(
      schemaVersionEl.line,
      `schemaversion "${text}" is not a value SCORM defines; it was read as SCORM ${label(reading.version)}.`,
      'Write exactly "1.2", "CAM 1.3", "2004 3rd Edition" or "2004 4th Edition".',
    );
    return { version: reading.version, source: 'schemaversion' };
  }
  report.warning(
    schemaVersionEl.line,
    `Unknown schemaversion "${text}"; the package was read as SCORM ${label(inferred)} from the namespaces it uses.`,
    'Write exactly "1.2", "CAM 1.3", "2004 3rd Edition" or "2004 4th Edition".',
  );
  return { version: inferred, source: 'inferred' };
}

function label(v: ScormVersion): string {
  return v === '1.2' ? '1.2' : `2004 ${v.slice(5)} edition`;
}

function readSequencingCollection(root: XmlElement, ctx: ManifestContext): void {
  const collection = firstChild(root, IMSSS, 'sequencingCollection');
  if (!collection) return;
  for (const el of childElements(collection, IMSSS, 'sequencing')) {
    const parsed = parseSequencing(el, ctx.read, ctx.report);
    const id = parsed.sequencing.id;
    if (!id) {
      ctx.report.error(
        el.line,
        'An imsss:sequencing in the sequencingCollection has no ID.',
        'Add ID="…" so items can reference it with IDRef.',
      );
      continue;
    }
    if (parsed.sequencing.idRef) {
      ctx.report.error(
        el.line,
        `Collection sequencing "${id}" has an IDRef; collection entries cannot reference others.`,
        'Remove the IDRef.',
      );
    }
    claimId(ctx, id, el.line, 'sequencing collection entry');
    ctx.collection.set(id, parsed);
  }
}

/** SCORM CAM: an organization is what an LMS delivers; a package with none is a resource package. */
function checkLaunchable(
  root: XmlElement,
  organizations: readonly Organization[],
  ctx: ManifestContext,
): void {
  const launchable = organizations.some((o) => flattenItems(o.items).some((i) => i.launchUrl !== undefined));
  if (launchable) return;
  const orgsEl = firstChild(root, CONTENT_PACKAGING_NAMESPACES, 'organizations');
  if (!orgsEl) return; // already an error: no organizations element
  ctx.report.error(
    orgsEl.line,
    organizations.length === 0
      ? 'Nothing launchable (a resource package, CAM 1.3): <organizations> is empty, so there is no course to deliver even though resources are listed.'
      : 'Nothing launchable (a resource package, CAM 1.3): no item of any organization references a resource with an href.',
    'Add an <organization> whose <item identifierref="…"> references the SCO (or asset) to launch.',
  );
}

/** adlcp:location names a metadata file; it counts as a reference to that file. */
function collectMetadataLocations(root: XmlElement, ctx: ManifestContext): void {
  const walk = (el: XmlElement) => {
    if (ADLCP_NAMESPACES.has(el.ns) && el.name === 'location') {
      const resolved = resolveHref([], textOf(el));
      if (resolved.kind === 'package') {
        ctx.fileReferences.push({ path: resolved.path, line: el.line, what: 'adlcp:location metadata' });
      }
    }
    for (const c of el.children) walk(c);
  };
  walk(root);
}

function buildSubManifests(el: XmlElement, ctx: ManifestContext): SubManifest[] {
  return childElements(el, CONTENT_PACKAGING_NAMESPACES, 'manifest').flatMap((sub) => {
    const identifier = ctx.read.string(sub, 'identifier');
    if (!identifier) return [];
    const orgs = ctx.subManifestOrganizations.get(identifier);
    return [
      {
        identifier,
        organizations: orgs?.organizations ?? [],
        resourceIds: [...ctx.resources.values()]
          .filter((r) => r.resource.manifest === identifier)
          .map((r) => r.resource.identifier),
        subManifests: buildSubManifests(sub, ctx),
      },
    ];
  });
}
