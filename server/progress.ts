import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, label?: string): void;
  stop(): void;
}

/**
 * A progress bar on a terminal; on a pipe or in CI, a plain line every 10% so logs stay readable.
 * Either way it writes to stderr, so stdout stays clean for --json output.
 */
export function startProgress(title: string, total: number): Progress {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${title} [{bar}] {value}/{total} {label}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { label: '' });
    return {
      update: (done, label = '') => bar.update(done, { label }),
      stop: () => bar.stop(),
    };
  }
  let lastDecile = -1;
  return {
    update(done, label = '') {
      const decile = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (decile !== lastDecile || done === total) {
        lastDecile = decile;
        process.stderr.write(`${title}: ${done}/${total}${label ? ` ${label}` : ''}\n`);
      }
    },
    stop: () => undefined,
  };
}
