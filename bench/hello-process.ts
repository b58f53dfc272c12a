import { type BaselineProcess, startBaseline } from './baseline-process.ts';

/** Starts bench/hello-server.ts (node:http's hello world) in its own process, for at most `maxSeconds`. */
export function startHello(maxSeconds: number): Promise<BaselineProcess> {
  return startBaseline('hello-server.ts', [String(maxSeconds)]);
}
