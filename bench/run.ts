import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ID as A, runBatchVsCopy } from './batch-vs-copy.ts';
import { ID as F, runCommitRate } from './commit-rate.ts';
import { ID as E, runContentGet } from './content-get.ts';
import { ID as C, runFilteredGet } from './filtered-get.ts';
import { ID as D, runImportVsUnzip } from './import-vs-unzip.ts';
import { ID as G, runLaunchPaint } from './launch-paint.ts';
import { formatSpeed, machineInfo, machineSpeed, waitForQuiet } from './machine.ts';
import { type ScenarioContext, type ScenarioReport, writeResults } from './results.ts';
import { ADMIN_URL } from './scratch-db.ts';
import { ID as B, runSinglePostVsNodeHttp } from './single-post-vs-node-http.ts';

/**
 * Runs every scenario, or the ones named (`batch-vs-copy`, `single-post-vs-node-http`, `filtered-get`,
 * `import`, `content-get`, `commit-rate`, `launch-paint`, or a–g), and rewrites the sections of bench/RESULTS.md that ran after each one.
 */
const SCENARIOS: Record<string, { letter: string; run: (ctx: ScenarioContext) => Promise<ScenarioReport> }> =
  {
    [A]: { letter: 'a', run: runBatchVsCopy },
    [B]: { letter: 'b', run: runSinglePostVsNodeHttp },
    [C]: { letter: 'c', run: runFilteredGet },
    [D]: { letter: 'd', run: runImportVsUnzip },
    [E]: { letter: 'e', run: runContentGet },
    [F]: { letter: 'f', run: runCommitRate },
    [G]: { letter: 'g', run: runLaunchPaint },
  };
const ORDER = Object.keys(SCENARIOS);
const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = path.join(ROOT, 'bench', 'RESULTS.md');
const DEADLINE_MIN = 30;

const started = Date.now();
function log(line: string) {
  const s = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  console.log(`[${s}s] ${line}`);
}

/** The commit Crest runs from, and whether files outside bench/ differ from it (read-only git). */
function codeVersion(): string {
  try {
    const git = (...a: string[]) => execFileSync('git', a, { encoding: 'utf8', cwd: ROOT }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', '.', ':!bench').split('\n').filter(Boolean).length;
    return `commit ${head}${dirty ? ` + ${dirty} uncommitted file(s) outside bench/` : ''}`;
  } catch {
    return 'commit unknown (no git)';
  }
}

function pick(args: string[]): string[] {
  if (args.length === 0) return ORDER;
  return args.map((a) => {
    const id = ORDER.find((k) => k === a || SCENARIOS[k]!.letter === a.toLowerCase());
    if (!id) throw new Error(`Unknown scenario "${a}". Choose from: ${ORDER.join(', ')} (or a–g).`);
    return id;
  });
}

async function main() {
  const args = process.argv.slice(2);
  const chosen = pick(args);
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  if (!(scale > 0 && scale <= 1)) throw new Error('BENCH_SCALE must be in (0, 1].');
  // Every run ends by itself: servers get SIGKILL on exit, and scratch databases are crest_bench_*.
  setTimeout(() => {
    log(`hard deadline of ${DEADLINE_MIN} min reached; exiting`);
    process.exit(2);
  }, DEADLINE_MIN * 60_000).unref();
  process.once('SIGINT', () => {
    log('interrupted');
    process.exit(130);
  });

  const m = await machineInfo(ADMIN_URL);
  const event = process.env.npm_lifecycle_event;
  const command = event?.startsWith('bench')
    ? `npm run ${event}`
    : `npx tsx bench/run.ts ${args.join(' ')}`.trim();
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  log(`bench: ${chosen.join(', ')}${scale !== 1 ? ` at scale ${scale}` : ''}`);
  const reports: ScenarioReport[] = [];
  let failed = 0;
  for (const id of chosen) {
    // Another process hogging the CPU would skew every number: wait (bounded) for a quiet machine.
    const busy = await waitForQuiet(log);
    const speed = await machineSpeed();
    log(`── ${id} (machine ${(busy * 100).toFixed(0)}% busy before start; ${formatSpeed(speed)})`);
    const t0 = Date.now();
    const code = codeVersion();
    let report: ScenarioReport;
    try {
      report = await SCENARIOS[id]!.run({ log, scale });
    } catch (err) {
      failed++;
      log(`${id} failed: ${(err as Error).stack ?? err}`);
      report = {
        id,
        markdown: `## ${id}\n\nFailed: \`${String((err as Error).message ?? err).slice(0, 500)}\``,
      };
    }
    const took = (Date.now() - t0) / 1000;
    report.markdown += `\n\n<sub>Run ${date} with \`${command}\` on Crest ${code}${scale !== 1 ? ` (BENCH_SCALE=${scale})` : ''}, on ${m.nproc} cores (${m.cpu}; ${formatSpeed(speed)}); took ${took.toFixed(0)} s; the machine was ${(busy * 100).toFixed(0)}% busy just before it started.</sub>`;
    reports.push(report);
    const header = [
      `Last run: ${date}, \`${command}\`${scale !== 1 ? ` with BENCH_SCALE=${scale}` : ''} (${chosen.join(', ')}), Crest ${codeVersion()}.`,
      '',
      `Machine of the last run (each section's footnote names the one it ran on, since 2026-11-28): ${m.nproc} cores (${m.cpu}), ${m.memoryGb} GB RAM, Node ${m.node}, PostgreSQL ${m.postgres} on 127.0.0.1 ` +
        `(${m.pgSettings}). Load generator, Crest and PostgreSQL share the machine. Its speed before the last ` +
        `section ran: ${formatSpeed(speed)}.`,
    ].join('\n');
    writeResults(RESULTS, header, reports, ORDER);
    log(`wrote ${path.relative(process.cwd(), RESULTS)}`);
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s${failed ? `, ${failed} failed` : ''}`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
