import { execFileSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMPORT_ENV, IMPORT_NODE_FLAGS } from '../server/node-flags.ts';
import type { ImportChildResult } from './import-child.ts';
import { busyNow } from './machine.ts';
import { type MeasuredRun, runMeasured } from './measured-process.ts';
import { n0, n1, n2, pass, type ScenarioContext, type ScenarioReport, table } from './results.ts';
import { createScratchDatabase } from './scratch-db.ts';
import { describeSpec, packageSpec, syntheticPackage } from './synthetic-package.ts';

export const ID = 'import';
const RSS_TARGET = 150 * 2 ** 20;
const RATIO_TARGET = 1.5;
const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(ROOT, '.tmp', 'bench');
const MiB = (n: number) => `${n1(n / 2 ** 20)} MiB`;

interface Attempt {
  run: MeasuredRun;
  /** Share of the machine other processes were using just before it (0–1). */
  busyBefore: number;
}
interface CrestAttempt extends Attempt {
  result: ImportChildResult;
}

/*
 * Each run writes into a folder of its own, and all of them are deleted only at the end. Deleting the
 * previous run's thousands of files right before a run made the next one slow in the kernel: ext4 skips
 * inodes freed in the last ~30 s when it allocates new ones (recently_deleted), scanning past each of
 * them, which showed as the top kernel symbol under perf. A `sync` before each run flushes the previous
 * run's dirty pages, so no run pays for another's writeback.
 */
