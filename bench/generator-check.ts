import { startHello } from './hello-process.ts';
import { type LoadSummary, runLoad } from './load.ts';
import { runPacedLoad } from './paced-load.ts';

export interface GeneratorCheck {
  paced: LoadSummary;
  autocannon: LoadSummary;
}

/**
 * The load generators side by side on node:http's hello world, which answers in well under a millisecond, at
 * one fixed rate: what either reports above that is the generator's own doing. It is why the fixed-rate
 * scenarios use bench/paced-load.ts rather than autocannon's `overallRate`.
 */
export async function checkGenerators(
  rate: number,
  connections: number,
  seconds: number,
  body: () => string,
  random: () => number,
  log: (line: string) => void,
): Promise<GeneratorCheck> {
  const hello = await startHello(seconds * 3 + 60);
  try {
    const headers = { 'content-type': 'application/json' };
    const paced = await runPacedLoad({
      label: 'paced → node:http',
      url: hello.url,
      rate,
      durationS: seconds,
      connections,
      headers,
      random,
      next: () => ({ path: '/', body: body() }),
      log,
    });
    const autocannon = await runLoad({
      label: 'autocannon overallRate → node:http',
      url: hello.url,
      connections,
      overallRate: rate,
      durationS: seconds,
      maxSeconds: seconds + 30,
      method: 'POST',
      headers,
      requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, path: '/', body: body() }) }],
      log,
    });
    return { paced, autocannon };
  } finally {
    await hello.stop();
  }
}
