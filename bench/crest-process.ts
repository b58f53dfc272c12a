import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SERVE_NODE_FLAGS } from '../server/node-flags.ts';
import { startServer } from '../test/cli-runner.ts';

export interface CrestProcess {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  pid: number;
  keyId: string;
  /** The `Authorization` header value for the demo tenant's key. */
  authorization: string;
  /** The authority Crest stamps on statements sent with this key (xAPI 2.0 Part Two §2.4.9). */
  authority: { objectType: 'Agent'; account: { homePage: string; name: string } };
  /** Everything it printed (warn level and up): 5xx causes show here. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * The Node flags `crest serve` starts with: those `npm start` uses (SERVE_NODE_FLAGS), then
 * BENCH_CREST_NODE_ARGS, e.g. '--cpu-prof --cpu-prof-dir=.tmp/prof' to profile the server under load (Node
 * refuses --cpu-prof in NODE_OPTIONS).
 */
function nodeArgs(): string[] {
  return [...SERVE_NODE_FLAGS, ...(process.env.BENCH_CREST_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)];
}

/**
 * Starts the real `crest serve` (a child process, as in production) on PostgreSQL, and reads the demo
 * tenant's key and secret from its first-start banner. It stops on `stop()`, and in any case when this
 * process exits (SIGINT, then SIGKILL if it has not gone within 20 s).
 */
export async function startCrest(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<CrestProcess> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'crest-bench-'));
  const server = await startServer(
    {
      // Crest's own settings from the bench's environment (e.g. CREST_COMMIT_LINGER_MS=10 to try another value).
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CREST_'))),
      HOST: '127.0.0.1',
      CREST_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      ...env,
    },
    60_000,
    nodeArgs(),
  );
  const out = server.output();
  const key = /key:\s+(\S+)/.exec(out)?.[1];
  const secret = /secret:\s+(\S+)/.exec(out)?.[1];
  if (!key || !secret) {
    await server.stop();
    throw new Error(`crest serve printed no demo credentials:\n${out}`);
  }
  const kill = () => server.child.kill('SIGKILL');
  process.once('exit', kill);
  let stopped = false;
  return {
    url: server.url,
    pid: server.child.pid!,
    keyId: key,
    authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`,
    authority: { objectType: 'Agent', account: { homePage: `${server.url}/xapi`, name: key } },
    output: () => server.output(),
    async stop() {
      if (stopped) return;
      stopped = true;
      const exited = server.stop();
      const timer = setTimeout(() => server.child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      process.removeListener('exit', kill);
      // BENCH_CREST_OUTPUT=file keeps what the server printed, e.g. with BENCH_CREST_NODE_ARGS=--trace-gc.
      if (process.env.BENCH_CREST_OUTPUT) await writeFile(process.env.BENCH_CREST_OUTPUT, server.output());
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const XAPI_HEADERS = {
  'x-experience-api-version': '2.0.0',
  'content-type': 'application/json',
};
