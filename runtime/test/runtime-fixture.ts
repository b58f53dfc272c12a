import type { TestFn } from 'ava';
import type { LightMyRequestResponse } from 'fastify';
import type { Database } from '../../db/database.ts';
import { runImport } from '../../packager/import/run-import.ts';
import { startTestApp, type TenantWithKey, type TestApp, tenantWithKey } from '../../test/app-harness.ts';
import { scorm12Package, scorm2004Package } from '../../test/packages.ts';
import type { LaunchData } from '../launch-data.ts';

/** Helpers that drive the runtime only through its HTTP API, as an integrator and a player would. */

export const CONTENT_BASE = 'http://content.test';

/**
 * A test file's app (courses on, content under CONTENT_BASE) and tenant on one of forEachDatabase's databases:
 * started before its tests and handed to `use`, closed after them.
 */
export function runtimeAppHooks(
  test: TestFn,
  ready: () => Promise<Database>,
  db: () => Database,
  tenant: string,
  use: (h: TestApp, t: TenantWithKey) => void,
): void {
  let app: TestApp | undefined;
  test.before(async () => {
    app = await startTestApp(await ready(), {
      courses: { uploadLimit: 50 * 1024 * 1024, contentBaseUrl: () => CONTENT_BASE },
    });
    use(app, await tenantWithKey(db(), tenant));
  });
  test.after.always(async () => {
    await app?.close();
  });
}

export async function uploadCourse(
  h: TestApp,
  t: TenantWithKey,
  kind: 'scorm12' | 'scorm2004',
  scos: string[] = kind === 'scorm12' ? ['Introduction', 'Fire safety'] : ['Lesson 1', 'Lesson 2'],
  courseId?: string,
): Promise<string> {
  const zip = kind === 'scorm12' ? await scorm12Package(scos) : await scorm2004Package(scos);
  return uploadZip(h, t, zip, courseId);
}

/** Uploads a package built by the test and runs its import to the end; the course id. */
export async function uploadZip(
  h: TestApp,
  t: TenantWithKey,
  zip: Uint8Array | Buffer,
  courseId?: string,
): Promise<string> {
  const res = await h.app.inject({
    method: 'POST',
    url: courseId ? `/api/v1/courses/${courseId}/versions` : '/api/v1/courses',
    headers: { authorization: t.authorization, 'content-type': 'application/zip' },
    payload: zip,
  });
  if (res.statusCode !== 202) throw new Error(`upload failed: ${res.statusCode} ${res.body}`);
  const { job } = res.json();
  const done = await runImport({ db: h.db, blobs: h.blobs }, { tenant: t.tenant, jobId: job.id });
  if (done.status !== 'succeeded') throw new Error(`import failed: ${JSON.stringify(done)}`);
  return job.courseId;
}

let learners = 0;

export function newLearner(name = 'Ada Lovelace') {
  learners++;
  return {
    name,
    account: { homePage: 'https://lms.example.com', name: `learner-${learners}-${Date.now()}` },
  };
}

export async function register(
  h: TestApp,
  t: TenantWithKey,
  courseId: string,
  extra: Record<string, unknown> = {},
): Promise<{ id: string; version: number; maxAttempts: number; learner: Record<string, unknown> }> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/v1/registrations',
    headers: { authorization: t.authorization },
    payload: { courseId, learner: newLearner(), ...extra },
  });
  if (res.statusCode !== 201 && res.statusCode !== 200)
    throw new Error(`register: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function launchToken(
  h: TestApp,
  t: TenantWithKey,
  registration: string,
  body: Record<string, unknown> = {},
): Promise<string> {
  const res = await h.app.inject({
    method: 'POST',
    url: `/api/v1/registrations/${registration}/launch-links`,
    headers: { authorization: t.authorization },
    payload: body,
  });
  if (res.statusCode !== 201) throw new Error(`launch link: ${res.statusCode} ${res.body}`);
  return res.json().token;
}

export async function launch(h: TestApp, token: string): Promise<LaunchData> {
  const res = await h.app.inject({ url: `/runtime/v1/launch/${token}` });
  if (res.statusCode !== 200) throw new Error(`launch: ${res.statusCode} ${res.body}`);
  return res.json();
}

export function commit(
  h: TestApp,
  token: string,
  body: Record<string, unknown>,
  contentType = 'application/json',
): Promise<LightMyRequestResponse> {
  return h.app.inject({
    method: 'POST',
    url: `/runtime/v1/sessions/${token}/commits`,
    headers: { 'content-type': contentType },
    payload: JSON.stringify(body),
  });
}

/** A registered learner on a freshly uploaded course, launched once. */
export async function launched(h: TestApp, t: TenantWithKey, kind: 'scorm12' | 'scorm2004', scos?: string[]) {
  const courseId = await uploadCourse(h, t, kind, scos);
  const reg = await register(h, t, courseId);
  const token = await launchToken(h, t, reg.id);
  const data = await launch(h, token);
  return { courseId, reg, token, data };
}
