import path from 'node:path';
import { type ServerProcess, startServer } from './cli-runner.ts';

/*
 * `crest serve` as a child process (API and content listeners on their own ports, PGlite in `dir`), and a
 * client for its integrator API with the demo tenant's key, driven like an LMS would.
 */

export interface CrestApi {
  server: ServerProcess;
  /** GET/POST on the API origin with the tenant key; JSON bodies get their content type; throws unless 2xx. */
  api<T>(url: string, init?: RequestInit): Promise<T>;
  /** Uploads a package, waits for its import and answers the course (`GET /api/v1/courses/:id`). */
  importCourse<T extends { id: string }>(zip: Buffer, fileName?: string): Promise<T>;
}

export async function startCrestApi(dir: string): Promise<CrestApi> {
  const server = await startServer({ HOST: '127.0.0.1', CREST_DATA_DIR: path.join(dir, 'data') });
  const out = server.output();
  const key = /key:\s+(\S+)/.exec(out)?.[1];
  const secret = /secret:\s+(\S+)/.exec(out)?.[1];
  if (!key || !secret) throw new Error(`crest serve printed no demo credentials:\n${out}`);
  const auth = `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;

  async function api<T>(url: string, init: RequestInit = {}): Promise<T> {
    const res = await fetch(new URL(url, server.url), {
      ...init,
      headers: {
        authorization: auth,
        ...(init.body && !(init.body instanceof Uint8Array) ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
    });
    const body = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${body}`);
    return JSON.parse(body) as T;
  }

  async function importCourse<T extends { id: string }>(zip: Buffer, fileName = 'course.zip'): Promise<T> {
    const upload = await api<{ links: { job: string; course: string } }>('/api/v1/courses', {
      method: 'POST',
      headers: { 'content-type': 'application/zip', 'x-file-name': fileName },
      body: new Uint8Array(zip),
    });
    for (let i = 0; ; i++) {
      const job = await api<{ status: string; error?: unknown }>(upload.links.job);
      if (job.status === 'succeeded') break;
      if (job.status === 'failed') throw new Error(`import failed: ${JSON.stringify(job.error)}`);
      if (i > 600) throw new Error('the import did not finish within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    return api<T>(upload.links.course);
  }

  return { server, api, importCourse };
}
