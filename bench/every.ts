/**
 * Runs `tick` every `everyMs`, never two at once (a slow tick skips the next), until stopped or for `maxSeconds`.
 * The samplers of a bench level use it; the returned stop waits for a tick in flight. Its timers are unreferenced:
 * a run that fails before stopping a sampler must still exit.
 */
export function every(everyMs: number, maxSeconds: number, tick: () => Promise<void>): () => Promise<void> {
  let busy = false;
  const run = async () => {
    if (busy) return;
    busy = true;
    try {
      await tick();
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(run, everyMs).unref();
  const limit = setTimeout(() => clearInterval(timer), maxSeconds * 1000).unref();
  return async () => {
    clearInterval(timer);
    clearTimeout(limit);
    while (busy) await new Promise((r) => setTimeout(r, 5));
  };
}
