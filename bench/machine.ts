import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface MachineInfo {
  nproc: number;
  cpu: string;
  memoryGb: number;
  node: string;
  postgres: string;
  /** The PostgreSQL settings that shape write and read cost. */
  pgSettings: string;
}

export async function machineInfo(adminUrl: string): Promise<MachineInfo> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const v = await c.query<{ server_version: string }>('SHOW server_version');
    const s = await c.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1) ORDER BY name`,
      [
        [
          'shared_buffers',
          'synchronous_commit',
          'fsync',
          'wal_level',
          'max_wal_size',
          'work_mem',
          'jit',
          'autovacuum',
        ],
      ],
    );
    const fmt = (r: { name: string; setting: string; unit: string | null }) =>
      r.unit === '8kB'
        ? `${r.name}=${(Number(r.setting) * 8) / 1024} MB`
        : `${r.name}=${r.setting}${r.unit ?? ''}`;
    return {
      nproc: os.availableParallelism(),
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      postgres: v.rows[0]!.server_version,
      pgSettings: s.rows.map(fmt).join(', '),
    };
  } finally {
    await c.end();
  }
}

const TICK = 100; // USER_HZ (getconf CLK_TCK) on Linux

/** CPU seconds (user + system) a process has used so far, or 0 if it is gone. */
export function processCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICK;
  } catch {
    return 0;
  }
}

/** Busy and total CPU seconds of the whole machine so far (/proc/stat). */
function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / TICK, total: total / TICK };
}

async function postgresPids(client: pg.Client, db: string): Promise<number[]> {
  const r = await client.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE (datname = $1 OR datname IS NULL)`,
    [db],
  );
  return r.rows.map((x) => x.pid);
}

export interface CpuShare {
  seconds: number;
  /** CPU seconds in each place, and the share of the machine's capacity (nproc × seconds). */
  client: number;
  /** The server under test (Crest, or the node:http baseline). */
  crest: number;
  postgres: number;
  other: number;
  idle: number;
}

/**
 * Where the CPU went during a measured run: the load generator (this process), Crest, PostgreSQL (the
 * scratch database's backends plus the shared background processes: WAL writer, checkpointer…), and
 * everything else on the machine. Work outside this bench shows up as `other`.
 */
export async function cpuAccount(
  client: pg.Client,
  db: string,
  crestPid: number | undefined,
): Promise<() => Promise<CpuShare>> {
  const t0 = Date.now();
  const m0 = machineCpu();
  const self0 = process.cpuUsage();
  const crest0 = crestPid ? processCpu(crestPid) : 0;
  const pg0 = new Map((await postgresPids(client, db)).map((p) => [p, processCpu(p)]));
  return async () => {
    const seconds = (Date.now() - t0) / 1000;
    const m1 = machineCpu();
    const self1 = process.cpuUsage(self0);
    const crestCpu = crestPid ? processCpu(crestPid) - crest0 : 0;
    let pgCpu = 0;
    for (const pid of await postgresPids(client, db)) pgCpu += processCpu(pid) - (pg0.get(pid) ?? 0);
    const clientCpu = (self1.user + self1.system) / 1e6;
    const busy = m1.busy - m0.busy;
    const capacity = m1.total - m0.total;
    return {
      seconds,
      client: clientCpu,
      crest: crestCpu,
      postgres: pgCpu,
      other: Math.max(0, busy - clientCpu - crestCpu - pgCpu),
      idle: Math.max(0, capacity - busy),
    };
  };
}

/** "client 0.6 · Crest 0.9 · PostgreSQL 0.4 · other 0.0 · idle 0.1 cores" */
export function formatCpu(c: CpuShare, server = 'Crest'): string {
  const cores = (x: number) => (x / c.seconds).toFixed(2);
  return `client ${cores(c.client)} · ${server} ${cores(c.crest)} · PostgreSQL ${cores(c.postgres)} · other ${cores(c.other)} · idle ${cores(c.idle)}`;
}

/** Machine busy share over the last `ms` (to see whether something else is running before a scenario). */
export async function busyNow(ms = 1000): Promise<number> {
  const a = machineCpu();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineCpu();
  return (b.busy - a.busy) / Math.max(0.001, b.total - a.total);
}

