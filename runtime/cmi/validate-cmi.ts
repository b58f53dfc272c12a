import { AppError } from '../../core/errors.ts';
import type { CmiNode, CmiTree, DataModel, Violation } from './data-model.ts';
import { scorm12 } from './scorm12.ts';
import { scorm2004 } from './scorm2004.ts';

export function dataModelFor(standard: 'scorm12' | 'scorm2004'): DataModel {
  return standard === 'scorm12' ? scorm12 : scorm2004;
}

class Invalid extends Error {
  constructor(readonly violation: Violation) {
    super(violation.rule);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/**
 * Checks a whole CMI tree from the browser against the data model and returns what the runtime stores: the
 * learner-writable (rw) and write-only (wo) elements that are set. Read-only elements are the runtime's own
 * (learner id and name, credit, entry, total time, launch data…): the player echoes them back, and whatever
 * it says is dropped rather than trusted, so a tampered student_id changes nothing. Anything that is not an
 * element of the data model, or a value that breaks its element's type, vocabulary, range or size limit,
 * throws CMI_INVALID naming the element and the rule; nothing is stored then.
 */
export function validateCmi(model: DataModel, input: unknown): CmiTree {
  let tree = input;
  // renderCommitCMI() wraps the tree as {cmi: {...}}; the bare tree is accepted too.
  if (isObject(tree) && Object.keys(tree).length === 1 && isObject(tree.cmi)) tree = tree.cmi;
  if (!isObject(tree) || Array.isArray(tree)) {
    throw invalid({ element: 'cmi', rule: `a JSON object of data model elements (${model.spec})` }, model);
  }
  try {
    const out = (walk(model, tree, 'cmi', '') as CmiTree | undefined) ?? {};
    const cross = model.crossChecks(out);
    if (cross) throw new Invalid(cross);
    return out;
  } catch (err) {
    if (err instanceof Invalid) throw invalid(err.violation, model);
    throw err;
  }
}

function invalid(v: Violation, model: DataModel): AppError {
  return new AppError('CMI_INVALID', `${v.element}: must be ${v.rule}.`, {
    element: v.element,
    rule: v.rule,
    version: model.label,
  });
}

const groupsOf = new WeakMap<DataModel, Set<string>>();

/** Whether `pattern` is a group of the model (a proper prefix of an element or collection, e.g. core.score). */
function isGroup(model: DataModel, pattern: string): boolean {
  let groups = groupsOf.get(model);
  if (!groups) {
    groups = new Set();
    for (const path of [...Object.keys(model.elements), ...Object.keys(model.arrays)]) {
      const parts = path.split('.');
      for (let i = 1; i < parts.length; i++) groups.add(parts.slice(0, i).join('.'));
    }
    groupsOf.set(model, groups);
  }
  return groups.has(pattern);
}

function walk(model: DataModel, node: unknown, path: string, pattern: string): CmiNode | undefined {
  const array = model.arrays[pattern];
  if (array) return walkArray(model, node, path, pattern, array.max, array.spec);
  const rule = pattern === '' ? undefined : model.elements[pattern];
  if (rule) {
    const value = leafValue(node, path, rule.spec);
    if (value === '' || rule.access === 'ro') return undefined;
    // A SCORM characterstring is any Unicode text (RTE §4.1.1), but PostgreSQL's text and jsonb cannot hold
    // U+0000; refused here with a reason, rather than failing the group's write.
    if (value.includes('\u0000')) throw new Invalid({ element: path, rule: 'text without U+0000 (NUL)' });
    const why = rule.check(value);
    if (why) throw new Invalid({ element: path, rule: `${why} (${rule.spec})` });
    return value;
  }
  if (pattern !== '' && !isGroup(model, pattern)) {
    throw new Invalid({
      element: path,
      rule: `an element of the ${model.label} data model (${model.spec}); it is not one`,
    });
  }
  if (!isObject(node) || Array.isArray(node)) {
    throw new Invalid({ element: path, rule: `an object of data model elements (${model.spec})` });
  }
  const out: CmiTree = {};
  for (const [key, child] of Object.entries(node)) {
    if (key.startsWith('_')) continue; // _version, _children, _count are keywords, not data (RTE: read-only)
    const childPattern = pattern === '' ? key : `${pattern}.${key}`;
    const value = walk(model, child, `${path}.${key}`, childPattern);
    if (value !== undefined) out[key] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function walkArray(
  model: DataModel,
  node: unknown,
  path: string,
  pattern: string,
  max: number,
  spec: string,
): CmiNode | undefined {
  if (node === null || node === undefined || node === '') return undefined;
  if (!isObject(node)) throw new Invalid({ element: path, rule: `a collection (${spec})` });
  const keys = Object.keys(node).filter((k) => !k.startsWith('_'));
  // Collections fill from 0 with no gaps: SetValue on index n needs n-1 to exist (RTE "Data Model Element
  // Implementation Requirements", error 351/"out of range" for a gap).
  keys.forEach((k, i) => {
    if (k !== String(i))
      throw new Invalid({ element: `${path}.${k}`, rule: `index ${i} next (no gaps) (${spec})` });
  });
  if (keys.length > max) {
    throw new Invalid({ element: path, rule: `at most ${max} entries, got ${keys.length} (${spec})` });
  }
  const out: CmiTree = {};
  for (const k of keys) {
    const entry = walk(model, (node as Record<string, unknown>)[k], `${path}.${k}`, `${pattern}.n`);
    out[k] = entry ?? {};
  }
  return keys.length > 0 ? out : undefined;
}

function leafValue(node: unknown, path: string, spec: string): string {
  if (node === null || node === undefined) return '';
  if (typeof node === 'string') return node;
  if (typeof node === 'number' && Number.isFinite(node)) return String(node);
  if (typeof node === 'boolean') return String(node);
  throw new Invalid({ element: path, rule: `a string value (${spec})` });
}
