import { scorm2004Package } from '../test/packages.ts';
import { sampleCheckpoints } from './checkpoints.ts';
import { type CrestProcess, startCrest } from './crest-process.ts';
import { checkGenerators, type GeneratorCheck } from './generator-check.ts';
import type { LoadSummary } from './load.ts';
import { type CpuShare, cpuAccount, cpuVerdict, formatCpu, quietly } from './machine.ts';
import { runPacedLoad } from './paced-load.ts';
import { formatWaits, sampleWaits, type WaitShare } from './pg-waits.ts';
import { formatWrites, type WriteShare, writeAccount } from './pg-writes.ts';
import {
  latencyCells,
  ms,
  n0,
  n2,
  pass,
  type ScenarioContext,
  type ScenarioReport,
  table,
} from './results.ts';
import { createScratchDatabase } from './scratch-db.ts';
import { formatStalls, type StallShare, stallAccount } from './server-metrics.ts';
import { formatSlowWindows, slowWindows } from './slow-windows.ts';
import { createRng } from './statements.ts';
import { sampleWriteback, type WritebackSample } from './writeback.ts';

export const ID = 'commit-rate';
const TARGET_RATE = 2500;
const TARGET_P99_MS = 100;
const CEILING_P99_MS = 200;
/**
 * Every level up to the target runs, so the highest rate holding the ceiling is found; past the target, levels
 * run while it holds. BENCH_RATES=1000,2500 picks levels for a quick look.
 */
const RATES = process.env.BENCH_RATES
  ? process.env.BENCH_RATES.split(',').map(Number)
  : [500, 1000, 1500, 2000, 2500, 4000, 5500];
const CONNECTIONS = 600;
const QUESTIONS = 8;

interface Learner {
  token: string;
  attemptId: string;
  sco: string;
  seq: number;
  acked: number;
  /** 0 or 1: whether the learner's answers fall on even or odd commits (commitBody). */
  phase: number;
}

/**
 * A SCORM 2004 SCO's commit as scorm-again sends it mid-lesson: 2–8 KB suspend_data and a quiz of 8 questions.
 * Every other commit of a learner carries an answer (a responded statement, and a scored one when the score
 * moves); the rest only move location, progress, time and suspend_data. Past the eighth answer the learner
 * answers the quiz again from the first question, so a commit costs the same at every level, however many
 * commits came before. Learners answer on alternate commits (`phase`): in turn, all on the same parity, every
 * learner would answer in the same round and the load would swing between answer-only and answer-free rounds.
 */
function commitBody(l: Learner, suspendData: readonly string[]): string {
  const seq = ++l.seq;
  const answers = Math.floor((seq + l.phase) / 2);
  const round = Math.floor(Math.max(0, answers - 1) / QUESTIONS);
  const interactions: Record<string, unknown> = {};
  let correct = 0;
  for (let j = 0; j < Math.min(answers, QUESTIONS); j++) {
    // Question j was last answered in this round if the answers so far reach it, else in the round before.
    const r = j < answers - round * QUESTIONS ? round : round - 1;
    const right = (j + r) % 3 !== 0;
    if (right) correct++;
    interactions[j] = {
      id: `q${j + 1}`,
      type: 'choice',
      description: `Question ${j + 1}: which procedure applies?`,
      learner_response: ['a', 'b', 'c', 'd'][(j + r) % 4],
      result: right ? 'correct' : 'incorrect',
      weighting: '1',
      latency: 'PT12S',
    };
  }
  return JSON.stringify({
    attemptId: l.attemptId,
    sco: l.sco,
    seq,
    terminated: false,
    cmi: {
      completion_status: 'incomplete',
      success_status: 'unknown',
      location: `page-${seq}`,
      progress_measure: String(Math.min(0.99, seq / 50).toFixed(2)),
      score: {
        scaled: String((correct / QUESTIONS).toFixed(3)),
        raw: String(correct),
        min: '0',
        max: String(QUESTIONS),
      },
      session_time: `PT${seq * 20}S`,
      exit: '',
      suspend_data: `${suspendData[seq % suspendData.length]}|${seq}`,
      interactions,
    },
  });
}

