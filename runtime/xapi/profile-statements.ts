import type { Json } from '../../lrs/model/statement-index.ts';
import type { CmiNode, CmiTree } from '../cmi/data-model.ts';
import type { CourseStatus } from '../cmi/rollup.ts';
import { isoDuration, type ScoStatus } from '../cmi/sco-status.ts';
import { entriesOf, valueAt } from '../cmi/tree.ts';
import {
  ACTIVITY_TYPES,
  attemptIri,
  interactionIri,
  objectiveIri,
  PROFILE_CATEGORY,
  scoIri,
} from './activity-iris.ts';
import { scormTimeToIso } from './scorm-time.ts';
import { uuidV5 } from './uuid-v5.ts';

const VERB = (name: string) => ({ id: `http://adlnet.gov/expapi/verbs/${name}`, display: { 'en-US': name } });

/** Who, what and when, shared by every statement of one commit. */
export interface StatementScope {
  actor: Json;
  registration: string;
  attemptId: string;
  course: { iri: string; title: string };
  sco: { id: string; title: string };
  timestamp: string;
}

/** One SCO's state before or after a commit. */
export interface ScoSnapshot {
  cmi: CmiTree;
  status: ScoStatus;
  terminated: boolean;
}

function lang(text: string) {
  return { 'en-US': text };
}

function context(scope: StatementScope, sco: string): Json {
  return {
    registration: scope.registration,
    contextActivities: {
      grouping: [
        {
          id: scope.course.iri,
          definition: { name: lang(scope.course.title), type: ACTIVITY_TYPES.course },
        },
        {
          id: attemptIri(sco, scope.attemptId),
          definition: { name: lang(`Attempt of ${scope.sco.title}`), type: ACTIVITY_TYPES.attempt },
        },
      ],
      category: [PROFILE_CATEGORY],
    },
  };
}

/**
 * result.score from a SCORM score node (xAPI SCORM Profile §6 "Score"): `scaled` as given, raw/min/max only when
 * consistent.
 */
function scoreFrom(node: CmiNode | undefined, scaled: number | null): Json | undefined {
  const score: Json = {};
  if (scaled !== null) score.scaled = scaled;
  const at = (k: string) =>
    typeof node === 'object' && typeof node[k] === 'string' ? (node[k] as string) : '';
  const raw = at('raw');
  const min = at('min');
  const max = at('max');
  if (raw !== '') {
    const r = Number(raw);
    const lo = min === '' ? undefined : Number(min);
    const hi = max === '' ? undefined : Number(max);
    // xAPI 2.0 Part Two §2.4.5.1: raw must lie between min and max when they are given.
    if (
      (lo === undefined || lo <= r) &&
      (hi === undefined || r <= hi) &&
      (lo === undefined || hi === undefined || lo <= hi)
    ) {
      score.raw = r;
      if (lo !== undefined) score.min = lo;
      if (hi !== undefined) score.max = hi;
    }
  }
  return Object.keys(score).length > 0 ? score : undefined;
}

/** The SCO's result.score (cmi.core.score / cmi.score), scaled as the SCO status has it. */
function scoreOf(standard: 'scorm12' | 'scorm2004', cmi: CmiTree, status: ScoStatus): Json | undefined {
  const node =
    standard === 'scorm12' ? (typeof cmi.core === 'object' ? cmi.core.score : undefined) : cmi.score;
  return scoreFrom(node, status.scoreScaled);
}

/** The SCO's overall result, for terminated and suspended (Profile §5 "Terminating an attempt"). */
function overallResult(standard: 'scorm12' | 'scorm2004', next: ScoSnapshot): Json {
  const result: Json = {};
  const { status } = next;
  if (status.success !== 'unknown') result.success = status.success === 'passed';
  if (status.completion === 'completed') result.completion = true;
  else if (status.completion === 'incomplete') result.completion = false;
  const score = scoreOf(standard, next.cmi, status);
  if (score) result.score = score;
  result.duration = isoDuration(status.sessionSeconds);
  return result;
}

const RESPONSE_KEY = { scorm12: 'student_response', scorm2004: 'learner_response' } as const;

function interactionFingerprint(node: CmiNode | undefined, key: string): string {
  if (typeof node !== 'object') return '';
  return JSON.stringify([node.id, node[key], node.result]);
}

