import { createAuthenticator } from '../control/authenticator.ts';
import type { Config } from '../core/config.ts';
import { AppError } from '../core/errors.ts';
import { migrateControl } from '../db/migrate.ts';
import { readAdminToken } from './admin-token.ts';
import { type Adapters, openAdapters } from './compose.ts';
import { type ControlPlane, localControlPlane, remoteControlPlane } from './control-plane.ts';
import { acquireLock, readLock } from './data-lock.ts';

export type CliTarget =
  | { mode: 'remote'; control: ControlPlane; url: string; pid: number }
  | { mode: 'local'; control: ControlPlane; adapters: Adapters };

/** The live server holding an embedded data folder, if there is one. */
export function runningServer(config: Config): { url: string; pid: number } | undefined {
  if (config.database.kind !== 'pglite') return undefined;
  const lock = readLock(config.dataDir);
  return lock?.url ? { url: lock.url, pid: lock.pid } : undefined;
}

/**
 * Opens what a CLI command needs. With PostgreSQL the CLI connects directly, like any other process.
 * With an embedded folder that a running server holds, it asks that server over its admin API, since
 * only one process may open a PGlite folder.
 */
export async function withCliTarget<T>(
  config: Config,
  fn: (target: CliTarget) => Promise<T>,
  options: { migrate?: boolean } = {},
): Promise<T> {
  const server = runningServer(config);
  if (server) {
    const token = readAdminToken(config.dataDir, config.adminToken);
    if (!token) {
      throw new AppError(
        'UNAUTHENTICATED',
        `Crest (pid ${server.pid}) holds ${config.dataDir} but its admin token is unreadable. Run the CLI as the user that runs the server, or set CREST_ADMIN_TOKEN.`,
      );
    }
    return fn({
      mode: 'remote',
      control: remoteControlPlane(server.url, token),
      url: server.url,
      pid: server.pid,
    });
  }
  if (config.database.kind === 'pglite' && readLock(config.dataDir)) {
    throw new AppError('DATA_DIR_LOCKED', `Crest is starting on ${config.dataDir}; try again in a moment.`);
  }
  const lock = config.database.kind === 'pglite' ? acquireLock(config.dataDir) : undefined;
  let adapters: Adapters | undefined;
  try {
    adapters = await openAdapters(config, {
      onDbRetry: (attempt, max, err) =>
        process.stderr.write(
          `PostgreSQL is not reachable yet (${(err as { code?: string }).code ?? err.message}); retry ${attempt}/${max}…\n`,
        ),
    });
    if (options.migrate !== false) await migrateControl(adapters.db);
    const auth = createAuthenticator(adapters.db, { ttlMs: 0 });
    return await fn({
      mode: 'local',
      control: localControlPlane(adapters.db, adapters.blobs, auth.forget),
      adapters,
    });
  } finally {
    await adapters?.close();
    lock?.release();
  }
}
