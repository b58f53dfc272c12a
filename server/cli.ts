import closeWithGrace from 'close-with-grace';
import { Command, CommanderError, Option } from 'commander';
import { type Config, loadConfig } from '../core/config.ts';
import { isAppError } from '../core/errors.ts';
import { parseScopes, XAPI_SCOPES } from '../core/scopes.ts';
import { assertTenantName } from '../core/tenant-name.ts';
import { migrateAll } from '../db/migrate.ts';
import { formatIssue, type Issue } from '../packager/manifest/validation-report.ts';
import { withCliTarget } from './cli-context.ts';
import { importCommand } from './cli-import.ts';
import { diagnose } from './doctor.ts';
import { startProgress } from './progress.ts';
import { serve } from './serve.ts';

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const json = (value: unknown): void => {
  out(JSON.stringify(value, null, 2));
};

function table(rows: Record<string, unknown>[]): void {
  if (rows.length === 0) {
    out('(none)');
    return;
  }
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) =>
    v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  out(cols.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  for (const r of rows) out(cols.map((c, i) => cell(r[c]).padEnd(widths[i]!)).join('  '));
}

let config: Config | undefined;
const cfg = (): Config => {
  config ??= loadConfig();
  return config;
};

const program = new Command()
  .name('crest')
  .description('SCORM / xAPI / cmi5 runtime and multi-tenant Learning Record Store.')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

program
  .command('serve')
  .description('Start the HTTP server (HOST, PORT, CREST_DATA_DIR, DATABASE_URL … configure it; see README).')
  .action(async () => {
    const server = await serve(cfg());
    // Generous: closing flushes the embedded database to disk, which is slow on a busy machine.
    closeWithGrace({ delay: 30_000 }, async ({ signal, err }) => {
      if (err) process.stderr.write(`crest: shutting down after error: ${err.stack ?? err.message}\n`);
      else process.stderr.write(`crest: ${signal}, finishing in-flight requests…\n`);
      await server.close();
    });
  });

const tenant = program.command('tenant').description('Create, list and delete tenants.');
tenant
  .command('create')
  .description('Create a tenant and its schema.')
  .argument('<name>', 'lower-case letters, digits and _, 2–40 characters, starting with a letter')
  .option('--json', 'print JSON')
  .action(async (name: string, opts: { json?: boolean }) => {
    assertTenantName(name);
    const t = await withCliTarget(cfg(), (target) => target.control.createTenant(name));
    if (opts.json) return void json(t);
    out(`Created tenant "${t.name}". Give it a key: crest key create --tenant ${t.name}`);
  });
tenant
  .command('list')
  .description('List tenants.')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const list = await withCliTarget(cfg(), (target) => target.control.listTenants());
    if (opts.json) return void json(list);
    table(list.map((t) => ({ name: t.name, created: t.createdAt })));
  });
tenant
  .command('delete')
  .description("Delete a tenant with all its data, keys and files. This can't be undone.")
  .argument('<name>')
  .option('--yes', 'confirm the deletion')
  .action(async (name: string, opts: { yes?: boolean }) => {
    if (!opts.yes) {
      process.stderr.write(
        `crest: deleting "${name}" removes all of its data, keys and files. Re-run with --yes to confirm.\n`,
      );
      process.exitCode = 2;
      return;
    }
    assertTenantName(name);
    await withCliTarget(cfg(), (target) => target.control.deleteTenant(name));
    out(`Deleted tenant "${name}".`);
  });

const key = program.command('key').description("Create, list and revoke a tenant's API keys (HTTP Basic).");
const scopeHelp = `xAPI scopes, repeatable: ${XAPI_SCOPES.join(', ')} (default: all)`;
key
  .command('create')
  .description('Create a key. The secret is printed once; only its hash is stored.')
  .requiredOption('--tenant <name>', 'the tenant')
  .addOption(new Option('--scope <scope...>', scopeHelp))
  .option('--label <text>', 'a note to tell keys apart')
  .option('--json', 'print JSON')
  .action(async (opts: { tenant: string; scope?: string[]; label?: string; json?: boolean }) => {
    assertTenantName(opts.tenant);
    parseScopes(opts.scope);
    const k = await withCliTarget(cfg(), (target) =>
      target.control.createKey(opts.tenant, { scopes: opts.scope, label: opts.label }),
    );
    if (opts.json) return void json(k);
    out(`key:    ${k.keyId}`);
    out(`secret: ${k.secret}`);
    out(`scopes: ${k.scopes.join(', ')}`);
    out('The secret is shown only now. Use them as HTTP Basic user and password.');
  });