function respondedStatement(
  standard: 'scorm12' | 'scorm2004',
  scope: StatementScope,
  sco: string,
  node: CmiTree,
  id: (verb: string, extra?: string) => string,
  index: number,
): Json {
  const interactionId = typeof node.id === 'string' && node.id !== '' ? node.id : `interaction-${index}`;
  const type = typeof node.type === 'string' && node.type !== '' ? node.type : undefined;
  const definition: Json = { type: ACTIVITY_TYPES.interaction };
  if (typeof node.description === 'string' && node.description !== '')
    definition.description = lang(plain(node.description));
  if (type) definition.interactionType = type;
  // SCORM 2004 response patterns are the xAPI ones (xAPI took its interaction model from SCORM 2004);
  // SCORM 1.2 CMIFeedback patterns are not, so they are left out rather than mis-stated.
  if (type && standard === 'scorm2004') {
    const patterns = entriesOf(node.correct_responses)
      .map(([, r]) => (typeof r === 'object' ? r.pattern : undefined))
      .filter((p): p is string => typeof p === 'string');
    if (patterns.length > 0) definition.correctResponsesPattern = patterns;
  }
  const result: Json = { response: String(node[RESPONSE_KEY[standard]] ?? '') };
  const outcome = node.result;
  if (outcome === 'correct') result.success = true;
  else if (outcome === 'incorrect' || outcome === 'wrong') result.success = false;
  const statement: Json = {
    id: id('responded', `${index}`),
    actor: scope.actor,
    verb: VERB('responded'),
    object: { objectType: 'Activity', id: interactionIri(sco, interactionId), definition },
    result,
    context: context(scope, sco),
    timestamp: scope.timestamp,
  };
  statement.context.contextActivities.parent = [{ id: sco }];
  return statement;
}

/** A SCORM localized string (SCORM 2004 RTE §4.1.1.6 "{lang=…}" delimiter) without its delimiter. */
function plain(text: string): string {
  return text.replace(/^\{lang=[^}]*\}/, '');
}

interface ObjectiveStatus {
  completion: 'completed' | 'other';
  success: 'passed' | 'failed' | 'unknown';
  score: Json | undefined;
}

/**
 * One cmi.objectives.n entry's status. SCORM 2004: its completion_status, success_status and score (RTE §4.2
 * cmi.objectives). SCORM 1.2: cmi.objectives.n.status has the lesson_status vocabulary, read as the SCO's own
 * status is (passed and completed both mean completed), and score.raw is 0–100, so scaled = raw / 100 (Profile §6
 * "Score" NOTE, applied to objective scores as to the SCO's).
 */
function objectiveStatus(standard: 'scorm12' | 'scorm2004', node: CmiTree): ObjectiveStatus {
  if (standard === 'scorm12') {
    const status = typeof node.status === 'string' ? node.status : '';
    const raw = typeof node.score === 'object' && typeof node.score.raw === 'string' ? node.score.raw : '';
    return {
      completion: status === 'completed' || status === 'passed' ? 'completed' : 'other',
      success: status === 'passed' || status === 'failed' ? status : 'unknown',
      score: scoreFrom(node.score, raw === '' ? null : Math.max(-1, Math.min(1, Number(raw) / 100))),
    };
  }
  const scaled =
    typeof node.score === 'object' && typeof node.score.scaled === 'string' ? node.score.scaled : '';
  const success = node.success_status;
  return {
    completion: node.completion_status === 'completed' ? 'completed' : 'other',
    success: success === 'passed' || success === 'failed' ? success : 'unknown',
    score: scoreFrom(node.score, scaled === '' ? null : Number(scaled)),
  };
}

/** The objectives of a CMI tree with an id (an objective without one has no IRI and cannot be reported). */
function objectivesOf(cmi: CmiTree | undefined): [number, string, CmiTree][] {
  const out: [number, string, CmiTree][] = [];
  for (const [i, node] of entriesOf(cmi?.objectives))
    if (typeof node === 'object' && typeof node.id === 'string' && node.id !== '')
      out.push([i, node.id, node]);
  return out;
}

/**
 * Profile §6 "Objectives": "Objectives are represented as another activity. As such, statements about a learner's
 * score, success or completion status are reported just as they are for any other activity", with the verbs of
 * §3.2 "Verb" whose scope includes objective (passed, failed, scored, completed), the objective IRI of
 * `objectiveIri`, and "the SCO IRI in the context activities parent array"; grouping and category as every
 * statement has them (§3.2 "Context Activities"). As for the SCO, a statement is made only when the objective's
 * status or score changed since the stored CMI. (The repository's document-schemas/scorm.profile.objectives.schema
 * json asks instead for a "closely-encountered" verb about the SCO, which neither §6, the verb table nor the
 * statements/ examples use; the profile text is followed.)
 */
