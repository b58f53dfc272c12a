import test from 'ava';
import { formatSlowWindows, slowWindows } from './slow-windows.ts';

const t0 = 1_800_000_000_000;

/** One request every 10 ms for `seconds`, latency from `ms(offset)`. */
function level(seconds: number, ms: (offset: number) => number) {
  const dueAt: number[] = [];
  const lat: number[] = [];
  for (let o = 0; o < seconds * 1000; o += 10) {
    dueAt.push(t0 + o);
    lat.push(ms(o));
  }
  return { dueAt, ms: lat };
}

test('slow requests bunched in a stall land in its windows, set beside the write-back there', (t) => {
  // A 300 ms stall at 2.0 s, as the page cache drops from 500 MiB to 20 MiB; a 100 ms one at 4.0 s without.
  const timeline = level(5, (o) =>
    o >= 2000 && o < 2300 ? 150 + (2300 - o) / 2 : o >= 4000 && o < 4100 ? 110 : 12,
  );
  const writeback = Array.from({ length: 50 }, (_, i) => ({
    at: t0 + i * 100,
    dirtyKiB: (i * 100 < 2000 ? 500 : 20) * 1024,
  }));
  const s = slowWindows(timeline, writeback);
  t.is(s.slow, 40);
  t.deepEqual(
    s.windows.map((w) => [w.startMs, w.slow, Math.round(w.flushedMiB)]),
    [
      [2000, 25, 480],
      [4000, 10, 0],
      [2250, 5, 480],
    ],
  );
  t.is(s.windows[0]!.maxMs, 300);
  const text = formatSlowWindows(s, 5000);
  t.regex(
    text,
    /^The 40 commits over 100 ms fell in 3 of the level's 20 windows of 250 ms; 100% in the 3 worst/,
  );
  t.regex(text, /2\.00 s \(480 MiB written back\)/);
  t.regex(text, /75% in windows where the kernel wrote back ≥ 100 MiB/);
});

test('slow requests spread over the level show as many windows, none flushing', (t) => {
  const timeline = level(2, (o) => (o % 200 === 0 ? 120 : 8));
  const s = slowWindows(timeline, []);
  t.is(s.slow, 10);
  t.is(s.windows.length, 8);
  t.true(s.windows.every((w) => w.flushedMiB === 0));
  t.notRegex(formatSlowWindows(s, 2000), /written back/);
});

test('a level with no slow request says so', (t) => {
  t.is(
    formatSlowWindows(
      slowWindows(
        level(1, () => 5),
        [],
      ),
      1000,
    ),
    'No commit took over 100 ms',
  );
});

test('a stall within seconds of a checkpoint beginning is set beside it; one long after is not', (t) => {
  // Stalls at 2.0 s and 9.0 s; a checkpoint began at 1.2 s, so the first window is 0.8 s after it.
  const timeline = level(10, (o) => ((o >= 2000 && o < 2200) || (o >= 9000 && o < 9100) ? 140 : 10));
  const s = slowWindows(timeline, [], 100, 250, [t0 + 1200]);
  t.deepEqual(
    s.windows.map((w) => [w.startMs, w.afterCheckpointMs]),
    [
      [2000, 800],
      [9000, undefined],
    ],
  );
  const text = formatSlowWindows(s, 10_000);
  t.regex(text, /2\.00 s \(0\.8 s after a checkpoint began\), 9\.00 s;/);
  t.regex(text, /; 67% within 3 s after a checkpoint began$/);
});

test('a checkpoint beginning inside a window counts as right after it', (t) => {
  const timeline = level(1, (o) => (o >= 500 && o < 600 ? 150 : 10));
  const s = slowWindows(timeline, [], 100, 250, [t0 + 540]);
  t.is(s.windows[0]!.afterCheckpointMs, 0);
});
