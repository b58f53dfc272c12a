import { type CrestProcess, startCrest, XAPI_HEADERS } from './crest-process.ts';
import { startHello } from './hello-process.ts';
import { type LoadSummary, runLoad } from './load.ts';
import { type CpuShare, cpuAccount, cpuVerdict, formatCpu, quietly } from './machine.ts';
import { formatWaits, sampleWaits, waitVerdict } from './pg-waits.ts';
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
import { createBodySource } from './statements.ts';

export const ID = 'single-post-vs-node-http';
const CONNECTIONS = 200;
const P99_TARGET_MS = 50;
const RATIO_TARGET = 0.3;
const UUID_LIST = /^\["([0-9a-f-]{36})"\]$/;

/**
 * Scenario B: single-statement POSTs to Crest at -c 200 against node:http's hello world receiving the
 * same bodies, side by side; then checks that every acknowledged statement is stored.
 */
export async function runSinglePostVsNodeHttp(ctx: ScenarioContext): Promise<ScenarioReport> {
  const seconds = Math.max(5, Math.round(15 * ctx.scale));
  const bodies = createBodySource(ID);
  const db = await createScratchDatabase();
  ctx.log(`scratch database ${db.name}`);
  const admin = await db.client();
  const sampler = await db.client();
  let crest: CrestProcess | undefined;
  try {
    // (a) node:http
    const hello = await startHello(seconds * 4 + 120);
    ctx.log(`node:http hello world on ${hello.url} (pid ${hello.pid})`);
    let helloRun: LoadSummary;
    let helloCpu: CpuShare;
    try {
      const requests = [
        { method: 'POST' as const, setupRequest: (r: object) => ({ ...r, body: bodies.next().body }) },
      ];
      const common = { url: hello.url, connections: CONNECTIONS, method: 'POST' as const, requests };
      await runLoad({
        ...common,
        label: 'node:http warm-up',
        durationS: 3,
        maxSeconds: 30,
        headers: XAPI_HEADERS,
        log: ctx.log,
      });
      const measured = await quietly('node:http', ctx.log, async () => {
        const cpu = await cpuAccount(admin, db.name, hello.pid);
        const load = await runLoad({
          ...common,
          label: 'node:http',
          durationS: seconds,
          maxSeconds: seconds + 30,
          headers: XAPI_HEADERS,
          log: ctx.log,
        });
        return { load, cpu: await cpu() };
      });
      helloRun = measured.load;
      helloCpu = measured.cpu;
      ctx.log(`  ${n0(helloRun.rps)} req/s, p99 ${ms(helloRun.p99)} (${formatCpu(helloCpu, 'node:http')})`);
    } finally {
      await hello.stop();
    }

    // (b) Crest: exact counts, so autocannon sends a fixed number of requests sized from a warm-up.
    crest = await startCrest(db.url);
    ctx.log(`crest serve on ${crest.url} (pid ${crest.pid})`);
    const acked: string[] = [];
    let unparsed = 0;
    let okResponses = 0;
    const crestLoad = async (label: string, amount: number, maxSeconds: number) => {
      const load = await runLoad({
        label,
        url: `${crest!.url}/xapi/statements`,
        connections: CONNECTIONS,
        amount,
        maxSeconds,
        method: 'POST',
        headers: { ...XAPI_HEADERS, authorization: crest!.authorization },
        requests: [
          {
            method: 'POST',
            setupRequest: (r) => ({ ...r, body: bodies.next().body }),
            onResponse: (status, body) => {
              if (status < 200 || status > 299) return;
              const id = UUID_LIST.exec(body)?.[1];
              if (id) acked.push(id);
              else unparsed++;
            },
          },
        ],
        log: ctx.log,
      });
      okResponses += load.ok;
      return load;
    };
    // The first requests pay for cold caches (200 connections authenticate at once), so the rate that
    // sizes the measured run comes from a second warm-up.
    const warm = await crestLoad('crest cold start', CONNECTIONS * 10, 60);
    const warm2 = await crestLoad('crest warm-up', CONNECTIONS * 10, 60);
    const amount = Math.min(400_000, Math.max(CONNECTIONS * 10, Math.round(warm2.rps * seconds)));
    ctx.log(
      `Crest: ${n0(amount)} single-statement POSTs at -c ${CONNECTIONS} (about ${seconds} s at the warm-up rate)`,
    );
    const measured = await quietly('crest', ctx.log, async () => {
      const cpu = await cpuAccount(admin, db.name, crest!.pid);
      const waits = sampleWaits(sampler, db.name);
      const load = await crestLoad('crest', amount, seconds * 4 + 30);
      return { load, cpu: await cpu(), waits: await waits() };
    });
    const { load: crestRun, cpu: crestCpu, waits: crestWaits } = measured;
    ctx.log(`  ${n0(crestRun.rps)} req/s, p99 ${ms(crestRun.p99)} (${formatCpu(crestCpu)})`);

    // No acknowledged write lost: every 2xx id is in the table, and the table holds nothing else.
    const rows = Number((await admin.query('SELECT count(*) AS n FROM t_demo.statements')).rows[0].n);
    const missing = Number(
      (
        await admin.query(
          `SELECT count(*) AS n FROM unnest($1::uuid[]) AS a(id)
            WHERE NOT EXISTS (SELECT 1 FROM t_demo.statements s WHERE s.id = a.id)`,
          [acked],
        )
      ).rows[0].n,
    );
    const exact = rows === okResponses && missing === 0 && unparsed === 0 && acked.length === okResponses;
    ctx.log(`  durability: ${n0(okResponses)} 2xx, ${n0(rows)} rows, ${missing} acknowledged ids missing`);

    const ratio = crestRun.rps / helloRun.rps;
    const deadlocks = (crest.output().match(/deadlock detected/g) ?? []).length;
    const codes = (l: LoadSummary) =>
      Object.entries(l.statusCodes)
        .filter(([c]) => !c.startsWith('2'))
        .map(([c, k]) => `${c}×${k}`)
        .join(', ') || '0';
    const row = (name: string, l: LoadSummary, c: CpuShare, server: string) => [
      name,
      ...latencyCells(l),
      codes(l),
      `${l.errors} / ${l.timeouts}`,
      formatCpu(c, server),
    ];
    const md = [
      '## B. Single-statement POST vs node:http (`single-post-vs-node-http`)',
      '',
      `autocannon -c ${CONNECTIONS}, every request a fresh ~1.6 KB statement with a new UUID (2,000 generated statements, each request taking the next with a new id spliced in, so the load generator stays cheap). The baseline is ` +
        'node:http\'s hello world in its own process, reading the same POST bodies and answering `{"ok":true}`. ' +
        `Crest runs on PostgreSQL; after ${n0(warm.responses + warm2.responses)} warm-up requests it gets a fixed number of ` +
        'requests sized to last about as long, so that every request gets its response and the durability check ' +
        'below can be exact.',
      '',
      table(
        [
          'server',
          's',
          'responses',
          'req/s',
          'p50',
          'p90',
          'p99',
          'max',
          'non-2xx',
          'errors / timeouts',
          'CPU (cores)',
        ],
        [
          row('node:http hello world', helloRun, helloCpu, 'node:http'),
          row('Crest POST /xapi/statements', crestRun, crestCpu, 'Crest'),
        ],
      ),
      '',
      `- **Crest/node:http = ${n2(ratio)}×**; target ≥ ${RATIO_TARGET}× — ${pass(ratio >= RATIO_TARGET)}.`,
      `- **Crest p99 = ${ms(crestRun.p99)}**; target ≤ ${P99_TARGET_MS} ms — ${pass(crestRun.p99 <= P99_TARGET_MS)}.`,
      `- **No acknowledged write lost**: ${n0(okResponses)} 2xx responses (warm-up and every measured attempt), ${n0(rows)} rows in ` +
        `t_demo.statements, ${missing} acknowledged ids missing, ${n0(rows - okResponses)} rows without a 2xx — ` +
        `${exact ? 'exact equality' : '**not equal**'}.`,
      `- "deadlock detected" in Crest's log: ${deadlocks}.`,
      `- Cold start: the first ${n0(warm.responses)} requests (warm-up, ${CONNECTIONS} connections authenticating at once) ` +
        `took ${n2(warm.seconds)} s, p50 ${ms(warm.p50)}, p99 ${ms(warm.p99)}.`,
      '',
      '### Where the time goes',
      '',
      `- node:http: ${cpuVerdict(helloCpu, 'node:http')}`,
      `- Crest: ${cpuVerdict(crestCpu)} ${waitVerdict(crestWaits)}`,
      `- PostgreSQL sessions of Crest, sampled every 50 ms: ${formatWaits(crestWaits, 5)}`,
    ].join('\n');
    return { id: ID, markdown: md };
  } finally {
    await crest?.stop();
    await admin.end();
    await sampler.end();
    await db.drop();
    ctx.log(`dropped ${db.name}`);
  }
}
