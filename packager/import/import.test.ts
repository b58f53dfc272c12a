import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import test from 'ava';
import { createTenant } from '../../control/tenants.ts';
import { isAppError } from '../../core/errors.ts';
import type { Database } from '../../db/database.ts';
import { migrateControl } from '../../db/migrate.ts';
import { withTenant } from '../../db/with-tenant.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import { createFolderBlobStore } from '../../storage/folder.ts';
import { forEachDatabase } from '../../test/databases.ts';
import { cmi5Package, scorm12Package, scorm2004Package } from '../../test/packages.ts';
import { buildZip, rawZip } from '../../test/zip-builder.ts';
import { ffmpegAvailable, makeTestVideo } from '../video/test-media.ts';
import { runImport } from './run-import.ts';
import { startImport } from './start-import.ts';

async function keys(blobs: BlobStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const b of blobs.list(prefix)) out.push(b.key);
  return out;
}

async function importZip(db: Database, blobs: BlobStore, tenant: string, zip: Buffer, courseId?: string) {
  const job = await startImport(
    { db, blobs },
    {
      tenant,
      courseId,
      fileName: 'course.zip',
      upload: Readable.from([zip]),
      maxBytes: 50 * 1024 * 1024,
      enqueue: false,
    },
  );
  const phases: string[] = [];
  const done = await runImport({ db, blobs }, { tenant, jobId: job.id }, (p) => phases.push(p.phase));
  return { job: done, phases };
}

