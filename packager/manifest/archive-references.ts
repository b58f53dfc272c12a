import type { FileReference } from './manifest-context.ts';
import type { ReportBuilder } from './validation-report.ts';

/** Past this many, unreferenced files are summed up in one warning rather than listed one by one. */
const MAX_UNREFERENCED_LISTED = 20;

/** Archive paths as the packager sees them: '/'-separated, no leading "./" or "/". */
export function normalizeArchivePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/|\/)+/, '');
}

/** Files no manifest ever lists but that belong in a package: schemas, OS litter, the manifest itself. */
export function isPackagingFile(path: string, manifestFile: string): boolean {
  const lower = path.toLowerCase();
  const base = lower.slice(lower.lastIndexOf('/') + 1);
  return (
    path.endsWith('/') ||
    path === manifestFile ||
    /\.(xsd|dtd)$/.test(lower) ||
    lower.startsWith('__macosx/') ||
    base === '.ds_store' ||
    base === 'thumbs.db' ||
    base === 'desktop.ini'
  );
}

/**
 * Missing files are warnings: the import goes on, and a page that is really needed fails visibly at launch.
 * Unreferenced files are warnings too: IMS CP does not oblige a manifest to list every file, but an unlisted
 * file is often a typo away from a listed one.
 */
export function checkArchiveReferences(
  references: readonly FileReference[],
  archiveFiles: ReadonlySet<string>,
  manifestFile: string,
  report: ReportBuilder,
): void {
  const present = new Set([...archiveFiles].map(normalizeArchivePath));
  const byLowerCase = new Map<string, string>();
  for (const p of present) byLowerCase.set(p.toLowerCase(), p);

  const reported = new Set<string>();
  for (const ref of references) {
    if (present.has(ref.path) || reported.has(ref.path)) continue;
    reported.add(ref.path);
    const otherCase = byLowerCase.get(ref.path.toLowerCase());
    report.warning(
      ref.line,
      `"${ref.path}" (${ref.what}) is not in the archive.`,
      otherCase
        ? `The archive has "${otherCase}"; file names are case-sensitive on the web server, so make the manifest and the file agree.`
        : 'Add the file to the package, or remove the reference from the manifest.',
    );
  }

  const referenced = new Set(references.map((r) => r.path));
  const unreferenced = [...present]
    .filter((p) => !referenced.has(p) && !isPackagingFile(p, manifestFile))
    .sort();
  for (const path of unreferenced.slice(0, MAX_UNREFERENCED_LISTED)) {
    report.add('warning', {
      file: path,
      message: `"${path}" is in the archive but no resource in ${manifestFile} lists it.`,
      fix: 'List it as a <file> of the resource that uses it, or remove it from the package.',
    });
  }
  if (unreferenced.length > MAX_UNREFERENCED_LISTED) {
    report.add('warning', {
      file: manifestFile,
      message: `${unreferenced.length - MAX_UNREFERENCED_LISTED} more files in the archive are listed by no resource.`,
      fix: 'List them as <file> elements of the resources that use them, or remove them from the package.',
    });
  }
}
