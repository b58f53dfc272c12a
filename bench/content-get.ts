import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { scorm12Manifest } from '../test/packages.ts';
import { buildZip } from '../test/zip-builder.ts';
import { type CrestProcess, startCrest } from './crest-process.ts';
import { type LoadSummary, runLoad } from './load.ts';
import { type CpuShare, cpuAccount, cpuVerdict, formatCpu, quietly } from './machine.ts';
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
import { startStatic } from './static-process.ts';

export const ID = 'content-get';
const CONNECTIONS = 100;
const RATIO_TARGET = 0.7;
const PAGE_BYTES = 4096;

/** A 4 KiB launch page: the first file a learner's browser asks the content origin for. */
function launchPage(): string {
  const head = '<!doctype html><html><head><meta charset="utf-8"><title>Lesson 1</title></head><body>\n';
  const tail = '</body></html>\n';
  let body = '';
  for (let i = 0; head.length + body.length + tail.length < PAGE_BYTES; i++)
    body += `<p class="para-${i}">Fire doors must stay closed; paragraph ${i}.</p>\n`;
  return (head + body).slice(0, PAGE_BYTES - tail.length) + tail;
}

/** Uploads a course through Crest's API, waits for the import, returns the launch URL the API gives. */
async function importCourse(crest: CrestProcess, zip: Buffer): Promise<string> {
  const call = async (url: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(url, crest.url), {
      ...init,
      headers: { authorization: crest.authorization, ...init.headers },
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  const upload = await call('/api/v1/courses', {
    method: 'POST',
    headers: { 'content-type': 'application/zip' },
    body: new Uint8Array(zip),
  });
  for (let i = 0; ; i++) {
    const job = await call(upload.links.job);
    if (job.status === 'succeeded') break;
    if (job.status === 'failed' || i > 600) throw new Error(`import did not succeed: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const course = await call(upload.links.course);
  return course.versions[0].launchUrl;
}

interface Run {
  name: string;
  load: LoadSummary;
  cpu: CpuShare;
}

/**
 * Content GET throughput: autocannon -c 100 on one small course file, from Crest's content listener
 * (the real `crest serve`, the course imported through the API, the URL the API gives) and from
 * node:http serving the same bytes, side by side in one run.
 */
export async function runContentGet(ctx: ScenarioContext): Promise<ScenarioReport> {
  const seconds = Math.max(5, Math.round(15 * ctx.scale));
  const db = await createScratchDatabase();
  ctx.log(`scratch database ${db.name}`);
  const admin = await db.client();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crest-bench-content-'));
  let crest: CrestProcess | undefined;
  try {
    const page = launchPage();
    const zip = await buildZip([
      { path: 'imsmanifest.xml', data: scorm12Manifest(['Lesson 1', 'Lesson 2']) },
      { path: 'sco0/index.html', data: page },
      { path: 'sco1/index.html', data: '<!doctype html><title>Lesson 2</title>' },
    ]);
    crest = await startCrest(db.url);
    const launchUrl = await importCourse(crest, zip);
    ctx.log(`crest serve (pid ${crest.pid}); launch URL ${launchUrl}`);
    const file = path.join(dir, 'index.html');
    await writeFile(file, page);

    // Each server must answer with the very bytes: a fast wrong answer would measure nothing.
    const check = async (url: string) => {
      const res = await fetch(url);
      const body = await res.text();
      if (res.status !== 200 || body !== page)
        throw new Error(`${url} answered ${res.status} with ${body.length} bytes, not the page`);
      return res.headers;
    };
    const crestHeaders = await check(launchUrl);

    const measure = async (name: string, url: string, pid: number): Promise<Run> => {
      const common = { url, connections: CONNECTIONS, log: ctx.log };
      await runLoad({ ...common, label: `${name} warm-up`, durationS: 3, maxSeconds: 30 });
      const m = await quietly(name, ctx.log, async () => {
        const cpu = await cpuAccount(admin, db.name, pid);
        const load = await runLoad({ ...common, label: name, durationS: seconds, maxSeconds: seconds + 30 });
        return { load, cpu: await cpu() };
      });
      ctx.log(`  ${name}: ${n0(m.load.rps)} req/s, p99 ${ms(m.load.p99)} (${formatCpu(m.cpu, name)})`);
      return { name, ...m };
    };

    const runs: Run[] = [];
    for (const mode of ['fs', 'cached'] as const) {
      const server = await startStatic(file, mode, seconds * 4 + 120);
      try {
        await check(server.url);
        runs.push(
          await measure(
            mode === 'fs' ? 'node:http, file read per request' : 'node:http, bytes in memory',
            server.url,
            server.pid,
          ),
        );
      } finally {
        await server.stop();
      }
    }
    runs.push(await measure('Crest content listener', launchUrl, crest.pid));

    const [fsRun, cachedRun, crestRun] = runs as [Run, Run, Run];
    const ratio = crestRun.load.rps / fsRun.load.rps;
    const ratioCached = crestRun.load.rps / cachedRun.load.rps;
    const bad = (l: LoadSummary) => l.non2xx + l.errors + l.timeouts;
    const row = (r: Run) => [r.name, ...latencyCells(r.load), n0(bad(r.load)), formatCpu(r.cpu, 'server')];
    const md = [
      '## E. Content GET vs node:http (`content-get`)',
      '',
      `autocannon -c ${CONNECTIONS} for ${seconds} s (after 3 s of warm-up) on one ${PAGE_BYTES / 1024} KiB launch page. Crest is the ` +
        'real `crest serve` (LOG_LEVEL=warn, folder BlobStore); the course was uploaded through its API and the URL is ' +
        'the launch URL `GET /api/v1/courses/:id` gave, on the content listener. The baselines are node:http in its own process serving the same bytes: ' +
        'stat + stream from disk on every request (what a static file server does, and what Crest does: it reads the ' +
        "blob's record and streams its data file), and from memory (the ceiling).",
      '',
      table(
        ['server', 's', 'responses', 'req/s', 'p50', 'p90', 'p99', 'max', 'non-2xx + errors', 'CPU (cores)'],
        runs.map(row),
      ),
      '',
      `- **Crest/node:http (file read per request) = ${n2(ratio)}×**; target ≥ ${RATIO_TARGET}× — ${pass(ratio >= RATIO_TARGET)}.`,
      `- Crest/node:http (bytes in memory) = ${n2(ratioCached)}×.`,
      `- Crest's response carries \`etag\`, \`cache-control: ${crestHeaders.get('cache-control')}\`, \`accept-ranges\`, ` +
        '`x-content-type-options` and `x-request-id`, which the baselines do not send.',
      '',
      '### Where the time goes',
      '',
      ...runs.map((r) => `- ${r.name}: ${cpuVerdict(r.cpu, r.name)}`),
    ].join('\n');
    return { id: ID, markdown: md };
  } finally {
    await crest?.stop();
    await admin.end();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
    ctx.log(`dropped ${db.name}`);
  }
}
