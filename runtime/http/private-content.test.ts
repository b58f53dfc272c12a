import test from 'ava';
import { migrateControl } from '../../db/migrate.ts';
import { verifyContentToken } from '../../packager/delivery/content-signing.ts';
import { startTestApp, type TestApp, tenantWithKey } from '../../test/app-harness.ts';
import { forEachDatabase } from '../../test/databases.ts';
import { CONTENT_BASE, launched } from '../test/runtime-fixture.ts';

const SIGNING = { key: 'content-signing-key-for-tests-0123456789', ttlMs: 3600_000 };

forEachDatabase(
  test,
  ({ name, db, ready }) => {
    let h: TestApp;
    test.before(async () => {
      h = await startTestApp(await ready(), {
        courses: {
          uploadLimit: 50 * 1024 * 1024,
          contentBaseUrl: () => CONTENT_BASE,
          contentSigning: SIGNING,
        },
      });
    });
    test.after.always(async () => {
      await h?.close();
    });

    test.serial(
      `${name}: with private content, the launch's contentBase carries a signed path token`,
      async (t2) => {
        const t = await tenantWithKey(db(), 'runtime_private');
        const { data } = await launched(h, t, 'scorm12');
        const scope = `${t.tenant}/${data.course.id}/v1`;
        const m = new RegExp(`^${CONTENT_BASE}/content/(~[^/]+)/${scope}/$`).exec(data.contentBase);
        t2.truthy(m, data.contentBase);
        t2.true(verifyContentToken(SIGNING.key, scope, m![1]!), 'the content listener accepts it');
        t2.false(
          verifyContentToken(SIGNING.key, `${t.tenant}/${data.course.id}/v2`, m![1]!),
          'for this version only',
        );
      },
    );
  },
  { migrate: migrateControl },
);
