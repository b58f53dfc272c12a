/**
 * Package hrefs: resolving them against xml:base (IMS CP 1.1.4, which allows xml:base on manifest,
 * resources and resource), and applying an item's parameters to make the launch URL.
 */

const ROOT_ORIGIN = 'http://package.invalid';
const ROOT_PATH = '/__package_root__/';
const ROOT = ROOT_ORIGIN + ROOT_PATH;

export type ResolvedHref =
  /** A file in the package: `path` is the decoded archive path, `href` the URL to launch (encoded, with query). */
  | { kind: 'package'; path: string; href: string }
  /** An absolute URL outside the package. */
  | { kind: 'external'; href: string }
  /** A relative href whose `..` segments climb above the package root. */
  | { kind: 'outside'; href: string };

/**
 * `bases` are the xml:base values from the outermost element inward; each resolves against the one before.
 * A base without a trailing slash is taken as a folder, as authoring tools mean it (and as most LMSs treat it),
 * rather than RFC 3986's "replace the last segment", which would silently drop the folder name.
 */
export function resolveHref(bases: readonly string[], href: string): ResolvedHref {
  let base = ROOT;
  for (const raw of bases) {
    const b = raw.trim();
    if (b === '') continue;
    base = new URL(rootRelative(b.endsWith('/') ? b : `${b}/`), base).href;
  }
  let url: URL;
  try {
    url = new URL(rootRelative(href.trim()), base);
  } catch {
    return { kind: 'outside', href };
  }
  if (url.origin !== ROOT_ORIGIN) return { kind: 'external', href: url.href };
  if (!url.pathname.startsWith(ROOT_PATH)) return { kind: 'outside', href };
  const encodedPath = url.pathname.slice(ROOT_PATH.length);
  let path: string;
  try {
    path = decodeURIComponent(encodedPath);
  } catch {
    path = encodedPath;
  }
  return { kind: 'package', path, href: encodedPath + url.search + url.hash };
}

/** In a package, "/x" means the package root, not the web server's. ("//host/x" stays a network path.) */
function rootRelative(ref: string): string {
  return /^\/(?!\/)/.test(ref) ? ROOT + ref.replace(/^\/+/, '') : ref;
}

/**
 * The SCORM CAM rule for an item's parameters attribute: strip leading '?' and '&'; a fragment is ignored when
 * the href already has one; otherwise join with '&' when the href has a query and '?' when it has none.
 * Deviation: the query is inserted before an existing fragment instead of after it, because text appended after
 * '#' would only lengthen the fragment and never reach the content as a query.
 */
export function applyParameters(href: string, parameters: string | undefined): string {
  const p = (parameters ?? '').trim().replace(/^[?&]+/, '');
  if (p === '') return href;
  const hashAt = href.indexOf('#');
  if (p.startsWith('#')) return hashAt === -1 ? href + p : href;
  const [beforeHash, hash] = hashAt === -1 ? [href, ''] : [href.slice(0, hashAt), href.slice(hashAt)];
  // A parameters value may itself carry a fragment ("a=1#page2"); it only applies when the href has none.
  const pHashAt = p.indexOf('#');
  const [query, pHash] = pHashAt === -1 ? [p, ''] : [p.slice(0, pHashAt), p.slice(pHashAt)];
  const separator = /[?&]$/.test(beforeHash) ? '' : beforeHash.includes('?') ? '&' : '?';
  const joined = query === '' ? beforeHash : beforeHash + separator + query;
  return joined + (hash || pHash);
}
