import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ServerProcess, startServer } from '../../../test/cli-runner.ts';

/*
 * The real server for the e2e suites: `crest serve` as a child process (API and content listeners on
 * their own ports, PGlite in a scratch folder), driven through its integrator API like an LMS would.
 */

export interface Backend {
  apiOrigin: string;
  contentOrigin: string;
  server: ServerProcess;
  /** Uploads a package through the API and waits for the import; returns the course id. */
  addCourse(zip: Buffer): Promise<string>;
  /** A new registration for a new learner, and its launch link. */
  launch(courseId: string, opts?: { exitUrl?: string }): Promise<{ url: string; registration: string }>;
  /** What the runtime stored per SCO for the registration's current attempt. */
  stored(registration: string): Promise<Record<string, { cmi: unknown; seq: number; terminated: boolean }>>;
  api<T>(url: string, init?: RequestInit): Promise<T>;
  close(): Promise<void>;
}

let learners = 0;

export async function startBackend(): Promise<Backend> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crest-player-e2e-'));
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

  const self: Backend = {
    apiOrigin: new URL(server.url).origin,
    contentOrigin: '',
    server,
    api,
    async addCourse(zip) {
      const upload = await api<{ links: { job: string; course: string } }>('/api/v1/courses', {
        method: 'POST',
        headers: { 'content-type': 'application/zip', 'x-file-name': 'course.zip' },
        body: new Uint8Array(zip),
      });
      for (let i = 0; ; i++) {
        const job = await api<{ status: string; error?: unknown }>(upload.links.job);
        if (job.status === 'succeeded') break;
        if (job.status === 'failed') throw new Error(`import failed: ${JSON.stringify(job.error)}`);
        if (i > 600) throw new Error('the import did not finish within 60 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      const course = await api<{ id: string }>(upload.links.course);
      return course.id;
    },
    async launch(courseId, opts = {}) {
      const n = ++learners;
      const reg = await api<{ id: string }>('/api/v1/registrations', {
        method: 'POST',
        body: JSON.stringify({
          courseId,
          learner: {
            name: `Learner ${n}`,
            account: { homePage: 'https://lms.example.com', name: `learner-${n}` },
          },
        }),
      });
      const link = await api<{ url: string }>(`/api/v1/registrations/${reg.id}/launch-links`, {
        method: 'POST',
        body: JSON.stringify(opts.exitUrl ? { exitUrl: opts.exitUrl } : {}),
      });
      self.contentOrigin = new URL(link.url).origin;
      return { url: link.url, registration: reg.id };
    },
    async stored(registration) {
      const r = await api<{ scos: { sco: string; cmi: unknown; seq: number; terminated: boolean }[] }>(
        `/api/v1/registrations/${registration}/scos`,
      );
      return Object.fromEntries(
        r.scos.map((s) => [s.sco, { cmi: s.cmi, seq: s.seq, terminated: s.terminated }]),
      );
    },
    async close() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return self;
}

/** Polls `check` until it returns a value (not undefined), or throws after timeoutMs. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${what} did not happen within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`,
  );
}
