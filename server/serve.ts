import type { FastifyInstance } from 'fastify';
import { createAuthenticator } from '../control/authenticator.ts';
import type { Config } from '../core/config.ts';
import { AppError } from '../core/errors.ts';
import { migrateAll } from '../db/migrate.ts';
import { createOutboxDispatcher } from '../queue/outbox.ts';
import { courseImportHandler } from '../workers/course-import/handler.ts';
import { startWorkers } from '../workers/runner.ts';
import { loadOrCreateAdminToken } from './admin-token.ts';
import { buildApp } from './app.ts';
import { bootstrapDemo } from './bootstrap-demo.ts';
import { openAdapters } from './compose.ts';
import { buildContentApp } from './content-app.ts';
import { localControlPlane } from './control-plane.ts';
import { acquireLock, type DataLock } from './data-lock.ts';

export interface RunningServer {
  url: string;
  contentUrl: string;
  app: FastifyInstance;
  /** Stops accepting, lets in-flight requests finish, then closes the dispatcher and pools. */
  close(): Promise<void>;
}

export interface ServeOptions {
  print?: (line: string) => void;
  logger?: boolean | { level: string };
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function serve(config: Config, options: ServeOptions = {}): Promise<RunningServer> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const lock: DataLock | undefined =
    config.database.kind === 'pglite' ? acquireLock(config.dataDir) : undefined;
  let adapters: Awaited<ReturnType<typeof openAdapters>> | undefined;
  try {
    adapters = await openAdapters(config, {
      onDbRetry: (attempt, max, err) =>
        print(
          `PostgreSQL is not reachable yet (${(err as { code?: string }).code ?? err.message}); retry ${attempt}/${max}…`,
        ),
    });
    const { db, blobs, queue } = adapters;
    await migrateAll(db, (e) => {
      if (e.phase === 'tenant' && e.applied.length > 0)
        print(`migrated tenant ${e.tenant} (${e.done}/${e.total})`);
    });
    const adminToken = loadOrCreateAdminToken(config.dataDir, config.adminToken);
    const demo = config.bootstrapDemo ? await bootstrapDemo(db) : undefined;
    const authenticator = createAuthenticator(db, { ttlMs: config.authCacheTtlMs });
    const control = localControlPlane(db, blobs, (keyId) => authenticator.forget(keyId));
    const dispatcher = createOutboxDispatcher(db, queue);
    let contentUrl = '';
    const app = await buildApp(
      {
        config,
        db,
        blobs,
        queue,
        authenticator,
        control,
        adminToken,
        courses: {
          uploadLimit: config.uploadLimit,
          contentBaseUrl: () => contentUrl,
          contentSigning: config.contentSigning,
        },
      },
      { logger: options.logger },
    );
    const contentApp = buildContentApp({ config, blobs }, { logger: options.logger });
    try {
      await app.listen({ host: config.host, port: config.port });
      await contentApp.listen({ host: config.host, port: config.contentPort });
    } catch (err) {
      await app.close();
      await contentApp.close();
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') {
        throw new AppError(
          'CONFIG_INVALID',
          `Port ${(e as { port?: number }).port ?? ''} on ${config.host} is in use. Stop what holds it, or set PORT / CREST_CONTENT_PORT.`,
        );
      }
      throw err;
    }
    const contentAddress = contentApp.server.address();
    const contentPort =
      typeof contentAddress === 'object' && contentAddress ? contentAddress.port : config.contentPort;
    contentUrl =
      config.contentBaseUrl?.replace(/\/$/, '') ?? `http://${hostForUrl(config.host)}:${contentPort}`;
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = config.publicUrl?.replace(/\/$/, '') ?? `http://${hostForUrl(config.host)}:${port}`;
    lock?.setUrl(`http://${hostForUrl(config.host)}:${port}`);
    dispatcher.start();
    const workers = startWorkers(queue, [courseImportHandler({ db, blobs })]);

    if (demo) {
      print('First start: created tenant "demo". Its credentials are shown only this once:');
      print(`  xAPI endpoint: ${url}/xapi/`);
      print(`  key:           ${demo.keyId}`);
      print(`  secret:        ${demo.secret}`);
      print(`  try:           curl -u ${demo.keyId}:${demo.secret} ${url}/readyz`);
      print('');
    }
    // Last, so whoever waits for this line (scripts, tests) already has the whole banner.
    print(
      `Crest is listening on ${url} (database: ${db.kind}, storage: ${blobs.kind}, queue: ${queue.kind})`,
    );
    const opened = adapters;
    let closing: Promise<void> | undefined;
    return {
      url,
      contentUrl,
      app,
      close() {
        closing ??= (async () => {
          // Each step is bounded and named, so one stuck part cannot hold the others (or the data
          // folder's lock) hostage, and the log says which part it was.
          await step('HTTP listener', () => app.close(), 10_000, print);
          await step('content listener', () => contentApp.close(), 5_000, print);
          await step('workers', () => workers.stop(), 10_000, print);
          await step('outbox dispatcher', () => dispatcher.stop(), 5_000, print);
          await step('database, storage and queue', () => opened.close(), 10_000, print);
          lock?.release();
        })();
        return closing;
      },
    };
  } catch (err) {
    await adapters?.close().catch(() => undefined);
    lock?.release();
    throw err;
  }
}

async function step(
  name: string,
  fn: () => Promise<unknown>,
  limitMs: number,
  print: (line: string) => void,
) {
  let timer: NodeJS.Timeout | undefined;
  const started = Date.now();
  try {
    await Promise.race([
      fn(),
      new Promise((resolve) => {
        timer = setTimeout(() => {
          print(`shutdown: the ${name} did not stop within ${limitMs} ms; going on without it`);
          resolve(undefined);
        }, limitMs);
      }),
    ]);
  } catch (err) {
    print(`shutdown: stopping the ${name} failed: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
    const took = Date.now() - started;
    if (took > 2000) print(`shutdown: the ${name} took ${took} ms`);
  }
}
