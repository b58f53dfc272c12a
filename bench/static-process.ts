import { type BaselineProcess, startBaseline } from './baseline-process.ts';

/**
 * Starts bench/static-server.ts (node:http serving `file`, read per request or cached) in its own
 * process, for at most `maxSeconds`.
 */
export function startStatic(
  file: string,
  mode: 'fs' | 'cached',
  maxSeconds: number,
): Promise<BaselineProcess> {
  return startBaseline('static-server.ts', [file, mode, String(maxSeconds)]);
}