async function freshFolder(name: string): Promise<string> {
  const dir = path.join(WORK, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  execFileSync('sync');
  return dir;
}

/**
 * Scenario D: importing a ~1 GB course package. `unzip -q` of the same file into a local folder is the
 * floor; Crest's import runs in its own process (what `crest import FILE` does offline, into the folder
 * BlobStore, on PostgreSQL), and reports its peak RSS. Two runs of each, interleaved; the best of each.
 */
export async function runImportVsUnzip(ctx: ScenarioContext): Promise<ScenarioReport> {
  const spec = packageSpec(ctx.scale);
  ctx.log(`package: ${describeSpec(spec)}`);
  const pkg = await syntheticPackage(WORK, spec);
  ctx.log(
    `${path.relative(ROOT, pkg.file)}: ${MiB(pkg.bytes)}, ${n0(pkg.files)} files, ${MiB(pkg.uncompressedBytes)} unpacked ` +
      `(${pkg.generatedIn ? `generated in ${n1(pkg.generatedIn)} s` : 'reused from an earlier run'})`,
  );
  const db = await createScratchDatabase();
  ctx.log(`scratch database ${db.name}`);
  const outputs: string[] = [];
  const unzips: Attempt[] = [];
  const crests: CrestAttempt[] = [];
  try {
    for (let round = 1; round <= 2; round++) {
      const unzipDir = await freshFolder(`unzip-out-${round}`);
      outputs.push(unzipDir);
      let busyBefore = await busyNow(1000);
      const unzip = await runMeasured('unzip', ['-q', pkg.file, '-d', unzipDir], { maxSeconds: 300 });
      if (unzip.code !== 0) throw new Error(`unzip exited with ${unzip.code}: ${unzip.stderr}`);
      unzips.push({ run: unzip, busyBefore });
      ctx.log(`  unzip #${round}: ${n2(unzip.seconds)} s, peak RSS ${MiB(unzip.peakRss)}`);

      const blobDir = await freshFolder(`crest-blobs-${round}`);
      outputs.push(blobDir);
      busyBefore = await busyNow(1000);
      const crest = await runMeasured(
        process.execPath,
        [
          // Started the way `crest import` starts its import process (server/node-flags.ts).
          ...IMPORT_NODE_FLAGS,
          '--import',
          'tsx',
          path.join(ROOT, 'bench', 'import-child.ts'),
          pkg.file,
          blobDir,
          db.url,
          `bench${round}`,
        ],
        { cwd: ROOT, maxSeconds: 600, env: { ...process.env, ...IMPORT_ENV } },
      );
      const line = crest.stdout.trim().split('\n').pop() ?? '';
      if (crest.code !== 0 || !line.startsWith('{'))
        throw new Error(`the import process exited with ${crest.code}:\n${crest.stderr.slice(-2000)}`);
      const result = JSON.parse(line) as ImportChildResult;
      if (
        result.status !== 'succeeded' ||
        result.files !== pkg.files ||
        result.bytes !== pkg.uncompressedBytes
      )
        throw new Error(`the import did not store the whole package: ${line}`);
      crests.push({ run: crest, result, busyBefore });
      ctx.log(
        `  Crest #${round}: store upload ${n2(result.uploadS)} s + import job ${n2(result.importS)} s, ` +
          `peak RSS ${MiB(result.maxRss)} (${MiB(result.baselineRss)} before the import)`,
      );
    }
  } finally {
    await db.drop();
    for (const dir of outputs) await rm(dir, { recursive: true, force: true });
    ctx.log(`dropped ${db.name}`);
  }

  const unzip = unzips.reduce((a, b) => (b.run.seconds < a.run.seconds ? b : a));
  const crest = crests.reduce((a, b) => (b.result.importS < a.result.importS ? b : a));
  const r = crest.result;
  const peak = Math.max(...crests.map((c) => c.result.maxRss));
  const ratio = r.importS / unzip.run.seconds;
  const ratioTotal = (r.uploadS + r.importS) / unzip.run.seconds;
  const rounds = crests.map((c, i) => `${n2(c.result.importS / unzips[i]!.run.seconds)}×`).join(' and ');
  const cpuRatio =
    Math.min(...crests.map((c) => c.run.cpuSeconds)) / Math.min(...unzips.map((u) => u.run.cpuSeconds));
  const phase = (from: string, to?: string) =>
    (to ? (r.phases[to] ?? r.importS) : r.importS) - (r.phases[from] ?? 0);
  const disturbed = Math.max(...[...unzips, ...crests].map((a) => a.run.otherCores));
  const busy = (a: Attempt) => `${(a.busyBefore * 100).toFixed(0)}%`;
  const md = [
    '## D. Import of a ~1 GB package vs unzip (`import`)',
    '',
    `A synthetic SCORM 1.2 package generated into \`.tmp/bench/\` (never committed): ${describeSpec(spec)}; ` +
      `${MiB(pkg.bytes)} zipped, ${n0(pkg.files)} files, ${MiB(pkg.uncompressedBytes)} unpacked. ` +
      '`unzip -q` of the same file into a local folder is the floor. Crest runs in a process of its own, started the way ' +
      `\`crest import\` starts its import process (\`${[...IMPORT_NODE_FLAGS, ...Object.entries(IMPORT_ENV).map(([k, v]) => `${k}=${v}`)].join(' ')}\`), ` +
      'what `crest import FILE` does offline: `startImport` streams the file into the folder BlobStore (the upload), then `runImport` (the import job ' +
      'a worker runs) reads it where the store keeps it, inspects the central directory, validates the manifest, extracts every ' +
      'file into the BlobStore (size and CRC-checked, the etag taken from the CRC-32 and size; content and record in one file per blob; every file and folder fsynced once at the end, before the version is recorded) and records the version in ' +
      'PostgreSQL. Every run starts on an empty output folder after `sync`; two runs of each, interleaved, best of each ' +
      'below. unzip does not fsync, so part of its writing is still in the page cache when it exits.',
    '',
    table(
      ['run', 'wall s', 'peak RSS', 'CPU s', 'machine busy before', 'other processes during (cores)'],
      [
        ...unzips.map((u, i) => [
          `unzip -q #${i + 1}`,
          n2(u.run.seconds),
          MiB(u.run.peakRss),
          n1(u.run.cpuSeconds),
          busy(u),
          n2(u.run.otherCores),
        ]),
        ...crests.map((c, i) => [
          `Crest #${i + 1}: upload stored + import job`,
          `${n2(c.result.uploadS)} + ${n2(c.result.importS)}`,
          `${MiB(c.result.maxRss)} (${MiB(c.result.baselineRss)} before)`,
          n1(c.run.cpuSeconds),
          busy(c),
          n2(c.run.otherCores),
        ]),
      ],
    ),
    '',
    `- **Import job / unzip = ${n2(ratio)}×** (${n2(r.importS)} s vs ${n2(unzip.run.seconds)} s); target ≤ ${RATIO_TARGET}× — ${pass(ratio <= RATIO_TARGET)}.`,
    `- Round by round (each import job against the unzip just before it): ${rounds}. CPU seconds, which other ` +
      `processes disturb less than wall time: Crest (upload + import job) used ${n2(cpuRatio)}× unzip's.`,
    `- Whole \`crest import\` (storing the upload + the import job) / unzip = ${n2(ratioTotal)}×.`,
    ...(disturbed > 0.3
      ? [
          `- **Other work was running**: processes outside the bench kept up to ${n2(disturbed)} of the ${os.availableParallelism()} ` +
            'cores busy during the runs (last column), so the wall times and ratios are disturbed; CPU seconds less so.',
        ]
      : []),
    `- **Peak RSS of the import process = ${MiB(peak)}** (highest of the runs, \`process.resourceUsage().maxRSS\`); ` +
      `target ≤ ${MiB(RSS_TARGET)} — ${pass(peak <= RSS_TARGET)}. Of that, ${MiB(r.baselineRss)} is Node, tsx and Crest's modules ` +
      'with the database pool open, before the import starts.',
    '',
    '### Where the time goes (best Crest run)',
    '',
    table(
      ['phase', 's'],
      [
        ['store the upload (`startImport`: stream, md5, fsync)', n2(r.uploadS)],
        [
          'find the stored upload (a local file in the folder store; S3 would download it)',
          n2(phase('downloading', 'inspecting')),
        ],
        [
          'inspect the central directory, detect, validate the manifest',
          n2(phase('inspecting', 'extracting')),
        ],
        ['extract into the BlobStore, record the version', n2(phase('extracting'))],
      ],
    ),
  ].join('\n');
  return { id: ID, markdown: md };
}
