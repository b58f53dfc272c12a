import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../core/errors.ts';

/**
 * PGlite is a single process's database: two processes opening one data folder would corrupt it.
 * The lock file records who holds the folder and where it serves, so the CLI can talk to that server
 * instead of opening the folder itself.
 */
export interface LockInfo {
  pid: number;
  url: string | null;
  startedAt: string;
}

function lockPath(dataDir: string): string {
  return path.join(dataDir, 'crest.lock');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live holder of the folder, if any. A lock left by a crashed process is ignored. */
export function readLock(dataDir: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as LockInfo;
    return info.pid !== process.pid && alive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

export interface DataLock {
  setUrl(url: string): void;
  release(): void;
}

export function acquireLock(dataDir: string): DataLock {
  mkdirSync(dataDir, { recursive: true });
  const holder = readLock(dataDir);
  if (holder) {
    throw new AppError(
      'DATA_DIR_LOCKED',
      `The data folder ${dataDir} is in use by Crest (pid ${holder.pid}${holder.url ? `, serving ${holder.url}` : ''}). Stop that process, or set CREST_DATA_DIR to another folder.`,
      { pid: holder.pid },
    );
  }
  const info: LockInfo = { pid: process.pid, url: null, startedAt: new Date().toISOString() };
  const write = () => writeFileSync(lockPath(dataDir), JSON.stringify(info), { mode: 0o600 });
  write();
  return {
    setUrl(url) {
      info.url = url;
      write();
    },
    release() {
      try {
        const current = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as LockInfo;
        if (current.pid === process.pid) rmSync(lockPath(dataDir), { force: true });
      } catch {
        // Already gone.
      }
    },
  };
}
