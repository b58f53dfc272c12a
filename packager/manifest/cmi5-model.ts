/** The cmi5 course structure (cmi5 §13.1), as plain JSON for jsonb and the cmi5 launch code. */

export interface LangString {
  /** xs:language; absent when the langstring has no lang attribute. */
  lang?: string;
  value: string;
}

export type MoveOn = 'Passed' | 'Completed' | 'CompletedAndPassed' | 'CompletedOrPassed' | 'NotApplicable';
export type LaunchMethod = 'AnyWindow' | 'OwnWindow';

export interface Cmi5CourseModel {
  standard: 'cmi5';
  course: { id: string; title: LangString[]; description: LangString[] };
  /** Objectives declared at course level (§13.1.3); blocks and AUs reference them by id. */
  objectives: Cmi5Objective[];
  /** Top-level AUs and blocks, in document order. */
  children: Cmi5Node[];
}

export interface Cmi5Objective {
  id: string;
  title: LangString[];
  description: LangString[];
}

export type Cmi5Node = Cmi5Block | Cmi5Au;

export interface Cmi5Block {
  type: 'block';
  id: string;
  title: LangString[];
  description: LangString[];
  /** Ids of course objectives this block references. */
  objectives: string[];
  children: Cmi5Node[];
}

export interface Cmi5Au {
  type: 'au';
  id: string;
  title: LangString[];
  description: LangString[];
  objectives: string[];
  /** As written (trimmed): a fully qualified URL, or a path relative to the package root. */
  url: string;
  urlIsAbsolute: boolean;
  /** Default "AnyWindow" (§13.1.4). */
  launchMethod: LaunchMethod;
  /** Default "NotApplicable" (§13.1.4). */
  moveOn: MoveOn;
  /** Scaled 0–1 (§13.1.4). */
  masteryScore?: number;
  launchParameters?: string;
  entitlementKey?: string;
  activityType?: string;
}

/** AUs in document order, depth first. */
export function listAus(nodes: readonly Cmi5Node[]): Cmi5Au[] {
  return nodes.flatMap((n) => (n.type === 'au' ? [n] : listAus(n.children)));
}
