import test from 'ava';
import { checkpointStarts } from './checkpoints.ts';

const at = (pattern: string, everyMs = 50) =>
  [...pattern].map((c, i) => ({ at: 1_000 + i * everyMs, busy: c === '#' }));

test('a checkpoint begins at the first busy sample after an idle one', (t) => {
  t.deepEqual(checkpointStarts(at('...####..')), [1_150]);
  t.deepEqual(checkpointStarts(at('..###...####')), [1_100, 1_400]);
});

test('one busy sample is the checkpointer absorbing fsync requests, not a checkpoint', (t) => {
  t.deepEqual(checkpointStarts(at('..#...#..')), []);
});

test('a checkpoint running when sampling began has no known start; one running when it ended has', (t) => {
  t.deepEqual(checkpointStarts(at('###..##')), [1_250]);
  t.deepEqual(checkpointStarts(at('')), []);
});
