import { spawn } from 'node:child_process';

import { IMPORT_ENV, IMPORT_NODE_FLAGS } from './node-flags.ts';

/*
 * `crest import` runs in a process started with IMPORT_NODE_FLAGS and IMPORT_ENV (server/node-flags.ts says
 * why), so it starts itself again with them.
 */

// Set in the relaunched process, so it does not relaunch again.
const MARK = 'CREST_IMPORT_PROCESS';

/**
 * For `crest import …`: runs the same command again in a child process started with IMPORT_NODE_FLAGS
 * and IMPORT_ENV, forwards its exit code (and SIGINT/SIGTERM to it), and returns true. Returns false
 * when this is some other command or already the relaunched process: the caller then runs the CLI here.
 */
export function relaunchForImport(argv = process.argv): boolean {
  if (argv[2] !== 'import' || process.env[MARK] === '1') return false;
  const child = spawn(process.execPath, [...IMPORT_NODE_FLAGS, ...process.execArgv, ...argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...IMPORT_ENV, [MARK]: '1' },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('error', (err) => {
    console.error(`crest import: could not start the import process: ${err.message}`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    process.exitCode = code ?? (signal ? 128 : 1);
  });
  return true;
}
