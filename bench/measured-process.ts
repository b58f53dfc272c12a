import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { processCpu } from './machine.ts';

export interface MeasuredRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall clock from spawn to exit. */
  seconds: number;
  /** The kernel's high-water mark of the process's RSS (VmHWM), last read before it exited. */
  peakRss: number;
  /** User + system CPU seconds, last read before it exited. */
  cpuSeconds: number;
  /** Cores the rest of the machine kept busy meanwhile (other work disturbs the run when this is high). */
  otherCores: number;
}

/** Busy CPU seconds of the whole machine so far (/proc/stat; idle and iowait are not busy). */
function machineBusy(): number {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (v.reduce((a, b) => a + b, 0) - (v[3] ?? 0) - (v[4] ?? 0)) / 100;
}

/** VmHWM of a live process in bytes, or undefined once it has gone. */
function highWaterMark(pid: number): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * Runs a command to its end and measures it from outside: wall time, and VmHWM and CPU sampled from
 * /proc every 20 ms (a high-water mark, so the last sample is the peak up to then). Killed after
 * `maxSeconds` whatever happens.
 */
export function runMeasured(
  command: string,
  args: string[],
  opts: { cwd?: string; maxSeconds: number; env?: NodeJS.ProcessEnv },
): Promise<MeasuredRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const busy0 = machineBusy();
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    let peakRss = 0;
    let cpuSeconds = 0;
    const sample = () => {
      const hwm = highWaterMark(child.pid!);
      if (hwm === undefined) return;
      peakRss = Math.max(peakRss, hwm);
      cpuSeconds = Math.max(cpuSeconds, processCpu(child.pid!));
    };
    const sampler = setInterval(sample, 20);
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    const timer = setTimeout(kill, opts.maxSeconds * 1000);
    child.on('error', (err) => {
      clearInterval(sampler);
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      clearInterval(sampler);
      clearTimeout(timer);
      process.removeListener('exit', kill);
      const otherCores = Math.max(0, machineBusy() - busy0 - cpuSeconds) / seconds;
      resolve({ code, stdout, stderr, seconds, peakRss, cpuSeconds, otherCores });
    });
  });
}
