import { createHash } from 'node:crypto';

/**
 * Deterministic, realistic xAPI statements for the load scenarios (about 1.5 KB of JSON each, 1.7 KB once
 * Crest has added id, stored, authority and version). The same seed gives the same statements, so runs
 * are comparable. The shape is one a SCORM/cmi5 player sends: an mbox learner, a verb from a weighted
 * set, a question activity with a full interaction definition, a result with score and duration, and a
 * context with registration, parent/grouping/category activities and extensions.
 *
 * `filtered-get.ts` builds the very same JSON in SQL for its million-row load; keep the two in step
 * (that scenario checks the SQL rows against Crest-written ones and reports any difference).
 */

// biome-ignore lint/suspicious/noExplicitAny: statements are plain JSON
export type Statement = Record<string, any>;

export const COURSES = 20;
export const MODULES_PER_COURSE = 8;
export const QUESTIONS_PER_MODULE = 10;
export const ACTIVITIES = COURSES * MODULES_PER_COURSE * QUESTIONS_PER_MODULE;
/** Each learner is enrolled in this many courses, so has this many registrations. */
export const COURSES_PER_LEARNER = 3;

export const ORIGIN = 'https://courses.example.org';
export const PROFILE_IRI = 'https://w3id.org/xapi/scorm';
export const PLATFORM = 'Crest bench player 1.0';

/** Verbs and how often a player sends each (weights add up to 100). */
export const VERBS: readonly { name: string; iri: string; weight: number }[] = [
  { name: 'experienced', iri: 'http://adlnet.gov/expapi/verbs/experienced', weight: 30 },
  { name: 'answered', iri: 'http://adlnet.gov/expapi/verbs/answered', weight: 25 },
  { name: 'attempted', iri: 'http://adlnet.gov/expapi/verbs/attempted', weight: 10 },
  { name: 'progressed', iri: 'http://adlnet.gov/expapi/verbs/progressed', weight: 10 },
  { name: 'completed', iri: 'http://adlnet.gov/expapi/verbs/completed', weight: 8 },
  { name: 'launched', iri: 'http://adlnet.gov/expapi/verbs/launched', weight: 5 },
  { name: 'passed', iri: 'http://adlnet.gov/expapi/verbs/passed', weight: 5 },
  { name: 'terminated', iri: 'http://adlnet.gov/expapi/verbs/terminated', weight: 4 },
  { name: 'failed', iri: 'http://adlnet.gov/expapi/verbs/failed', weight: 3 },
];

export const CHOICES = ['a', 'b', 'c', 'd'] as const;