function objectiveStatements(
  standard: 'scorm12' | 'scorm2004',
  scope: StatementScope,
  sco: string,
  prev: CmiTree | undefined,
  next: CmiTree,
  id: (verb: string, extra?: string) => string,
): Json[] {
  const before = objectivesOf(prev);
  const out: Json[] = [];
  for (const [i, objectiveId, node] of objectivesOf(next)) {
    // An objective is known by its id (its IRI); the same index first, as ids are unique in 2004 (RTE §4.2).
    const old =
      before.find(([j, oid]) => j === i && oid === objectiveId) ??
      before.find(([, oid]) => oid === objectiveId);
    const p = old ? objectiveStatus(standard, old[2]) : undefined;
    const n = objectiveStatus(standard, node);
    const definition: Json = { name: lang(objectiveId), type: ACTIVITY_TYPES.objective };
    if (typeof node.description === 'string' && node.description !== '')
      definition.description = lang(plain(node.description));
    const about = (verb: string, result: Json): Json => {
      const ctx = context(scope, sco);
      ctx.contextActivities.parent = [
        { id: sco, definition: { name: lang(scope.sco.title), type: ACTIVITY_TYPES.lesson } },
      ];
      return {
        // The index keeps two entries with one id (possible in 1.2) from sharing a statement id.
        id: id(verb, `objective|${i}|${objectiveId}`),
        actor: scope.actor,
        verb: VERB(verb),
        object: { objectType: 'Activity', id: objectiveIri(sco, objectiveId), definition },
        result,
        context: ctx,
        timestamp: scope.timestamp,
      };
    };
    if (n.score && JSON.stringify(n.score) !== JSON.stringify(p?.score))
      out.push(about('scored', { score: n.score }));
    if (n.completion === 'completed' && p?.completion !== 'completed')
      out.push(about('completed', { completion: true }));
    if (n.success !== 'unknown' && n.success !== p?.success) {
      const result: Json = { success: n.success === 'passed' };
      if (n.score) result.score = n.score;
      out.push(about(n.success, result));
    }
  }
  return out;
}

/**
 * Profile §6 "Comments From Learner": each new comment is a `commented` statement about the SCO with the comment as
 * result.response; "For SCORM 2004 where there is also a timestamp and a location, use the statement timestamp
 * attribute for the comment timestamp value and the Activity URI as the location" (so the location text itself is
 * not carried). SCORM 2004: an entry of cmi.comments_from_learner not stored before, or stored with other values.
 * SCORM 1.2: cmi.comments is one string; what was appended to the stored one is the new comment (a SCO that
 * rewrites it whole has made a new comment of all of it).
 */
function commentStatements(
  standard: 'scorm12' | 'scorm2004',
  scope: StatementScope,
  about: (verb: string, result?: Json, extra?: string) => Json,
  prev: CmiTree | undefined,
  next: CmiTree,
): Json[] {
  if (standard === 'scorm12') {
    const was = valueAt(prev, 'comments');
    const now = valueAt(next, 'comments');
    if (now === was) return [];
    const added = was !== '' && now.startsWith(was) ? now.slice(was.length) : now;
    return added.trim() === '' ? [] : [about('commented', { response: added })];
  }
  const fingerprint = (node: CmiNode | undefined) =>
    typeof node === 'object' ? JSON.stringify([node.comment, node.location, node.timestamp]) : '';
  const before = new Map(entriesOf(prev?.comments_from_learner));
  const out: Json[] = [];
  for (const [i, node] of entriesOf(next.comments_from_learner)) {
    if (typeof node !== 'object' || typeof node.comment !== 'string' || plain(node.comment) === '') continue;
    if (fingerprint(before.get(i)) === fingerprint(node)) continue;
    const s = about('commented', { response: plain(node.comment) }, `comment|${i}`);
    const when = typeof node.timestamp === 'string' ? scormTimeToIso(node.timestamp) : undefined;
    // A comment without a (valid) time of its own was made during this commit's session.
    s.timestamp = when ?? scope.timestamp;
    out.push(s);
  }
  return out;
}