key
  .command('list')
  .description("List a tenant's keys (never their secrets).")
  .requiredOption('--tenant <name>', 'the tenant')
  .option('--json', 'print JSON')
  .action(async (opts: { tenant: string; json?: boolean }) => {
    const list = await withCliTarget(cfg(), (target) => target.control.listKeys(opts.tenant));
    if (opts.json) return void json(list);
    table(
      list.map((k) => ({
        key: k.keyId,
        scopes: k.scopes,
        label: k.label,
        created: k.createdAt,
        revoked: k.revokedAt,
      })),
    );
  });
key
  .command('revoke')
  .description('Revoke a key at once and for good.')
  .argument('<key>', 'the key id (ck_…)')
  .requiredOption('--tenant <name>', 'the tenant')
  .action(async (keyId: string, opts: { tenant: string }) => {
    const k = await withCliTarget(cfg(), (target) => target.control.revokeKey(opts.tenant, keyId));
    out(`Revoked ${k.keyId} (tenant ${k.tenant}) at ${k.revokedAt}.`);
  });

program
  .command('import')
  .description('Import a SCORM 1.2/2004 or cmi5 package (.zip) as a new course, with progress.')
  .argument('<file>', 'the package')
  .requiredOption('--tenant <name>', 'the tenant that owns the course')
  .option('--json', 'print the finished import job as JSON')
  .action(async (file: string, opts: { tenant: string; json?: boolean }) => {
    assertTenantName(opts.tenant);
    const job = await importCommand(cfg(), file, opts.tenant);
    if (opts.json) json(job);
    else if (job.status === 'succeeded') {
      out(
        `Imported ${file} as course ${job.courseId}, version ${job.version} (${job.progress.files} files).`,
      );
    } else {
      process.stderr.write(`crest: ${file} was refused: ${job.error?.message ?? 'see the report'}\n`);
      const report = job.report as { errors?: Issue[]; warnings?: Issue[] } | null;
      for (const issue of report?.errors ?? []) process.stderr.write(`  error: ${formatIssue(issue)}\n`);
    }
    if (job.status !== 'succeeded') process.exitCode = 1;
    if (!opts.json) {
      const report = job.report as { warnings?: Issue[] } | null;
      for (const issue of report?.warnings ?? []) process.stderr.write(`  warning: ${formatIssue(issue)}\n`);
    }
  });

program
  .command('migrate')
  .description("Migrate the control schema and every tenant's schema, with progress.")
  .action(async () => {
    await withCliTarget(
      cfg(),
      async (target) => {
        if (target.mode === 'remote') {
          out(
            `Crest (pid ${target.pid}) holds this data folder and migrated it when it started; nothing to do.`,
          );
          return;
        }
        let bar: ReturnType<typeof startProgress> | undefined;
        const { tenants } = await migrateAll(target.adapters.db, (e) => {
          if (e.phase === 'control') {
            out(
              e.applied.length
                ? `control schema: applied ${e.applied.join(', ')}`
                : 'control schema: up to date',
            );
            bar = startProgress('tenants', e.total);
          } else bar?.update(e.done, e.tenant);
        });
        bar?.stop();
        out(`Migrated ${tenants} tenant schema${tenants === 1 ? '' : 's'}.`);
      },
      { migrate: false },
    );
  });

program
  .command('doctor')
  .description('Check the database, storage and queue, and say how to fix what is wrong.')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const c = cfg();
    const checks = await withCliTarget(
      c,
      async (target) => {
        if (target.mode === 'local') return diagnose(c, target.adapters);
        const res = await fetch(new URL('/readyz', target.url));
        const body = (await res.json()) as { checks: Record<string, string> };
        return Object.entries(body.checks).map(([name, detail]) => ({
          name,
          ok: detail === 'ok',
          detail: `${detail} (asked the running server, pid ${target.pid})`,
        }));
      },
      { migrate: false },
    );
    if (opts.json) json(checks);
    else
      for (const ch of checks)
        out(
          `${ch.ok ? '✓' : '✗'} ${ch.name}: ${ch.detail}${!ch.ok && 'fix' in ch && ch.fix ? `\n    fix: ${ch.fix}` : ''}`,
        );
    if (checks.some((ch) => !ch.ok)) process.exitCode = 1;
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else if (isAppError(err)) {
    process.stderr.write(`crest: ${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`crest: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