async function api(
  crest: CrestProcess,
  path: string,
  init: RequestInit = {},
): Promise<Record<string, unknown>> {
  const res = await fetch(`${crest.url}${path}`, {
    ...init,
    headers: { authorization: crest.authorization, 'content-type': 'application/json', ...init.headers },
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function importCourse(crest: CrestProcess): Promise<string> {
  const { job } = (await api(crest, '/api/v1/courses', {
    method: 'POST',
    headers: { 'content-type': 'application/zip' },
    body: new Uint8Array(await scorm2004Package(['Lesson 1'], 'Compliance bench')),
  })) as { job: { id: string; courseId: string } };
  for (let i = 0; i < 600; i++) {
    const state = await api(crest, `/api/v1/courses/${job.courseId}/imports/${job.id}`);
    if (state.status === 'succeeded') return job.courseId;
    if (state.status === 'failed') throw new Error(`import failed: ${JSON.stringify(state)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('import did not finish in 60 s');
}

/** Registrations, launch links and launches through the integrator and player APIs, as an LMS would. */
async function enrol(crest: CrestProcess, courseId: string, count: number, log: (l: string) => void) {
  const learners: Learner[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const reg = await api(crest, '/api/v1/registrations', {
        method: 'POST',
        body: JSON.stringify({
          courseId,
          learner: {
            name: `Learner ${i}`,
            account: { homePage: 'https://learners.example.org', name: `l${i}` },
          },
        }),
      });
      const link = await api(crest, `/api/v1/registrations/${reg.id}/launch-links`, {
        method: 'POST',
        body: '{}',
      });
      const launch = await api(crest, `/runtime/v1/launch/${link.token}`);
      learners.push({
        token: link.token as string,
        attemptId: launch.attemptId as string,
        sco: launch.current as string,
        seq: 0,
        acked: 0,
        phase: i % 2,
      });
      if (learners.length % 1000 === 0) log(`  enrolled ${n0(learners.length)} / ${n0(count)} learners`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return learners;
}

interface Level {
  rate: number;
  load: LoadSummary;
  cpu: CpuShare;
  waits: WaitShare[];
  writes: WriteShare;
  stalls: StallShare;
  writeback: WritebackSample[];
}

/**
 * Scenario F: SCO commits at fixed rates (open loop, Poisson arrivals: bench/paced-load.ts), the compliance peak's
 * shape: many learners each committing now and then. Every commit goes through the real player API
 * (token in the path, CMI validated, statements and State documents written in the same transaction).
 * Afterwards every acknowledged commit must be the stored one or older than it.
 */
export async function runCommitRate(ctx: ScenarioContext): Promise<ScenarioReport> {
  const seconds = Math.max(5, Math.round(15 * ctx.scale));
  // The peak's whole population: 50,000 learners, each committing every 20 s at 2,500/s. Fewer would each
  // commit more often and all fit in caches a real peak overflows (BENCH_LEARNERS=4000 for a quicker look).
  const learnerCount = Number(process.env.BENCH_LEARNERS) || Math.max(500, Math.round(50_000 * ctx.scale));
  const rng = createRng(ID);
  const suspendData = Array.from({ length: 16 }, () => {
    const len = 2000 + Math.floor(rng() * 6000);
    return Array.from({ length: len }, () => String.fromCharCode(33 + Math.floor(rng() * 90))).join('');
  });
  // Before Crest starts, on a quiet machine: what each load generator reports on its own.
  const probe: Learner = {
    token: '',
    attemptId: '00000000-0000-4000-8000-000000000000',
    sco: 'item_0',
    seq: 0,
    acked: 0,
    phase: 0,
  };
  ctx.log(`load generators at ${n0(TARGET_RATE)}/s against node:http's hello world`);
  const generators: GeneratorCheck = await checkGenerators(
    TARGET_RATE,
    CONNECTIONS,
    Math.min(seconds, 10),
    () => commitBody(probe, suspendData),
    createRng(`${ID}-check`),
    ctx.log,
  );
  const db = await createScratchDatabase();
  ctx.log(`scratch database ${db.name}`);
  const admin = await db.client();
  const sampler = await db.client();
  const checkpointer = await db.client();
  let crest: CrestProcess | undefined;
  try {
    crest = await startCrest(db.url);
    ctx.log(`crest serve on ${crest.url} (pid ${crest.pid})`);
    const courseId = await importCourse(crest);
    const t0 = performance.now();
    const learners = await enrol(crest, courseId, learnerCount, ctx.log);
    ctx.log(`enrolled ${n0(learners.length)} learners in ${n2((performance.now() - t0) / 1000)} s`);
    let cursor = 0;
    let okTotal = 0;
    const arrivals = createRng(`${ID}-arrivals`);
    const load = (label: string, rate: number, size: { durationS: number } | { amount: number }) =>
      runPacedLoad({
        label,
        url: crest!.url,
        connections: CONNECTIONS,
        rate,
        ...size,
        headers: { 'content-type': 'application/json' },
        random: arrivals,
        next: () => {
          const l = learners[cursor++ % learners.length]!;
          const seq = l.seq + 1;
          return {
            path: `/runtime/v1/sessions/${l.token}/commits`,
            body: commitBody(l, suspendData),
            onResponse: (status) => {
              if (status !== 200) return;
              okTotal++;
              l.acked = Math.max(l.acked, seq);
            },
          };
        },
        log: ctx.log,
      });

    /** One load, with the machine's CPU, PostgreSQL's waits and writes, and where slow commits were. */
    const measure = async (
      label: string,
      rate: number,
      size: { durationS: number } | { amount: number },
    ): Promise<Omit<Level, 'rate'>> => {
      const cpu = await cpuAccount(admin, db.name, crest!.pid);
      const writes = await writeAccount(admin, 't_demo');
      const stalls = await stallAccount(crest!.url);
      const waits = sampleWaits(sampler, db.name);
      const writeback = sampleWriteback();
      const l = await load(label, rate, size);
      return {
        load: l,
        writeback: await writeback(),
        cpu: await cpu(),
        waits: await waits(),
        stalls: await stalls(),
        writes: await writes(),
      };
    };

    // One sampler for the whole run: a checkpoint that began between two levels, or in the level before, is
    // still the one a level's first seconds run after.
    const checkpoints = sampleCheckpoints(checkpointer, 50, 1800);
    // Session starts first: each learner's first commit (initialized, a new Activity State attempt entry) costs
    // more than a mid-session one, and at the peak most commits are mid-session (a learner commits every ~20 s
    // for the length of a lesson). So every learner starts once, measured on its own row, before the levels.
    // Measured once: a second try would no longer be first commits.
    const starts = { rate: 1000, ...(await measure('first commits', 1000, { amount: learners.length })) };
    ctx.log(
      `  first commits: ${n0(starts.load.rps)}/s, p99 ${ms(starts.load.p99)} (${formatCpu(starts.cpu)})`,
    );
    await load('warm-up', 500, { durationS: 3 });
    const levels: Level[] = [];
    for (const rate of RATES) {
      ctx.log(`commits at ${n0(rate)}/s for ${seconds} s (-c ${CONNECTIONS})`);
      const measured = await quietly(`${rate}/s`, ctx.log, () =>
        measure(`${rate}/s`, rate, { durationS: seconds }),
      );
      levels.push({ rate, ...measured });
      ctx.log(
        `  ${n0(measured.load.rps)} commits/s, p99 ${ms(measured.load.p99)} (${formatCpu(measured.cpu)})`,
      );
      if (rate >= TARGET_RATE && (measured.load.p99 > CEILING_P99_MS * 2 || measured.load.rps < rate * 0.8))
        break;
    }

    const checkpointStarts = await checkpoints();

    // No acknowledged commit lost: each learner's stored seq is at least the highest seq acknowledged.
    const stored = await admin.query<{ attempt_id: string; seq: string }>(
      'SELECT attempt_id::text, seq::text FROM t_demo.sco_states',
    );
    const storedSeq = new Map(stored.rows.map((r) => [r.attempt_id, Number(r.seq)]));
    const behind = learners.filter((l) => l.acked > (storedSeq.get(l.attemptId) ?? 0)).length;
    const sentTotal = learners.reduce((a, l) => a + l.seq, 0);
    const ackedTotal = learners.reduce((a, l) => a + l.acked, 0);
    const statements = Number((await admin.query('SELECT count(*) AS n FROM t_demo.statements')).rows[0].n);
    ctx.log(
      `  durability: ${n0(okTotal)} commits acknowledged, ${behind} learners behind their acknowledged seq`,
    );

    const atTarget = levels.find((l) => l.rate === TARGET_RATE);
    const holding = levels.filter((l) => l.load.p99 <= CEILING_P99_MS && l.load.rps >= l.rate * 0.95);
    const best = holding.at(-1);
    const cells = (label: string, l: Level) => [
      label,
      ...latencyCells(l.load),
      codes(l.load),
      formatCpu(l.cpu),
    ];
    const codes = (l: LoadSummary) =>
      Object.entries(l.statusCodes)
        .filter(([c]) => c !== '200')
        .map(([c, k]) => `${c}×${k}`)
        .join(', ') || '0';
    const md = [
      '## F. SCO commits at the compliance peak (`commit-rate`)',
      '',
      `${n0(learners.length)} learners enrolled through the integrator API (registration, launch link, launch) on a ` +
        'one-SCO SCORM 2004 course; then commits through the player API at fixed rates: Poisson arrivals ' +
        '(bench/paced-load.ts, open loop, each commit timed from when it was due, so queueing anywhere counts), ' +
        `${CONNECTIONS} keep-alive connections, ${seconds} s a level, after every learner's first commit, which is measured on its own ` +
        'row: at the peak most commits are mid-session), learners in turn, each commit a mid-lesson CMI tree as scorm-again ' +
        'sends it: 2–8 KB suspend_data, location, progress, score, session time and a quiz of 8 interactions; every ' +
        'other commit of a learner answers a question (a responded statement, and scored when the score moves), half ' +
        'the learners on even commits and half on odd ones, and after the eighth answer the quiz starts again, so a ' +
        'level costs the same whatever ran before it. Every commit ' +
        'is validated against the SCORM 2004 data model and stored with its xAPI SCORM Profile statements and the ' +
        'suspend_data State document in the same transaction, acknowledged after the commit.',
      '',
      table(
        ['target/s', 's', 'commits', 'commits/s', 'p50', 'p90', 'p99', 'max', 'non-200', 'CPU (cores)'],
        [
          cells(`${n0(starts.rate)}, each learner's first commit`, starts),
          ...levels.map((l) => cells(n0(l.rate), l)),
        ],
      ),
      '',
      atTarget
        ? `- **At ${n0(TARGET_RATE)} commits/s: ${n0(atTarget.load.rps)}/s served, p99 ${ms(atTarget.load.p99)}**; ` +
          `target p99 ≤ ${TARGET_P99_MS} ms at ${n0(TARGET_RATE)}/s — ${pass(atTarget.load.p99 <= TARGET_P99_MS && atTarget.load.rps >= TARGET_RATE * 0.95)}.`
        : `- The ${n0(TARGET_RATE)}/s level did not run.`,
      `- **Highest rate holding p99 ≤ ${CEILING_P99_MS} ms: ${best ? `${n0(best.rate)}/s (p99 ${ms(best.load.p99)})` : 'none of the levels'}.**`,
      `- **No acknowledged commit lost**: ${n0(okTotal)} commits acknowledged (${n0(sentTotal)} sent, highest ` +
        `acknowledged seqs summing to ${n0(ackedTotal)}); ${behind} of ${n0(learners.length)} learners have a stored ` +
        `seq below their highest acknowledged one — ${behind === 0 ? 'none lost' : '**commits lost**'}. ` +
        `${n0(statements)} statements stored.`,
      '',
      '### The load generator',
      '',
      `Before Crest started, both generators sent the same commit bodies at ${n0(TARGET_RATE)}/s for ` +
        `${n0(generators.paced.seconds)} s to node:http's hello world, which answers in well under a millisecond:`,
      '',
      table(
        [
          'generator → node:http',
          's',
          'requests',
          'req/s',
          'p50',
          'p90',
          'p99',
          'max',
          'non-200',
          'CPU (cores)',
        ],
        [
          ['Poisson, bench/paced-load.ts', ...latencyCells(generators.paced), codes(generators.paced), '—'],
          [
            'autocannon `overallRate`',
            ...latencyCells(generators.autocannon),
            codes(generators.autocannon),
            '—',
          ],
        ],
      ),
      '',
      "autocannon's `overallRate` gives each connection a quota per second that a one-second interval resets " +
        '(lib/httpClient.js, `reqsMadeThisSecond`), so each second of requests leaves in one burst at its start; and it ' +
        'corrects for coordinated omission with `Math.ceil(1 / rate)` as the expected interval (lib/run.js), i.e. 1 ms, ' +
        'adding a synthetic sample for every millisecond of every response. Its rows measure its own bursts. This ' +
        "scenario's earlier results (before 2026-11-28T09:00Z) were taken with it and are not comparable.",
      '',
      '### Where the time goes',
      '',
      ...[starts, ...levels].map(
        (l) =>
          `- ${l === starts ? 'first commits at ' : ''}${n0(l.rate)}/s: ${cpuVerdict(l.cpu)} CPU per commit: Crest ${n2((l.cpu.crest / Math.max(1, l.load.responses)) * 1000)} ms, ` +
          `PostgreSQL ${n2((l.cpu.postgres / Math.max(1, l.load.responses)) * 1000)} ms. ${formatWrites(l.writes, l.load.responses)}. ` +
          `${formatStalls(l.stalls)}. ` +
          `${formatSlowWindows(slowWindows(l.load.timeline ?? { dueAt: [], ms: [] }, l.writeback, 100, 250, checkpointStarts), l.load.seconds * 1000)}. ` +
          `Sessions: ${formatWaits(l.waits, 4)}`,
      ),
    ].join('\n');
    return { id: ID, markdown: md };
  } finally {
    await crest?.stop();
    await admin.end();
    await sampler.end();
    await checkpointer.end();
    await db.drop();
    ctx.log(`dropped ${db.name}`);
  }
}
