import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { runCli, startServer } from '../test/cli-runner.ts';
import { createScratchPostgres } from '../test/databases.ts';
import { scorm12Package } from '../test/packages.ts';

/*
 * The CLI and `crest serve` as a user meets them: real processes, a real data folder, real HTTP.
 */

const dirs: string[] = [];
async function dataDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'crest-cli-'));
  dirs.push(d);
  return d;
}
test.after.always(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function basic(key: string, secret: string): string {
  return `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
}

test.serial(
  'first start prints the demo credentials once; the CLI administers the running server; restart reuses data',
  async (t) => {
    const env = { CREST_DATA_DIR: await dataDir() };
    const server = await startServer(env);
    const key = /key:\s+(\S+)/.exec(server.output())?.[1];
    const secret = /secret:\s+(\S+)/.exec(server.output())?.[1];
    t.truthy(key);
    t.truthy(secret);
    t.regex(server.output(), /xAPI endpoint: http:\/\/127\.0\.0\.1:\d+\/xapi\//);
    const ready = await fetch(`${server.url}/readyz`, { headers: { authorization: basic(key!, secret!) } });
    t.is(ready.status, 200);

    // The server holds the embedded folder, so the CLI goes through its admin API.
    const created = await runCli(['tenant', 'create', 'acme'], env);
    t.is(created.code, 0, created.stderr);
    t.regex(created.stdout, /Created tenant "acme"/);
    const dupe = await runCli(['tenant', 'create', 'acme'], env);
    t.is(dupe.code, 1);
    t.regex(dupe.stderr, /already exists/);
    t.notRegex(dupe.stderr, /at .*\.ts:\d+/, 'no stack trace');
    const list = await runCli(['tenant', 'list', '--json'], env);
    t.deepEqual(
      JSON.parse(list.stdout).map((x: { name: string }) => x.name),
      ['acme', 'demo'],
    );

    const made = await runCli(['key', 'create', '--tenant', 'acme', '--scope', 'all/read', '--json'], env);
    t.is(made.code, 0, made.stderr);
    const k = JSON.parse(made.stdout) as { keyId: string; secret: string; scopes: string[] };
    t.deepEqual(k.scopes, ['all/read']);
    const who = await fetch(`${server.url}/api/v1/tenant`, {
      headers: { authorization: basic(k.keyId, k.secret) },
    });
    t.is(((await who.json()) as { tenant: string }).tenant, 'acme');
    const keys = await runCli(['key', 'list', '--tenant', 'acme'], env);
    t.regex(keys.stdout, new RegExp(k.keyId));
    t.false(keys.stdout.includes(k.secret));
    const revoked = await runCli(['key', 'revoke', k.keyId, '--tenant', 'acme'], env);
    t.is(revoked.code, 0, revoked.stderr);
    const after = await fetch(`${server.url}/api/v1/tenant`, {
      headers: { authorization: basic(k.keyId, k.secret) },
    });
    t.is(after.status, 401, 'revocation through the running server is immediate');

    const unconfirmed = await runCli(['tenant', 'delete', 'acme'], env);
    t.is(unconfirmed.code, 2);
    t.regex(unconfirmed.stderr, /--yes/);
    const deleted = await runCli(['tenant', 'delete', 'acme', '--yes'], env);
    t.is(deleted.code, 0, deleted.stderr);

    const doctor = await runCli(['doctor'], env);
    t.is(doctor.code, 0, doctor.stdout);
    t.regex(doctor.stdout, /✓ database/);

    // `crest import` uploads to the running server and follows the job to its end.
    const zip = path.join(env.CREST_DATA_DIR, 'course.zip');
    await writeFile(zip, await scorm12Package(['Intro']));
    const imported = await runCli(['import', zip, '--tenant', 'demo', '--json'], env);
    t.is(imported.code, 0, imported.stderr);
    const job = JSON.parse(imported.stdout) as { status: string; version: number; courseId: string };
    t.is(job.status, 'succeeded');
    t.is(job.version, 1);
    const course = await fetch(`${server.url}/api/v1/courses/${job.courseId}`, {
      headers: { authorization: basic(key!, secret!) },
    });
    const launchUrl = ((await course.json()) as { versions: { launchUrl: string }[] }).versions[0]!.launchUrl;
    const page = await fetch(launchUrl);
    t.is(page.status, 200, 'the launch file is served from the content origin');
    t.regex(await page.text(), /<h1>Intro<\/h1>/);

    t.is(await server.stop(), 0, `Ctrl-C exits cleanly; server output:\n${server.output().slice(-2000)}`);
    t.false(existsSync(path.join(env.CREST_DATA_DIR, 'crest.lock')), 'the lock is released');

    const again = await startServer(env);
    t.notRegex(again.output(), /secret:/, 'credentials are printed only on the first start');
    const stillValid = await fetch(`${again.url}/api/v1/tenant`, {
      headers: { authorization: basic(key!, secret!) },
    });
    t.is(stillValid.status, 200, 'the demo key from the first start still works');
    t.is(await again.stop(), 0, again.output().slice(-2000));
  },
);

test.serial('offline, the CLI opens the folder itself: create, migrate with progress, doctor', async (t) => {
  const env = { CREST_DATA_DIR: await dataDir() };
  t.is((await runCli(['tenant', 'create', 'one'], env)).code, 0);
  t.is((await runCli(['tenant', 'create', 'two'], env)).code, 0);
  const migrate = await runCli(['migrate'], env);
  t.is(migrate.code, 0, migrate.stderr);
  t.regex(migrate.stdout, /control schema: up to date/);
  t.regex(migrate.stderr, /tenants: 2\/2/);
  t.regex(migrate.stdout, /Migrated 2 tenant schemas/);
  const zip = path.join(env.CREST_DATA_DIR, 'broken.zip');
  await writeFile(zip, Buffer.from('not a zip'));
  const refused = await runCli(['import', zip, '--tenant', 'one'], env);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /broken\.zip was refused: The file is not a valid ZIP archive/);
  const doctor = await runCli(['doctor', '--json'], env);
  t.is(doctor.code, 0, doctor.stdout);
  const checks = JSON.parse(doctor.stdout) as { name: string; ok: boolean }[];
  t.deepEqual(
    checks.map((c) => [c.name, c.ok]),
    [
      ['database', true],
      ['app role', true],
      ['migrations', true],
      ['row-level security', true],
      ['storage', true],
      ['queue', true],
    ],
  );
});

test('bad configuration stops with a message naming the variable, not a stack trace', async (t) => {
  const r = await runCli(['serve'], { CREST_DATA_DIR: await dataDir(), CREST_STORAGE: 'ftp' });
  t.is(r.code, 1);
  t.regex(r.stderr, /CREST_STORAGE is invalid \(got "ftp"\)/);
  t.notRegex(r.stderr, /\n\s+at /);
});

test('an unsafe tenant name is refused with the rule', async (t) => {
  const r = await runCli(['tenant', 'create', 'Robert; DROP'], { CREST_DATA_DIR: await dataDir() });
  t.is(r.code, 1);
  t.regex(r.stderr, /not allowed: use 2–40 characters/);
});

test('a database that is down at start gets retries and a clear message', async (t) => {
  const r = await runCli(['doctor'], {
    CREST_DATA_DIR: await dataDir(),
    DATABASE_URL: 'postgres://postgres@127.0.0.1:1/crest',
    CREST_DB_CONNECT_RETRIES: '1',
  });
  t.is(r.code, 1);
  t.regex(r.stderr, /retry 1\/1/);
  t.regex(
    r.stderr,
    /Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/crest \(ECONNREFUSED\)\. .*Is PostgreSQL running/,
  );
  t.notRegex(r.stderr, /\n\s+at /);
});

test('--help works on every command', async (t) => {
  for (const cmd of [
    [],
    ['serve'],
    ['tenant'],
    ['tenant', 'create'],
    ['tenant', 'delete'],
    ['key', 'create'],
    ['key', 'revoke'],
    ['migrate'],
    ['doctor'],
  ]) {
    const r = await runCli([...cmd, '--help'], {});
    t.is(r.code, 0, cmd.join(' '));
    t.regex(r.stdout, /Usage: crest/, cmd.join(' '));
  }
  const keyHelp = await runCli(['key', 'create', '--help'], {});
  t.regex(keyHelp.stdout, /statements\/read\/mine/);
  const unknown = await runCli(['frobnicate'], {});
  t.not(unknown.code, 0);
  t.regex(unknown.stderr, /unknown command/);
});

const pgUrl = process.env.TEST_DATABASE_URL;
if (pgUrl) {
  test.serial(
    'with DATABASE_URL the same server runs on PostgreSQL and the CLI connects directly',
    async (t) => {
      const scratch = await createScratchPostgres(pgUrl);
      await scratch.db.close();
      try {
        const env = {
          CREST_DATA_DIR: await dataDir(),
          DATABASE_URL: scratch.url,
          CREST_APP_ROLE: 'crest_cli_app',
        };
        const server = await startServer(env);
        t.regex(server.output(), /database: postgres/);
        const key = /key:\s+(\S+)/.exec(server.output())![1]!;
        const secret = /secret:\s+(\S+)/.exec(server.output())![1]!;
        const created = await runCli(['tenant', 'create', 'pgco'], env);
        t.is(created.code, 0, created.stderr);
        const who = await fetch(`${server.url}/api/v1/tenant`, {
          headers: { authorization: basic(key, secret) },
        });
        t.is(who.status, 200);
        const doctor = await runCli(['doctor'], env);
        t.is(doctor.code, 0, doctor.stdout);
        t.regex(doctor.stdout, /✓ app role: "crest_cli_app" is bound by row-level security/);
        t.is(await server.stop(), 0);
      } finally {
        await scratch.dispose();
      }
    },
  );
} else if (process.env.CI === 'true') {
  test('PostgreSQL CLI suite', (t) => t.fail('TEST_DATABASE_URL must be set in CI'));
}
