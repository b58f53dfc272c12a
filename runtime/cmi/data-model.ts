import type { TypeCheck } from './data-types.ts';

/**
 * rw: the SCO reads and writes it; ro: the LMS's value, never taken from the browser; wo: the SCO writes
 * it and the LMS keeps it (session_time, exit, SCORM 1.2 interactions).
 */
export type Access = 'rw' | 'ro' | 'wo';

export interface ElementRule {
  access: Access;
  check: TypeCheck;
  /** The spec section the rule comes from, quoted in every error. */
  spec: string;
}

/** Rule builders for one version's table, each citing `spec(element)`. */
export function elementRules(spec: (element: string) => string) {
  return {
    rw: (check: TypeCheck, element: string): ElementRule => ({ access: 'rw', check, spec: spec(element) }),
    ro: (element: string): ElementRule => ({ access: 'ro', check: () => undefined, spec: spec(element) }),
    wo: (check: TypeCheck, element: string): ElementRule => ({ access: 'wo', check, spec: spec(element) }),
  };
}

export interface ArrayRule {
  /** The most entries the runtime stores: the spec's smallest permitted maximum (SPM) where it names one. */
  max: number;
  spec: string;
}

/** A CMI tree as JSON: nested objects, collections as {"0": …, "1": …} (scorm-again's toJSON) or arrays. */
export type CmiTree = { [key: string]: CmiNode };
export type CmiNode = string | CmiTree;

export interface Violation {
  /** The dotted element, with its indexes: cmi.interactions.3.learner_response. */
  element: string;
  /** What the value must be, and where the spec says so. */
  rule: string;
}

export interface DataModel {
  version: 'scorm12' | 'scorm2004';
  label: string;
  /** The data model's chapter, cited for rules about the tree itself (unknown elements, shapes). */
  spec: string;
  /** Leaf elements by path below `cmi.`, each collection index written as `n`. */
  elements: Readonly<Record<string, ElementRule>>;
  /** Collections by path below `cmi.` (e.g. `interactions`, `interactions.n.objectives`). */
  arrays: Readonly<Record<string, ArrayRule>>;
  /** Rules that span elements (a response's format depends on the interaction's type). */
  crossChecks(cmi: CmiTree): Violation | undefined;
}