forEachDatabase(
  test,
  ({ name, db, ready }) => {
    let root: string;
    let blobs: BlobStore;
    test.before(async () => {
      await ready();
      await createTenant(db(), 'imports');
      root = await mkdtemp(path.join(os.tmpdir(), 'crest-import-test-'));
      blobs = createFolderBlobStore({ root });
    });
    test.after.always(async () => {
      if (root) await rm(root, { recursive: true, force: true });
    });

    test.serial(
      `${name}: a SCORM 1.2 package becomes version 1 with its files under the version prefix`,
      async (t) => {
        const { job, phases } = await importZip(
          db(),
          blobs,
          'imports',
          await scorm12Package(['Intro', 'Fire']),
        );
        t.is(job.status, 'succeeded', JSON.stringify(job.error));
        t.is(job.version, 1);
        t.deepEqual([...new Set(phases)], ['downloading', 'inspecting', 'extracting', 'done']);
        const files = await keys(blobs, `tenants/imports/courses/${job.courseId}/v1/`);
        t.deepEqual(files.map((k) => k.split('/v1/')[1]).sort(), [
          'imsmanifest.xml',
          'sco0/index.html',
          'sco1/index.html',
        ]);
        const course = await withTenant(db(), 'imports', (tx) =>
          tx.query<{ title: string; kind: string; latest_version: number }>(
            'SELECT title, kind, latest_version FROM courses WHERE id = $1',
            [job.courseId],
          ),
        );
        t.deepEqual(course.rows[0], { title: 'Workplace Safety', kind: 'scorm12', latest_version: 1 });
        const version = await withTenant(db(), 'imports', (tx) =>
          tx.query<{ standard: string; launch_path: string; files: number }>(
            'SELECT standard, launch_path, files FROM course_versions WHERE course_id = $1',
            [job.courseId],
          ),
        );
        t.deepEqual(version.rows[0], { standard: '1.2', launch_path: 'sco0/index.html', files: 3 });
        t.deepEqual(await keys(blobs, 'tenants/imports/uploads/'), [], 'the upload is removed once imported');
      },
    );

    test.serial(`${name}: re-uploading makes version 2 and leaves version 1 untouched`, async (t) => {
      const first = await importZip(db(), blobs, 'imports', await scorm2004Package(['L1']));
      const second = await importZip(
        db(),
        blobs,
        'imports',
        await scorm2004Package(['L1', 'L2'], 'Compliance v2'),
        first.job.courseId,
      );
      t.is(second.job.status, 'succeeded');
      t.is(second.job.version, 2);
      t.is((await keys(blobs, `tenants/imports/courses/${first.job.courseId}/v1/`)).length, 2);
      t.is((await keys(blobs, `tenants/imports/courses/${first.job.courseId}/v2/`)).length, 3);
      const v = await withTenant(db(), 'imports', (tx) =>
        tx.query<{ version: number; standard: string }>(
          'SELECT version, standard FROM course_versions WHERE course_id = $1 ORDER BY version',
          [first.job.courseId],
        ),
      );
      t.deepEqual(v.rows, [
        { version: 1, standard: '2004-4th' },
        { version: 2, standard: '2004-4th' },
      ]);
    });

    test.serial(`${name}: a cmi5 package imports with its AU as the launch path`, async (t) => {
      const { job } = await importZip(db(), blobs, 'imports', await cmi5Package(['Module 1']));
      t.is(job.status, 'succeeded', JSON.stringify(job.error));
      const v = await withTenant(db(), 'imports', (tx) =>
        tx.query<{ standard: string; launch_path: string }>(
          'SELECT standard, launch_path FROM course_versions WHERE course_id = $1',
          [job.courseId],
        ),
      );
      t.deepEqual(v.rows[0], { standard: 'cmi5', launch_path: 'au0/index.html' });
    });

    test.serial(
      `${name}: a refused package ends failed with the reason, leaving no files, course or upload`,
      async (t) => {
        const cases: [string, Buffer, RegExp][] = [
          ['zip slip', rawZip([{ name: '../evil.txt', data: Buffer.from('x') }]), /evil\.txt/],
          [
            'no manifest',
            await buildZip([{ path: 'index.html', data: '<html></html>' }]),
            /imsmanifest\.xml/,
          ],
          [
            'broken manifest',
            await buildZip([{ path: 'imsmanifest.xml', data: '<?xml version="1.0"?>\n<manifest' }]),
            /imsmanifest\.xml/,
          ],
          ['not a zip', Buffer.from('this is not a zip file at all'), /not a valid ZIP/],
        ];
        for (const [label, zip, reason] of cases) {
          const { job } = await importZip(db(), blobs, 'imports', zip);
          t.is(job.status, 'failed', label);
          const why = `${job.error?.message} ${JSON.stringify(job.report ?? {})}`;
          t.regex(why, reason, label);
          t.deepEqual(
            await keys(blobs, `tenants/imports/courses/${job.courseId}/`),
            [],
            `${label}: no files`,
          );
          const course = await withTenant(db(), 'imports', (tx) =>
            tx.query('SELECT 1 FROM courses WHERE id = $1', [job.courseId]),
          );
          t.is(course.rows.length, 0, `${label}: no course without a version`);
        }
        t.deepEqual(await keys(blobs, 'tenants/imports/uploads/'), []);
      },
    );

    test.serial(`${name}: an oversized or empty upload is refused before a job exists`, async (t) => {
      const big = startImport(
        { db: db(), blobs },
        {
          tenant: 'imports',
          fileName: 'big.zip',
          upload: Readable.from([Buffer.alloc(2048)]),
          maxBytes: 1024,
          enqueue: false,
        },
      );
      const err = await t.throwsAsync(big);
      t.true(isAppError(err) && err.code === 'PAYLOAD_TOO_LARGE');
      const empty = await t.throwsAsync(
        startImport(
          { db: db(), blobs },
          { tenant: 'imports', fileName: 'e.zip', upload: Readable.from([]), maxBytes: 1024, enqueue: false },
        ),
      );
      t.true(isAppError(empty) && empty.code === 'BAD_REQUEST');
      t.deepEqual(await keys(blobs, 'tenants/imports/uploads/'), []);
    });

    test.serial(
      `${name}: an MP4 upload becomes a video course: HLS ladder, original and lesson`,
      async (t) => {
        if (!(await ffmpegAvailable())) {
          t.pass('ffmpeg is missing here (see the warning above)');
          return;
        }
        const mp4 = path.join(root, 'lecture.mp4');
        await makeTestVideo(mp4, { width: 854, height: 480, seconds: 2 });
        const job = await startImport(
          { db: db(), blobs },
          {
            tenant: 'imports',
            fileName: 'Safety lecture.mp4',
            upload: createReadStream(mp4),
            maxBytes: 1e8,
            enqueue: false,
          },
        );
        const done = await runImport({ db: db(), blobs }, { tenant: 'imports', jobId: job.id });
        t.is(done.status, 'succeeded', JSON.stringify(done.error));
        const files = (await keys(blobs, `tenants/imports/courses/${done.courseId}/v1/`)).map(
          (k) => k.split('/v1/')[1],
        );
        for (const f of ['index.html', 'original.mp4', 'hls/master.m3u8', 'hls.min.js'])
          t.true(files.includes(f), f);
        const v = await withTenant(db(), 'imports', (tx) =>
          tx.query<{ kind: string; launch_path: string; title: string }>(
            'SELECT kind, launch_path, title FROM course_versions WHERE course_id = $1',
            [done.courseId],
          ),
        );
        t.deepEqual(v.rows[0], { kind: 'video', launch_path: 'index.html', title: 'Safety lecture' });
      },
    );

    test.serial(
      `${name}: running a finished job again changes nothing (at-least-once delivery)`,
      async (t) => {
        const { job } = await importZip(db(), blobs, 'imports', await scorm12Package(['Only']));
        const again = await runImport({ db: db(), blobs }, { tenant: 'imports', jobId: job.id });
        t.is(again.status, 'succeeded');
        t.is(again.version, job.version);
      },
    );
  },
  { migrate: migrateControl },
);