/** Waits (at most `maxSeconds`) until the machine is under 30% busy, so a run starts on a quiet machine. */
export async function waitForQuiet(log: (line: string) => void, maxSeconds = 60): Promise<number> {
  let busy = await busyNow(2000);
  for (let waited = 0; busy > 0.3 && waited < maxSeconds; waited += 2) {
    if (waited === 0)
      log(`machine ${(busy * 100).toFixed(0)}% busy; waiting up to ${maxSeconds} s for it to settle`);
    busy = await busyNow(2000);
  }
  return busy;
}

/** Cores used by processes outside the measured run. */
export const otherCores = (c: CpuShare) => c.other / c.seconds;

/**
 * Runs a measurement, and once more (after waiting for a quiet machine) if processes outside the
 * bench took more than 0.3 of a core during it; keeps the attempt they disturbed least.
 */
export async function quietly<T extends { cpu: CpuShare }>(
  label: string,
  log: (line: string) => void,
  attempt: () => Promise<T>,
): Promise<T> {
  const first = await attempt();
  if (otherCores(first.cpu) <= 0.3) return first;
  log(
    `  ${label}: other processes used ${otherCores(first.cpu).toFixed(2)} cores during the run; measuring again`,
  );
  await waitForQuiet(log, 30);
  const second = await attempt();
  return otherCores(second.cpu) < otherCores(first.cpu) ? second : first;
}

/** One sentence on what limited a run, from its CPU split. */
export function cpuVerdict(c: CpuShare, server = 'Crest'): string {
  const cores = (x: number) => x / c.seconds;
  const users = [
    ['PostgreSQL', cores(c.postgres)],
    [server, cores(c.crest)],
    ['the load generator', cores(c.client)],
  ] as const;
  const [first, second] = [...users].sort((a, b) => b[1] - a[1]) as [
    (typeof users)[number],
    (typeof users)[number],
  ];
  const idle = cores(c.idle);
  const parts = [
    idle < 0.15
      ? `The machine was CPU-bound (idle ${idle.toFixed(2)} cores); ${first[0]} used the most (${first[1].toFixed(2)} cores), then ${second[0]} (${second[1].toFixed(2)}).`
      : idle > 0.3
        ? `The machine was not CPU-bound (${idle.toFixed(2)} cores idle): the run was limited by waiting, not by CPU.`
        : `The machine was nearly CPU-bound (idle ${idle.toFixed(2)} cores); ${first[0]} used the most (${first[1].toFixed(2)} cores).`,
  ];
  if (otherCores(c) > 0.3)
    parts.push(
      `Processes outside the bench took ${otherCores(c).toFixed(2)} cores during it, so read this as a lower bound.`,
    );
  return parts.join(' ');
}

export interface MachineSpeed {
  /** A fixed single-thread workload shaped like a commit's (JSON out and in, SHA-1), best of 3, in ms. */
  workMs: number;
  /** One 8 KB write and fdatasync in the system temp folder, p50 of 200, in ms. */
  fsyncMs: number;
}

/**
 * How fast this machine is, beside its CPU's name: of two 2-core hosts both reporting "AMD EPYC", one ran the
 * player's launch (bench G) and the commit peak (bench F) about twice as fast as the other on the same code
 * (2026-11-28). Numbers from different machines compare only next to these.
 */
export async function machineSpeed(): Promise<MachineSpeed> {
  const body = {
    cmi: {
      suspend_data: 'x'.repeat(5000),
      interactions: Array.from({ length: 8 }, (_, i) => ({ id: `q${i}`, type: 'choice', result: 'correct' })),
    },
  };
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) {
      const text = JSON.stringify({ ...body, seq: i });
      createHash('sha1')
        .update(JSON.stringify(JSON.parse(text)))
        .digest('hex');
    }
    best = Math.min(best, performance.now() - t0);
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crest-bench-fsync-'));
  const file = await open(path.join(dir, 'probe'), 'w');
  const syncs: number[] = [];
  try {
    const block = Buffer.alloc(8192, 1);
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await file.write(block, 0, block.length, 0);
      await file.datasync();
      syncs.push(performance.now() - t0);
    }
  } finally {
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
  syncs.sort((a, b) => a - b);
  return { workMs: Math.round(best), fsyncMs: Math.round(syncs[100]! * 100) / 100 };
}

export const formatSpeed = (s: MachineSpeed) =>
  `reference workload ${s.workMs} ms, fdatasync ${s.fsyncMs} ms (bench/machine.ts machineSpeed)`;