/** sfc32: a small, fast, well-distributed 32-bit PRNG; returns floats in [0, 1). */
export function createRng(seed: string): () => number {
  const h = createHash('sha256').update(seed).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  const next = () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** A version-4-shaped UUID from an md5 of `text`; `filtered-get.ts` computes the same in SQL. */
export function uuidFromText(text: string): string {
  const h = createHash('md5').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function uuidFromRng(rng: () => number): string {
  const hex = Array.from({ length: 4 }, () =>
    Math.floor(rng() * 2 ** 32)
      .toString(16)
      .padStart(8, '0'),
  ).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[Math.floor(rng() * 4)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const pad5 = (n: number) => String(n).padStart(5, '0');
export const learnerMbox = (i: number) => `mailto:learner${pad5(i)}@learners.example.org`;
export const learnerName = (i: number) => `Learner ${pad5(i)}`;
export const courseIri = (c: number) => `${ORIGIN}/c${String(c).padStart(2, '0')}`;
export const moduleIri = (c: number, m: number) => `${courseIri(c)}/m${m}`;

/** Activity `a` belongs to course a/80, module (a/10)%8, question a%10. */
export function activityParts(a: number): { course: number; module: number; question: number } {
  return {
    course: Math.floor(a / (MODULES_PER_COURSE * QUESTIONS_PER_MODULE)),
    module: Math.floor(a / QUESTIONS_PER_MODULE) % MODULES_PER_COURSE,
    question: a % QUESTIONS_PER_MODULE,
  };
}
export const activityIri = (a: number) => {
  const p = activityParts(a);
  return `${moduleIri(p.course, p.module)}/q${p.question}`;
};
export const correctChoice = (a: number) => CHOICES[a % CHOICES.length]!;

/** The n-th of a learner's courses. */
export const learnerCourse = (learner: number, n: number) => (learner * 7 + n) % COURSES;

/** What varies between statements; everything else follows from these. */
export interface Choices {
  id: string;
  learner: number;
  verb: number;
  activity: number;
  /** 0..10 */
  raw: number;
  durationS: number;
  attempt: number;
  timestamp: string;
}

export function activityDefinition(a: number): Statement {
  const p = activityParts(a);
  return {
    name: { 'en-US': `Course ${p.course}, module ${p.module}, question ${p.question}` },
    description: {
      'en-US': `Which statement about module ${p.module} of course ${p.course} is correct? Choose one.`,
    },
    type: 'http://adlnet.gov/expapi/activities/cmi.interaction',
    interactionType: 'choice',
    correctResponsesPattern: [correctChoice(a)],
    choices: CHOICES.map((c) => ({ id: c, description: { 'en-US': `Answer ${c.toUpperCase()}` } })),
  };
}

const registrations = new Map<string, string>();
/** A learner's registration in a course (md5-based, so SQL can compute it too); memoised. */
export function registrationOf(learner: number, course: number): string {
  const key = `reg:${learner}:${course}`;
  let id = registrations.get(key);
  if (id === undefined) {
    id = uuidFromText(key);
    if (registrations.size < 200_000) registrations.set(key, id);
  }
  return id;
}

/** The statement as a client sends it. */
export function buildStatement(c: Choices): Statement {
  const p = activityParts(c.activity);
  const verb = VERBS[c.verb]!;
  const course = courseIri(p.course);
  return {
    id: c.id,
    actor: { objectType: 'Agent', name: learnerName(c.learner), mbox: learnerMbox(c.learner) },
    verb: { id: verb.iri, display: { 'en-US': verb.name } },
    object: {
      objectType: 'Activity',
      id: activityIri(c.activity),
      definition: activityDefinition(c.activity),
    },
    result: {
      score: { scaled: c.raw / 10, raw: c.raw, min: 0, max: 10 },
      success: c.raw >= 7,
      completion: true,
      response: CHOICES[c.raw % CHOICES.length],
      duration: `PT${c.durationS}S`,
    },
    context: {
      registration: registrationOf(c.learner, p.course),
      platform: PLATFORM,
      language: 'en-US',
      contextActivities: {
        parent: [{ objectType: 'Activity', id: moduleIri(p.course, p.module) }],
        grouping: [
          {
            objectType: 'Activity',
            id: course,
            definition: { type: 'http://adlnet.gov/expapi/activities/course' },
          },
        ],
        category: [
          {
            objectType: 'Activity',
            id: PROFILE_IRI,
            definition: { type: 'http://adlnet.gov/expapi/activities/profile' },
          },
        ],
      },
      extensions: {
        [`${ORIGIN}/xapi/extensions/attempt`]: c.attempt,
        [`${ORIGIN}/xapi/extensions/session`]: `session-${pad5(c.learner)}-${p.course}-${c.attempt}`,
      },
    },
    timestamp: c.timestamp,
  };
}

export interface GeneratorOptions {
  seed: string;
  /** Size of the learner pool. */
  learners?: number;
  /**
   * Learner popularity skew: learner = floor(N · u^skew). 1 is uniform; 2 (the default) makes a few
   * learners very active and most occasional, as in a real LMS.
   */
  skew?: number;
  /** Timestamp of the first statement, and the gap between statements. */
  start?: Date;
  stepMs?: number;
}

export interface StatementGenerator {
  next(): Statement;
  /** The next `n` statements as one JSON array body. */
  batch(n: number): Statement[];
  readonly learners: number;
}

export function pickVerb(u: number): number {
  let acc = 0;
  for (const [i, v] of VERBS.entries()) {
    acc += v.weight / 100;
    if (u < acc) return i;
  }
  return VERBS.length - 1;
}

export function createStatementGenerator(options: GeneratorOptions): StatementGenerator {
  const rng = createRng(options.seed);
  const learners = options.learners ?? 5000;
  const skew = options.skew ?? 2;
  const start = (options.start ?? new Date('2026-01-05T08:00:00Z')).getTime();
  const step = options.stepMs ?? 250;
  let n = 0;
  const next = (): Statement => {
    const learner = Math.min(learners - 1, Math.floor(learners * rng() ** skew));
    const course = learnerCourse(learner, Math.floor(rng() * COURSES_PER_LEARNER));
    const activity = course * MODULES_PER_COURSE * QUESTIONS_PER_MODULE + Math.floor(rng() * 80);
    const statement = buildStatement({
      id: uuidFromRng(rng),
      learner,
      verb: pickVerb(rng()),
      activity,
      raw: Math.floor(rng() * 11),
      durationS: 5 + Math.floor(rng() * 600),
      attempt: 1 + Math.floor(rng() * 3),
      timestamp: new Date(start + n * step).toISOString(),
    });
    n++;
    return statement;
  };
  return {
    next,
    batch: (count) => Array.from({ length: count }, next),
    learners,
  };
}

/** The agent JSON for the `agent` query parameter. */
export function agentParam(learner: number): string {
  return JSON.stringify({ objectType: 'Agent', mbox: learnerMbox(learner) });
}

export interface BodySource {
  /** A fresh statement body with a new id (the id is returned too). */
  next(): { id: string; body: string };
}

/**
 * Statement bodies for high request rates, where building each statement would make the load generator
 * the bottleneck: `pool` generated statements serialised once, each request taking the next one with a
 * new id spliced in (deterministic: a seed-derived prefix and a counter). ~1 µs a body.
 */
export function createBodySource(
  seed: string,
  pool = 2000,
  options: Omit<GeneratorOptions, 'seed'> = {},
): BodySource {
  const gen = createStatementGenerator({ ...options, seed });
  const templates = Array.from({ length: pool }, () => {
    const { id: _, ...rest } = gen.next();
    return `,${JSON.stringify(rest).slice(1)}`;
  });
  const prefix = createHash('md5').update(`ids:${seed}`).digest('hex');
  const head = `${prefix.slice(0, 8)}-${prefix.slice(8, 12)}-4${prefix.slice(13, 16)}-8${prefix.slice(17, 20)}-`;
  let n = 0;
  return {
    next() {
      const id = `${head}${n.toString(16).padStart(12, '0')}`;
      const body = `{"id":"${id}"${templates[n % pool]}`;
      n++;
      return { id, body };
    },
  };
}
