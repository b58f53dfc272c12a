import type { Resource, ScormType } from './course-model.ts';
import { resolveHref } from './launch-url.ts';
import { claimId, type ManifestContext } from './manifest-context.ts';
import { ADLCP_NAMESPACES, CONTENT_PACKAGING_NAMESPACES, XML_NS } from './namespaces.ts';
import { attribute, childElements, firstChild, type XmlElement } from './xml-document.ts';

/**
 * resources/resource elements of one (sub)manifest. `bases` holds the xml:base values of the enclosing
 * manifests, outermost first. Returns the identifiers of the resources parsed.
 */
export function parseResources(
  manifest: XmlElement,
  manifestId: string,
  bases: readonly string[],
  ctx: ManifestContext,
): string[] {
  const { report, read } = ctx;
  const resourcesEl = firstChild(manifest, CONTENT_PACKAGING_NAMESPACES, 'resources');
  if (!resourcesEl) {
    report.error(
      manifest.line,
      'The manifest has no <resources> element (IMS CP requires one, even if empty).',
      'Add a <resources> element listing the package content.',
    );
    return [];
  }
  const resourcesBases = [...bases, attribute(resourcesEl, 'base', XML_NS) ?? ''];
  const ids: string[] = [];
  for (const el of childElements(resourcesEl, CONTENT_PACKAGING_NAMESPACES, 'resource')) {
    const identifier = read.string(el, 'identifier');
    if (!identifier) {
      report.error(el.line, 'A <resource> has no identifier.', 'Add identifier="…", unique in the manifest.');
      continue;
    }
    claimId(ctx, identifier, el.line, 'resource');
    if (ctx.resources.has(identifier)) continue;

    const type = read.string(el, 'type');
    if (!type) {
      report.warning(el.line, `Resource "${identifier}" has no type attribute.`, 'Add type="webcontent".');
    }
    const scormType = readScormType(el, identifier, ctx);
    const resourceBases = [...resourcesBases, attribute(el, 'base', XML_NS) ?? ''];

    const resource: Resource = {
      identifier,
      type: type ?? 'webcontent',
      scormType,
      files: [],
      dependencies: [],
      requiredFiles: [],
      manifest: manifestId,
    };

    const hrefAttr = read.string(el, 'href');
    if (hrefAttr) {
      const resolved = resolveHref(resourceBases, hrefAttr);
      if (resolved.kind === 'outside') {
        report.error(
          el.line,
          `Resource "${identifier}" has href "${hrefAttr}", which points outside the package.`,
          'Make the href relative to the package root without climbing above it with "..".',
        );
      } else {
        resource.href = resolved.href;
        if (resolved.kind === 'package') {
          ctx.fileReferences.push({
            path: resolved.path,
            line: el.line,
            what: `resource "${identifier}" href`,
          });
        }
      }
    } else if (scormType === 'sco') {
      // SCORM CAM: a SCO is launched, so its resource must name the launch file.
      report.error(
        el.line,
        `Resource "${identifier}" is a SCO but has no href.`,
        'Add href="…" naming the SCO\'s launch page, relative to the package root.',
      );
    }

    const seenFiles = new Set<string>();
    for (const file of childElements(el, CONTENT_PACKAGING_NAMESPACES, 'file')) {
      const fileHref = read.string(file, 'href');
      if (!fileHref) {
        report.error(
          file.line,
          `A <file> of resource "${identifier}" has no href.`,
          'Add href="…" or remove the element.',
        );
        continue;
      }
      const resolved = resolveHref(resourceBases, fileHref);
      if (resolved.kind === 'outside') {
        report.warning(
          file.line,
          `File "${fileHref}" of resource "${identifier}" points outside the package.`,
          'Remove the entry, or put the file in the package and reference it without "..".',
        );
        continue;
      }
      if (resolved.kind === 'external') continue;
      if (seenFiles.has(resolved.path)) continue;
      seenFiles.add(resolved.path);
      resource.files.push(resolved.path);
      ctx.fileReferences.push({
        path: resolved.path,
        line: file.line,
        what: `a <file> of resource "${identifier}"`,
      });
    }

    for (const dep of childElements(el, CONTENT_PACKAGING_NAMESPACES, 'dependency')) {
      const ref = read.string(dep, 'identifierref');
      if (!ref) {
        report.error(
          dep.line,
          `A <dependency> of resource "${identifier}" has no identifierref.`,
          'Add identifierref="…" naming a resource.',
        );
        continue;
      }
      resource.dependencies.push(ref);
      ctx.dependencyRefs.push({ from: identifier, ref, line: dep.line });
    }

    ctx.resources.set(identifier, { resource, line: el.line });
    ids.push(identifier);
  }
  return ids;
}

function readScormType(el: XmlElement, identifier: string, ctx: ManifestContext): ScormType | null {
  const raw = attribute(el, ['scormType', 'scormtype', 'SCORMType'], ADLCP_NAMESPACES)?.trim();
  // A missing type is reported where an item launches the resource (parse-organizations.ts): on a resource
  // that is only a dependency it changes nothing.
  if (raw === undefined) return null;
  const lower = raw.toLowerCase();
  if (lower === 'sco' || lower === 'asset') {
    if (lower !== raw) {
      ctx.report.warning(el.line, `adlcp:scormType "${raw}" should be lower case.`, `Write "${lower}".`);
    }
    return lower;
  }
  ctx.report.error(
    el.line,
    `Resource "${identifier}" has adlcp:scormType "${raw}"; it must be "sco" or "asset".`,
    'Write "sco" for pages that call the SCORM API and "asset" for the rest.',
  );
  return null;
}

/**
 * Checks dependency targets and computes each resource's requiredFiles: its href, its files, and those of its
 * dependencies, transitively (cycles are cut, since IMS CP does not forbid them and they are harmless here).
 */
export function resolveDependencies(ctx: ManifestContext): void {
  for (const { from, ref, line } of ctx.dependencyRefs) {
    if (!ctx.resources.has(ref)) {
      ctx.report.error(
        line,
        `Resource "${from}" depends on "${ref}", which is not a resource in the manifest.`,
        `Add a resource with identifier="${ref}", or remove the dependency.`,
      );
    }
  }
  for (const { resource } of ctx.resources.values()) {
    const files = new Set<string>();
    const visited = new Set<string>();
    const visit = (r: Resource) => {
      if (visited.has(r.identifier)) return;
      visited.add(r.identifier);
      if (r.href && !/^[a-z][a-z0-9+.-]*:/i.test(r.href)) files.add(pathOfHref(r.href));
      for (const f of r.files) files.add(f);
      for (const d of r.dependencies) {
        const target = ctx.resources.get(d);
        if (target) visit(target.resource);
      }
    };
    visit(resource);
    resource.requiredFiles = [...files];
  }
}

/** The archive path of a package-relative launch href (drops query and fragment, decodes). */
export function pathOfHref(href: string): string {
  const bare = href.replace(/[?#].*$/, '');
  try {
    return decodeURIComponent(bare);
  } catch {
    return bare;
  }
}
