import type { CmiNode, CmiTree } from './data-model.ts';

/** The entries of a CMI collection ({"0": …} or an array), in index order; none when absent. */
export function entriesOf(node: CmiNode | undefined): [number, CmiNode][] {
  if (node === undefined || typeof node !== 'object') return [];
  return Object.keys(node)
    .map((k) => [Number(k), node[k]!] as [number, CmiNode])
    .sort((a, b) => a[0] - b[0]);
}

/** The string at a dotted path below `cmi.` ("" when unset). */
export function valueAt(cmi: CmiTree | undefined, path: string): string {
  let node: CmiNode | undefined = cmi;
  for (const part of path.split('.')) {
    if (node === undefined || typeof node !== 'object') return '';
    node = node[part];
  }
  return typeof node === 'string' ? node : '';
}

/** Sets a string at a dotted path, creating the objects on the way. */
export function setValue(cmi: CmiTree, path: string, value: string): void {
  const parts = path.split('.');
  let node = cmi;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === undefined || typeof next !== 'object') node[part] = {};
    node = node[part] as CmiTree;
  }
  node[parts.at(-1)!] = value;
}

/** A copy without the given top-level-or-nested paths (used to drop write-only elements at launch). */
export function without(cmi: CmiTree, paths: readonly string[]): CmiTree {
  const copy = structuredClone(cmi);
  for (const path of paths) {
    const parts = path.split('.');
    let node: CmiNode | undefined = copy;
    for (const part of parts.slice(0, -1)) node = typeof node === 'object' ? node[part] : undefined;
    if (node && typeof node === 'object') delete node[parts.at(-1)!];
  }
  return copy;
}
