/**
 * The xAPI Statement data model as Crest holds it after validation (see validate-statement.ts).
 *
 * Section references: "1.0.3 §x" is xAPI 1.0.3 Part Two (xAPI-Data.md); "2.0 §x" is IEEE 9274.1.1 (xAPI 2.0),
 * "xAPI Base Standard for LRSs". These are the *validated* shapes: every value has been checked, and
 * contextActivities values are always arrays (1.0.3 §2.4.6.2 lets a single Activity arrive, but the LRS returns
 * arrays).
 */

/** A language map: RFC 5646 tag → plain string (1.0.3 §4.2). */
export type LanguageMap = Record<string, string>;

/** Extensions: IRI → any JSON value, null included (1.0.3 §4.1). */
export type Extensions = Record<string, unknown>;

/** 1.0.3 §2.4.2.4 Account Object. */
export interface Account {
  homePage: string;
  name: string;
}

/** The four Inverse Functional Identifiers (1.0.3 §2.4.2.3); exactly one is set on an Agent or Identified Group. */
export interface InverseFunctionalIdentifier {
  mbox?: string;
  mbox_sha1sum?: string;
  openid?: string;
  account?: Account;
}

/** 1.0.3 §2.4.2.1. objectType is optional except where the Agent is a Statement's object. */
export interface Agent extends InverseFunctionalIdentifier {
  objectType?: 'Agent';
  name?: string;
}

/** 1.0.3 §2.4.2.2 Identified Group: one IFI, members optional. */
export interface IdentifiedGroup extends InverseFunctionalIdentifier {
  objectType: 'Group';
  name?: string;
  member?: Agent[];
}

/** 1.0.3 §2.4.2.2 Anonymous Group: no IFI, members required. */
export interface AnonymousGroup {
  objectType: 'Group';
  name?: string;
  member: Agent[];
}

export type Group = IdentifiedGroup | AnonymousGroup;

/** Who did it (1.0.3 §2.4.2). */
export type Actor = Agent | Group;

/** 1.0.3 §2.4.3. */
export interface Verb {
  id: string;
  display?: LanguageMap;
}

/** 1.0.3 §2.4.4.1 "Interaction Types"; values are case-sensitive. */
export type InteractionType =
  | 'true-false'
  | 'choice'
  | 'fill-in'
  | 'long-fill-in'
  | 'matching'
  | 'performance'
  | 'sequencing'
  | 'likert'
  | 'numeric'
  | 'other';

/** 1.0.3 §2.4.4.1 "Interaction Components". */
export interface InteractionComponent {
  id: string;
  description?: LanguageMap;
}

/** 1.0.3 §2.4.4.1 "Activity Definition" plus the interaction properties. */
export interface ActivityDefinition {
  name?: LanguageMap;
  description?: LanguageMap;
  type?: string;
  moreInfo?: string;
  extensions?: Extensions;
  interactionType?: InteractionType;
  correctResponsesPattern?: string[];
  choices?: InteractionComponent[];
  scale?: InteractionComponent[];
  source?: InteractionComponent[];
  target?: InteractionComponent[];
  steps?: InteractionComponent[];
}

/** 1.0.3 §2.4.4.1. An object without objectType is an Activity. */
export interface Activity {
  objectType?: 'Activity';
  id: string;
  definition?: ActivityDefinition;
}

/** 1.0.3 §2.4.4.3 "Statement References". */
export interface StatementRef {
  objectType: 'StatementRef';
  id: string;
}

/** An Agent used as a Statement's object must say so (1.0.3 §2.4.4.2). */
export type AgentObject = Agent & { objectType: 'Agent' };

/** What a SubStatement may point at: anything but another SubStatement (1.0.3 §2.4.4.3 "SubStatements"). */
export type SubStatementObject = Activity | AgentObject | Group | StatementRef;

/** 1.0.3 §2.4.4.3: a Statement without id, stored, version or authority, and not nested. */
export interface SubStatement {
  objectType: 'SubStatement';
  actor: Actor;
  verb: Verb;
  object: SubStatementObject;
  result?: Result;
  context?: Context;
  timestamp?: string;
  attachments?: Attachment[];
}

export type StatementObject = SubStatementObject | SubStatement;

/** 1.0.3 §2.4.5.1. */
export interface Score {
  scaled?: number;
  raw?: number;
  min?: number;
  max?: number;
}

/** 1.0.3 §2.4.5. */
export interface Result {
  score?: Score;
  success?: boolean;
  completion?: boolean;
  response?: string;
  /** ISO 8601 duration (1.0.3 §4.6), kept as sent. */
  duration?: string;
  extensions?: Extensions;
}

/** 1.0.3 §2.4.6.2; always arrays once validated. */
export interface ContextActivities {
  parent?: Activity[];
  grouping?: Activity[];
  category?: Activity[];
  other?: Activity[];
}

/** 2.0 §4.2.2.5 "Context Agents" (xAPI 2.0 only). */
export interface ContextAgent {
  objectType: 'contextAgent';
  agent: Agent;
  relevantTypes?: string[];
}

/** 2.0 §4.2.2.5 "Context Groups" (xAPI 2.0 only). */
export interface ContextGroup {
  objectType: 'contextGroup';
  group: Group;
  relevantTypes?: string[];
}

/** 1.0.3 §2.4.6, plus contextAgents/contextGroups from 2.0 §4.2.2.5. */
export interface Context {
  registration?: string;
  instructor?: Actor;
  team?: Group;
  contextActivities?: ContextActivities;
  revision?: string;
  platform?: string;
  language?: string;
  statement?: StatementRef;
  extensions?: Extensions;
  contextAgents?: ContextAgent[];
  contextGroups?: ContextGroup[];
}

/** 1.0.3 §2.4.11. */
export interface Attachment {
  usageType: string;
  display: LanguageMap;
  description?: LanguageMap;
  contentType: string;
  length: number;
  sha2: string;
  fileUrl?: string;
}

/** 1.0.3 §2.4.9: an Agent, or for 3-legged OAuth an anonymous Group of exactly two Agents. */
export type Authority = Agent | AnonymousGroup;

/** 1.0.3 §2.4 / 2.0 §4.2. id, timestamp, stored, authority and version are filled in by the LRS when absent. */
export interface Statement {
  id?: string;
  actor: Actor;
  verb: Verb;
  object: StatementObject;
  result?: Result;
  context?: Context;
  /** ISO 8601 / RFC 3339 timestamp, kept as sent (the storage layer decides on UTC normalisation). */
  timestamp?: string;
  /** Accepted when valid, but the LRS overwrites it (1.0.3 §2.4.8). */
  stored?: string;
  authority?: Authority;
  version?: string;
  attachments?: Attachment[];
}
