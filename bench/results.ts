import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface ScenarioReport {
  id: string;
  /** The section's markdown, starting with its `##` heading. */
  markdown: string;
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export const n0 = (x: number) => Math.round(x).toLocaleString('en');
export const n1 = (x: number) => x.toFixed(1);
export const n2 = (x: number) => x.toFixed(2);
export const ms = (x: number) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;
export const pass = (ok: boolean) => (ok ? 'met' : '**missed**');

const HEAD =
  '# Bench results\n\nWritten by `bench/run.ts`; see `bench/README.md` for what each scenario measures.\n';

function section(id: string, body: string): string {
  return `<!-- ${id}:start -->\n${body.trim()}\n<!-- ${id}:end -->`;
}

/**
 * Rewrites the header and the sections of the scenarios that ran, and keeps the sections of those that
 * did not (running one scenario leaves the others' last numbers in place, each with its own date).
 */
export function writeResults(file: string, header: string, reports: ScenarioReport[], order: string[]): void {
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const existing = new Map<string, string>();
  for (const m of old.matchAll(/<!-- ([\w-]+):start -->\n([\s\S]*?)\n<!-- \1:end -->/g))
    existing.set(m[1]!, m[2]!);
  for (const r of reports) existing.set(r.id, r.markdown);
  existing.set('header', header);
  const ids = [
    'header',
    ...order,
    ...[...existing.keys()].filter((k) => k !== 'header' && !order.includes(k)),
  ];
  const parts = ids.filter((id) => existing.has(id)).map((id) => section(id, existing.get(id)!));
  writeFileSync(file, `${HEAD}\n${parts.join('\n\n')}\n`);
}

/** What every scenario gets from `run.ts`. */
export interface ScenarioContext {
  log(line: string): void;
  /** Scale factor for quick trial runs (BENCH_SCALE, default 1); RESULTS.md records it. */
  scale: number;
}

/** The columns every load table shares: s, responses, req/s, p50, p90, p99, max. */
export function latencyCells(l: {
  seconds: number;
  responses: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}): string[] {
  return [n2(l.seconds), n0(l.responses), n0(l.rps), ms(l.p50), ms(l.p90), ms(l.p99), ms(l.max)];
}
