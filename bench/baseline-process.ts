import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface BaselineProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts a node:http baseline (`bench/<script>`, which prints "listening <port>") in its own process, as
 * Crest runs in its own. It is killed if this process exits first, and stops by itself after the time
 * its arguments give it.
 */
export function startBaseline(script: string, args: readonly string[]): Promise<BaselineProcess> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'bench', script), ...args],
      {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start within 20 s`));
    }, 20_000);
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const port = /listening (\d+)/.exec(out)?.[1];
      if (!port) return;
      clearTimeout(timer);
      resolve({
        url: `http://127.0.0.1:${port}`,
        pid: child.pid!,
        async stop() {
          child.stdin!.end();
          child.kill('SIGTERM');
          await exited;
          process.removeListener('exit', kill);
        },
      });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}`));
    });
  });
}
