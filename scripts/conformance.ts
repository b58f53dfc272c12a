/**
 * Runs ADL's LRS conformance suite (github adlnet/lrs-conformance-test-suite) against a fresh Crest.
 *
 *   npm run conformance -- [--version 2.0.0|1.0.3|both] [--grep REGEX] [--suite DIR]
 *
 * The suite is not part of Crest: clone it anywhere and run `npm install --ignore-scripts` in it, then
 * point CREST_CONFORMANCE_DIR (or --suite) at it; the default is ../lrs-conformance beside this repo.
 * Each version gets its own server and data folder (PGlite in a temp folder, or PostgreSQL when
 * DATABASE_URL is set: a scratch database on that server), so runs don't see each other's statements. Prints the summary and writes the
 * failing tests to .tmp/conformance-<version>.txt.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../test/cli-runner.ts';
import { createScratchDatabase } from '../test/databases.ts';

interface LogNode {
  title?: string;
  status?: string;
  error?: string;
  tests?: LogNode[];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const suiteDir = path.resolve(
  arg('suite') ?? process.env.CREST_CONFORMANCE_DIR ?? path.join('..', 'lrs-conformance'),
);
if (!existsSync(path.join(suiteDir, 'bin', 'console_runner.js'))) {
  console.error(
    `crest: the ADL conformance suite is not at ${suiteDir}.\n` +
      '  Clone github.com/adlnet/lrs-conformance-test-suite there and run "npm install --ignore-scripts" in it,\n' +
      '  or set CREST_CONFORMANCE_DIR / --suite to where it is.',
  );
  process.exit(2);
}
const versions = (arg('version') ?? 'both') === 'both' ? ['2.0.0', '1.0.3'] : [arg('version')!];
const grep = arg('grep');

function failures(node: LogNode, trail: string[] = [], out: string[] = []): string[] {
  const here = node.title ? [...trail, node.title] : trail;
  if (node.status === 'failed' && !node.tests?.length)
    out.push(`${here.join(' › ')}\n    ${node.error ?? ''}`);
  for (const child of node.tests ?? []) failures(child, here, out);
  return out;
}

/** With DATABASE_URL, each run gets a scratch database on that server, dropped afterwards. */
async function scratchDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const base = process.env.DATABASE_URL;
  return base ? createScratchDatabase(base, 'crest_conformance') : undefined;
}

async function runOnce(version: string): Promise<boolean> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `crest-conformance-${version}-`));
  const scratch = await scratchDatabase();
  const server = await startServer({
    CREST_DATA_DIR: dataDir,
    CREST_XAPI_DEFAULT_VERSION: version,
    LOG_LEVEL: 'error',
    ...(scratch ? { DATABASE_URL: scratch.url } : {}),
  });
  try {
    return await runSuite(version, server);
  } finally {
    await server.stop();
    await scratch?.drop();
  }
}

async function runSuite(version: string, server: Awaited<ReturnType<typeof startServer>>): Promise<boolean> {
  const key = /key:\s+(\S+)/.exec(server.output())?.[1];
  const secret = /secret:\s+(\S+)/.exec(server.output())?.[1];
  if (!key || !secret) throw new Error(`no demo credentials in the server output:\n${server.output()}`);
  const logsDir = path.join(suiteDir, 'logs');
  const before = new Set(existsSync(logsDir) ? readdirSync(logsDir) : []);
  const args = [
    'bin/console_runner.js',
    '-e',
    `${server.url}/xapi`,
    '-a',
    '-u',
    key,
    '-p',
    secret,
    '-x',
    version,
  ];
  if (grep) args.push('-g', grep);
  console.log(
    `\n== ADL LRS conformance ${version} against ${server.url}/xapi (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`,
  );
  await new Promise<void>((resolve) => {
    const child = spawn(process.execPath, args, { cwd: suiteDir, stdio: ['ignore', 'pipe', 'inherit'] });
    let last = '';
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      const m = text.match(/\{"total":\d+,"passed":\d+,"failed":\d+[^}]*\}/g);
      if (m) {
        last = m[m.length - 1]!;
        process.stdout.write(`\r${last}   `);
      }
    });
    // The suite can hang forever on a dropped connection: cap a run at 30 minutes.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30 * 60_000);
    child.on('close', () => {
      clearTimeout(timer);
      process.stdout.write('\n');
      resolve();
    });
  });
  const fresh = (existsSync(logsDir) ? readdirSync(logsDir) : [])
    .filter((f) => !before.has(f) && f.endsWith('.log'))
    .sort((a, b) => statSync(path.join(logsDir, b)).mtimeMs - statSync(path.join(logsDir, a)).mtimeMs);
  if (fresh.length === 0) {
    console.log('no log file was written');
    return false;
  }
  const log = JSON.parse(readFileSync(path.join(logsDir, fresh[0]!), 'utf8')) as {
    summary: Record<string, number>;
    log: LogNode;
  };
  // The suite keeps its tree of results under the file's `log` key.
  const failed = failures(log.log);
  mkdirSync('.tmp', { recursive: true });
  const report = path.join('.tmp', `conformance-${version}.txt`);
  writeFileSync(report, failed.join('\n\n'));
  console.log(`summary ${version}: ${JSON.stringify(log.summary)} (failures listed in ${report})`);
  return log.summary.failed === 0 && log.summary.passed === log.summary.total;
}

let ok = true;
for (const v of versions) ok = (await runOnce(v)) && ok;
process.exit(ok ? 0 : 1);
