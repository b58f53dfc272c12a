import test from 'ava';
import { migrateControl } from '../db/migrate.ts';
import { verifyContentToken } from '../packager/delivery/content-signing.ts';
import { runImport } from '../packager/import/run-import.ts';
import { createOutboxDispatcher } from '../queue/outbox.ts';
import { createPostgresJobQueue } from '../queue/postgres.ts';
import { startTestApp, type TestApp, tenantWithKey } from '../test/app-harness.ts';
import { forEachDatabase } from '../test/databases.ts';
import { scorm12Package } from '../test/packages.ts';
import { courseImportHandler } from '../workers/course-import/handler.ts';
import { startWorkers } from '../workers/runner.ts';

forEachDatabase(
  test,
  ({ name, db, ready }) => {
    let h: TestApp;
    let auth: string;
    test.before(async () => {
      h = await startTestApp(await ready());
      auth = (await tenantWithKey(db(), 'designers')).authorization;
    });
    test.after.always(async () => {
      await h?.close();
    });

    async function waitForJob(url: string) {
      for (let i = 0; i < 200; i++) {
        const res = await h.app.inject({ url, headers: { authorization: auth } });
        const job = res.json();
        if (job.status === 'succeeded' || job.status === 'failed') return job;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('import did not finish');
    }

    test.serial(`${name}: upload → queued job → worker imports it → course with a launch URL`, async (t) => {
      const queue = createPostgresJobQueue(db());
      const dispatcher = createOutboxDispatcher(db(), queue, { intervalMs: 20 });
      dispatcher.start();
      const workers = startWorkers(queue, [courseImportHandler({ db: db(), blobs: h.blobs })], {
        waitMs: 20,
      });
      try {
        const res = await h.app.inject({
          method: 'POST',
          url: '/api/v1/courses',
          headers: { authorization: auth, 'content-type': 'application/zip', 'x-file-name': 'safety.zip' },
          payload: await scorm12Package(['Intro', 'Fire']),
        });
        t.is(res.statusCode, 202, res.body);
        const { job, links } = res.json();
        t.is(job.status, 'queued');
        t.is(res.headers.location, links.job);
        const done = await waitForJob(links.job);
        t.is(done.status, 'succeeded', JSON.stringify(done.error));
        t.is(done.version, 1);
        t.false('uploadKey' in done);
        const course = await h.app.inject({ url: links.course, headers: { authorization: auth } });
        t.is(course.statusCode, 200);
        t.is(course.json().title, 'Workplace Safety');
        t.regex(
          course.json().versions[0].launchUrl,
          new RegExp(`/content/designers/${job.courseId}/v1/sco0/index.html$`),
        );
        const list = await h.app.inject({ url: '/api/v1/courses', headers: { authorization: auth } });
        t.true(list.json().some((c: { id: string }) => c.id === job.courseId));

        const form = new FormData();
        form.set('package', new Blob([new Uint8Array(await scorm12Package(['Intro v2']))]), 'safety-v2.zip');
        const multipart = new Request('http://x', { method: 'POST', body: form });
        const v2 = await h.app.inject({
          method: 'POST',
          url: `/api/v1/courses/${job.courseId}/versions`,
          headers: { authorization: auth, 'content-type': multipart.headers.get('content-type')! },
          payload: Buffer.from(await multipart.arrayBuffer()),
        });
        t.is(v2.statusCode, 202, v2.body);
        const done2 = await waitForJob(v2.json().links.job);
        t.is(done2.version, 2);
        t.is(done2.fileName, 'safety-v2.zip');
      } finally {
        await workers.stop();
        await dispatcher.stop();
      }
    });

    test.serial(
      `${name}: with content signing on, launch URLs carry a token the content origin accepts`,
      async (t) => {
        const key = 's'.repeat(40);
        const signed = await startTestApp(db(), {
          courses: {
            uploadLimit: 1e8,
            contentBaseUrl: () => 'http://content.test',
            contentSigning: { key, ttlMs: 60_000 },
          },
        });
        try {
          const res = await signed.app.inject({
            method: 'POST',
            url: '/api/v1/courses',
            headers: { authorization: auth, 'content-type': 'application/zip' },
            payload: await scorm12Package(['Private']),
          });
          const { job } = res.json();
          await runImport({ db: db(), blobs: signed.blobs }, { tenant: 'designers', jobId: job.id });
          const course = await signed.app.inject({
            url: `/api/v1/courses/${job.courseId}`,
            headers: { authorization: auth },
          });
          const launchUrl = new URL(course.json().versions[0].launchUrl);
          const [, , token, ...rest] = launchUrl.pathname.split('/');
          t.regex(token!, /^~/);
          t.true(verifyContentToken(key, rest.slice(0, 3).join('/'), token!));
        } finally {
          await signed.close();
        }
      },
    );

    test.serial(`${name}: uploads need the all scope and a package content type`, async (t) => {
      const reader = await tenantWithKey(db(), 'designers', ['all/read']);
      const denied = await h.app.inject({
        method: 'POST',
        url: '/api/v1/courses',
        headers: { authorization: reader.authorization, 'content-type': 'application/zip' },
        payload: Buffer.from('PK'),
      });
      t.is(denied.statusCode, 403);
      const json = await h.app.inject({
        method: 'POST',
        url: '/api/v1/courses',
        headers: { authorization: auth, 'content-type': 'application/json' },
        payload: '{}',
      });
      t.is(json.statusCode, 415);
      t.regex(json.json().error.message, /application\/zip/);
      const missing = await h.app.inject({
        url: '/api/v1/courses/3f1a1a1a-1a1a-4a1a-8a1a-1a1a1a1a1a1a',
        headers: { authorization: auth },
      });
      t.is(missing.statusCode, 404);
    });
  },
  { migrate: migrateControl },
);
