import { prepareStatement } from '../lrs/model/prepare-statement.ts';
import { copyStatements, createFloorSchema } from './copy-floor.ts';
import { type CrestProcess, startCrest, XAPI_HEADERS } from './crest-process.ts';
import { type LoadSummary, runLoad } from './load.ts';
import { type CpuShare, cpuAccount, cpuVerdict, formatCpu, quietly } from './machine.ts';
import { formatWaits, sampleWaits, type WaitShare, waitVerdict } from './pg-waits.ts';
import { ms, n0, n2, pass, type ScenarioContext, type ScenarioReport, table } from './results.ts';
import { createScratchDatabase } from './scratch-db.ts';
import { createStatementGenerator } from './statements.ts';

export const ID = 'batch-vs-copy';
const TARGET = 0.5;

interface CrestRun {
  connections: number;
  load: LoadSummary;
  acked: number;
  stored: number;
  cpu: CpuShare;
  waits: WaitShare[];
}

/**
 * Scenario A: how close Crest's POST of 100-statement batches comes to raw COPY of the same rows into
 * the same table shapes, in one scratch database, in one run.
 */
export async function runBatchVsCopy(ctx: ScenarioContext): Promise<ScenarioReport> {
  const total = Math.max(1000, Math.round(50_000 * ctx.scale));
  const batch = 100;
  const levels = [1, 4, 16];
  const db = await createScratchDatabase();
  ctx.log(`scratch database ${db.name}`);
  let crest: CrestProcess | undefined;
  const admin = await db.client();
  const sampler = await db.client();
  try {
    crest = await startCrest(db.url);
    ctx.log(`crest serve on ${crest.url} (pid ${crest.pid})`);
    const gen = createStatementGenerator({ seed: ID });

    // (a) the COPY floor, twice: the statements table alone, and with its two index tables.
    const copySet = gen.batch(total);
    const stored = new Date().toISOString();
    const prepared = copySet.map((s) =>
      prepareStatement(s, { stored, authority: crest!.authority, version: '2.0.0' }),
    );
    await createFloorSchema(admin, 'floor_statements', 't_demo', false);
    ctx.log(`COPY ${n0(total)} statements into the statements table alone`);
    const copyOne = await copyStatements(admin, 'floor_statements', prepared, crest.keyId, false);
    ctx.log(`  ${n0(total / copyOne)} rows/s`);
    // The full floor runs before and after Crest's runs, each into fresh tables; the faster one counts.
    let floors = 0;
    const copyFull = async () => {
      const schema = `floor_full_${++floors}`;
      await createFloorSchema(admin, schema, 't_demo', true);
      ctx.log(
        `COPY ${n0(total)} statements into ${schema}: statements + statement_agents + statement_activities`,
      );
      const cpu = await cpuAccount(admin, db.name, crest!.pid);
      const seconds = await copyStatements(admin, schema, prepared, crest!.keyId, true);
      const share = await cpu();
      ctx.log(`  ${n0(total / seconds)} statements/s (${formatCpu(share)})`);
      return { seconds, cpu: share };
    };
    const copyBefore = await quietly('COPY', ctx.log, copyFull);
    const avgBytes = await admin.query<{ b: number }>(
      'SELECT avg(pg_column_size(statement))::float AS b FROM floor_full_1.statements',
    );

    // (b) Crest, 100-statement POSTs at a few concurrency levels, exactly `total` statements each.
    const url = `${crest.url}/xapi/statements`;
    const headers = { ...XAPI_HEADERS, authorization: crest.authorization };
    const countRows = async () =>
      Number((await admin.query('SELECT count(*) AS n FROM t_demo.statements')).rows[0].n);
    const post = async (label: string, connections: number, bodies: string[]) => {
      let next = 0;
      let acked = 0;
      const load = await runLoad({
        label,
        url,
        connections,
        amount: bodies.length,
        maxSeconds: 180,
        method: 'POST',
        headers,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }),
            onResponse: (status, body) => {
              if (status === 200) acked += (JSON.parse(body) as string[]).length;
            },
          },
        ],
        log: ctx.log,
      });
      return { load, acked };
    };
    const bodiesOf = (statements: number) =>
      Array.from({ length: Math.ceil(statements / batch) }, () => JSON.stringify(gen.batch(batch)));

    ctx.log('warm-up: 20 batches at -c 4');
    const warm = await post('warm-up', 4, bodiesOf(20 * batch));
    // Each level posts `total` statements, or about 20 s worth at the warm-up rate if that is less, so a
    // slow Crest cannot stretch the run past its time budget.
    const perLevel = Math.min(
      total,
      Math.max(5000, Math.round(((warm.acked / warm.load.seconds) * 20) / batch) * batch),
    );
    const runs: CrestRun[] = [];
    for (const connections of levels) {
      ctx.log(`Crest: ${Math.ceil(perLevel / batch)} POSTs of ${batch} statements at -c ${connections}`);
      const run = await quietly(`crest -c ${connections}`, ctx.log, async () => {
        const bodies = bodiesOf(perLevel);
        const before = await countRows();
        const cpu = await cpuAccount(admin, db.name, crest!.pid);
        const waits = sampleWaits(sampler, db.name);
        const { load, acked } = await post(`crest -c ${connections}`, connections, bodies);
        const share = await cpu();
        const storedRows = (await countRows()) - before;
        return { connections, load, acked, stored: storedRows, cpu: share, waits: await waits() };
      });
      runs.push(run);
      const { load, acked, cpu: share } = run;
      ctx.log(
        `  ${n0(acked / load.seconds)} statements/s, p99 ${ms(load.p99)}, ${load.non2xx} non-2xx (${formatCpu(share)})`,
      );
    }

    const copyAfter = await quietly('COPY', ctx.log, copyFull);
    const copyAll = Math.min(copyBefore.seconds, copyAfter.seconds);
    const floor = total / copyAll;
    const best = runs.reduce((a, b) => (b.acked / b.load.seconds > a.acked / a.load.seconds ? b : a));
    const ratio = best.acked / best.load.seconds / floor;
    const rows: (string | number)[][] = [
      [
        'COPY → statements only',
        '1 stream',
        n0(total),
        n2(copyOne),
        n0(total / copyOne),
        n2(total / copyOne / floor),
        '—',
        '—',
        '—',
        '—',
      ],
      ...[
        ['before Crest', copyBefore],
        ['after Crest', copyAfter],
      ].map(([when, c]) => {
        const { seconds, cpu } = c as { seconds: number; cpu: CpuShare };
        return [
          `COPY → statements + agent/activity index tables, ${when}${seconds === copyAll ? ' (**floor**)' : ''}`,
          '1 stream',
          n0(total),
          n2(seconds),
          n0(total / seconds),
          n2(total / seconds / floor),
          '—',
          '—',
          '—',
          formatCpu(cpu),
        ];
      }),
      ...runs.map((r) => [
        `Crest POST ${batch}/request`,
        `-c ${r.connections}`,
        `${n0(r.acked)} acked / ${n0(r.stored)} stored`,
        n2(r.load.seconds),
        n0(r.acked / r.load.seconds),
        n2(r.acked / r.load.seconds / floor),
        ms(r.load.p50),
        ms(r.load.p99),
        String(r.load.non2xx + r.load.errors),
        formatCpu(r.cpu),
      ]),
    ];
    const lost = runs.filter((r) => r.stored !== r.acked);
    const deadlocks = (crest.output().match(/deadlock detected/g) ?? []).length;
    const statuses: Record<string, number> = {};
    for (const r of runs)
      for (const [code, n] of Object.entries(r.load.statusCodes))
        if (code !== '200') statuses[code] = (statuses[code] ?? 0) + n;
    const md = [
      '## A. Batch POST vs COPY (`batch-vs-copy`)',
      '',
      `COPY: ${n0(total)} statements per row; Crest: ${n0(perLevel)} per level (50,000, or about 20 s at the ` +
        `warm-up rate if less). Average ${n0(avgBytes.rows[0]!.b)} bytes of stored JSONB each. ` +
        `COPY goes into tables created \`LIKE t_demo.<table> INCLUDING ALL\` (same columns, CHECKs, primary keys and ` +
        'indexes, plus the same foreign keys) in the same scratch database, one transaction, timed from statement ' +
        "objects in memory to COMMIT, index rows derived with Crest's own `indexStatement`. That is the least work " +
        'PostgreSQL can do to hold what Crest holds, so it is the floor the ratio is taken against. It leaves out ' +
        'what COPY cannot do and Crest must: the duplicate-id check, the `agents`/`activities` upserts, RLS, HTTP, ' +
        'validation and acknowledging each request after its commit.',
      '',
      table(
        [
          'writer',
          'concurrency',
          'statements',
          's',
          'statements/s',
          '× floor',
          'p50',
          'p99',
          'non-2xx + errors',
          'CPU (cores)',
        ],
        rows,
      ),
      '',
      `**Crest/COPY = ${n2(ratio)}×** (best level, -c ${best.connections}); target ≥ ${TARGET}× — ${pass(ratio >= TARGET)}. ` +
        `Stored rows ${lost.length === 0 ? 'equal acknowledged statements at every level' : `differ from acknowledged at -c ${lost.map((r) => r.connections).join(', ')}`}.`,
      '',
      `Failed requests by status: ${Object.keys(statuses).length ? JSON.stringify(statuses) : 'none'}; ` +
        `"deadlock detected" in Crest's log: ${deadlocks}.`,
      '',
      '### Where the time goes',
      '',
      ...runs.flatMap((r) => [
        `- -c ${r.connections}: ${cpuVerdict(r.cpu)} ${waitVerdict(r.waits)} PostgreSQL sessions of Crest, sampled every 50 ms: ${formatWaits(r.waits, 4)}`,
      ]),
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
