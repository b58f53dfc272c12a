import type { Json } from '../../lrs/model/statement-index.ts';
import type { CmiNode, CmiTree } from '../cmi/data-model.ts';
import type { CourseStatus } from '../cmi/rollup.ts';
import { isoDuration, type ScoStatus } from '../cmi/sco-status.ts';
import { entriesOf, valueAt } from '../cmi/tree.ts';
import { ACTIVITY_TYPES, attemptIri, interactionIri, PROFILE_CATEGORY, scoIri } from './activity-iris.ts';
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

/** result.score with the SCORM score elements (xAPI SCORM Profile §6 "Score"); raw/min/max only when consistent. */
function scoreOf(standard: 'scorm12' | 'scorm2004', cmi: CmiTree, status: ScoStatus): Json | undefined {
  const base = standard === 'scorm12' ? 'core.score' : 'score';
  const score: Json = {};
  if (status.scoreScaled !== null) score.scaled = status.scoreScaled;
  const raw = valueAt(cmi, `${base}.raw`);
  const min = valueAt(cmi, `${base}.min`);
  const max = valueAt(cmi, `${base}.max`);
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
    definition.description = lang(node.description.replace(/^\{lang=[^}]*\}/, ''));
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

/**
 * The xAPI SCORM Profile statements one commit causes, found by comparing the SCO's state before and after
 * it: initialized or resumed when a SCO session starts (§5, Profile verbs table), responded per changed
 * interaction (§6 "Interactions"), scored, completed, passed or failed when those change (§6), and suspended
 * or terminated when the session ends (§5). Ids are name-based on attempt, SCO, commit seq and verb, so the
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
  const about = (verb: string, result?: Json): Json => {
    const s: Json = {
      id: id(verb),
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
