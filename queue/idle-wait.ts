/**
 * Pauses of idle pollers, by key, that a wake ends early: a process that sends work to itself need not wait
 * out the backoff of its own consumers.
 */
export class Wakers {
  readonly #waiting = new Map<string, Set<() => void>>();

  /** Resolves after `ms`, or at once when `key` is woken: true if it was woken. */
  sleep(key: string, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiting = this.#waiting.get(key) ?? new Set<() => void>();
      this.#waiting.set(key, waiting);
      const end = (woken: boolean) => {
        clearTimeout(timer);
        waiting.delete(onWake);
        if (waiting.size === 0 && this.#waiting.get(key) === waiting) this.#waiting.delete(key);
        resolve(woken);
      };
      const onWake = () => end(true);
      const timer = setTimeout(() => end(false), ms);
      waiting.add(onWake);
    });
  }

  wake(key: string): void {
    for (const onWake of [...(this.#waiting.get(key) ?? [])]) onWake();
  }

  wakeAll(): void {
    for (const key of [...this.#waiting.keys()]) this.wake(key);
  }
}
