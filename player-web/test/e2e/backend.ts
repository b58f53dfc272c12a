import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ServerProcess } from '../../../test/cli-runner.ts';
import { startCrestApi } from '../../../test/crest-api.ts';

/* The real server for the e2e suites (test/crest-api.ts), with what the player tests ask of it. */

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
  const { server, api, importCourse } = await startCrestApi(dir);

  const self: Backend = {
    apiOrigin: new URL(server.url).origin,
    contentOrigin: '',
    server,
    api,
    async addCourse(zip) {
      return (await importCourse(zip)).id;
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