/**
 * The xAPI SCORM Profile statements one commit causes, found by comparing the SCO's state before and after
 * it: initialized or resumed when a SCO session starts (§5, Profile verbs table), responded per changed
 * interaction (§6 "Interactions"), commented per new learner comment (§6 "Comments From Learner"), scored,
 * completed, passed or failed per objective whose status changed (§6 "Objectives") and for the SCO when its own
 * changed (§6), and suspended or terminated when the session ends (§5). Ids are name-based on attempt, SCO, commit seq and verb, so the
 * same commit always yields the same statements.
 */
export function deriveStatements(
  standard: 'scorm12' | 'scorm2004',
  scope: StatementScope,
  seq: number,
  prev: ScoSnapshot | undefined,
  next: ScoSnapshot,
): Json[] {
  const sco = scoIri(scope.course.iri, scope.sco.id);
  const id = (verb: string, extra = '') =>
    uuidV5(`${scope.attemptId}|${scope.sco.id}|${seq}|${verb}|${extra}`);
  const about = (verb: string, result?: Json, extra?: string): Json => {
    const s: Json = {
      id: id(verb, extra),
      actor: scope.actor,
      verb: VERB(verb),
      object: {
        objectType: 'Activity',
        id: sco,
        definition: { name: lang(scope.sco.title), type: ACTIVITY_TYPES.lesson },
      },
      context: context(scope, sco),
      timestamp: scope.timestamp,
    };
    if (result) s.result = result;
    return s;
  };
  const out: Json[] = [];
  const newSession = prev === undefined || prev.terminated;
  if (newSession) out.push(about(prev?.status.suspended ? 'resumed' : 'initialized'));

  const key = RESPONSE_KEY[standard];
  const before = new Map(entriesOf(prev?.cmi.interactions));
  for (const [i, node] of entriesOf(next.cmi.interactions)) {
    if (typeof node !== 'object' || typeof node[key] !== 'string' || node[key] === '') continue;
    // Unchanged since the stored state (a resumed session is given its interactions back at launch).
    if (interactionFingerprint(before.get(i), key) === interactionFingerprint(node, key)) continue;
    out.push(respondedStatement(standard, scope, sco, node, id, i));
  }
  out.push(...commentStatements(standard, scope, about, prev?.cmi, next.cmi));
  out.push(...objectiveStatements(standard, scope, sco, prev?.cmi, next.cmi, id));

  const p = prev?.status;
  const n = next.status;
  const score = scoreOf(standard, next.cmi, n);
  const prevScore = prev ? scoreOf(standard, prev.cmi, prev.status) : undefined;
  if (score && JSON.stringify(score) !== JSON.stringify(prevScore)) out.push(about('scored', { score }));
  if (n.completion === 'completed' && p?.completion !== 'completed')
    out.push(about('completed', { completion: true }));
  if (n.success !== 'unknown' && n.success !== p?.success) {
    const result: Json = { success: n.success === 'passed' };
    if (score) result.score = score;
    out.push(about(n.success, result));
  }
  if (next.terminated)
    out.push(about(n.suspended ? 'suspended' : 'terminated', overallResult(standard, next)));
  return out;
}

/**
 * The course status statement (Profile §7 "Course Status"): verb completed, object the course activity, with
 * success and score when known. Written once per attempt, with the course.completed outbox event.
 */
export function courseCompletedStatement(scope: Omit<StatementScope, 'sco'>, course: CourseStatus): Json {
  const result: Json = { completion: course.completion === 'completed' };
  if (course.success !== 'unknown') result.success = course.success === 'passed';
  if (course.score !== null) result.score = { scaled: course.score };
  result.duration = isoDuration(course.totalSeconds);
  return {
    id: uuidV5(`${scope.attemptId}|course|completed`),
    actor: scope.actor,
    verb: VERB('completed'),
    object: {
      objectType: 'Activity',
      id: scope.course.iri,
      definition: { name: lang(scope.course.title), type: ACTIVITY_TYPES.course },
    },
    result,
    context: {
      registration: scope.registration,
      contextActivities: {
        grouping: [
          {
            id: `${scope.course.iri}/attempt/${scope.attemptId}`,
            definition: { name: lang(`Attempt of ${scope.course.title}`), type: ACTIVITY_TYPES.attempt },
          },
        ],
        category: [PROFILE_CATEGORY],
      },
    },
    timestamp: scope.timestamp,
  };
}
