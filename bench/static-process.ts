import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface StaticProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts bench/static-server.ts (node:http serving `file`, read per request or cached) in its own
 * process, as Crest runs in its own, for at most `maxSeconds`.
 */
export function startStatic(file: string, mode: 'fs' | 'cached', maxSeconds: number): Promise<StaticProcess> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'bench', 'static-server.ts'), file, mode, String(maxSeconds)],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('static-server did not start within 20 s'));
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
      reject(new Error(`static-server exited with ${code}`));
    });
  });
}
