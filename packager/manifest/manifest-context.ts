import type { AttributeReader } from './attribute-values.ts';
import type { Organization, Resource, ScormVersion } from './course-model.ts';
import type { ParsedSequencing } from './parse-sequencing.ts';
import type { ReportBuilder } from './validation-report.ts';

/** A place in the manifest that names a package file. */
export interface FileReference {
  /** Decoded archive path. */
  path: string;
  line: number;
  /** What names it, for the message: "resource r1 href". */
  what: string;
}

/** State shared by the passes over one imsmanifest.xml. */
export interface ManifestContext {
  report: ReportBuilder;
  read: AttributeReader;
  version: ScormVersion;
  is2004: boolean;
  /** Every xs:ID value seen (manifest, organization, item, resource, sequencing ID) → the line that declared it. */
  ids: Map<string, { line: number; what: string }>;
  resources: Map<string, { resource: Resource; line: number }>;
  /** Sub-manifests' organizations by manifest identifier, for items whose identifierref names a sub-manifest. */
  subManifestOrganizations: Map<
    string,
    { defaultOrganization: string | null; organizations: Organization[] }
  >;
  collection: Map<string, ParsedSequencing>;
  fileReferences: FileReference[];
  /** dependency elements, checked once every (sub)manifest's resources are known. */
  dependencyRefs: { from: string; ref: string; line: number }[];
  /** Resources without a SCORM type already warned about, so each is reported once. */
  untypedResourcesReported: Set<string>;
}

/** xs:ID values are unique across the whole document (IMS CP 1.1.4 binding; XML Schema ID type). */
export function claimId(ctx: ManifestContext, id: string, line: number, what: string): void {
  const earlier = ctx.ids.get(id);
  if (earlier) {
    ctx.report.error(
      line,
      `The identifier "${id}" of this ${what} is already used by the ${earlier.what} at line ${earlier.line}.`,
      'Give every manifest, organization, item and resource its own identifier.',
    );
    return;
  }
  ctx.ids.set(id, { line, what });
}
