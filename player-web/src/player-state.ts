import { shell } from './shell.ts';

/** What the player is doing, on window.__crestPlayer.state: tests and embedding pages read it. */
export const state: Record<string, unknown> = { phase: 'booting', launched: [] as string[], answers: 0 };

/** Shows why the course cannot be played, and stops whatever was starting it. */
export function fail(message: string): never {
  state.phase = 'error';
  state.error = message;
  shell.setTitle('Cannot open this course');
  shell.message(message);
  throw new Error(message);
}
