import test from 'ava';
import { createLaneBatcher } from './lane-batcher.ts';

test('inputs arriving while a batch runs are coalesced, within maxWeight, per lane', async (t) => {
  const batches: { lane: string; inputs: number[] }[] = [];
  const batcher = createLaneBatcher<number, string>({
    concurrency: 1,
    maxWeight: 10,
    weight: (n) => n,
    run: async (lane, inputs) => {
      batches.push({ lane, inputs });
      await new Promise((r) => setTimeout(r, 10));
      return inputs.map((n) => `${lane}:${n}`);
    },
  });
  const results = await Promise.all([
    batcher.submit('a', 1),
    batcher.submit('a', 4),
    batcher.submit('a', 5),
    batcher.submit('a', 3),
    batcher.submit('b', 2),
  ]);
  t.deepEqual(results, ['a:1', 'a:4', 'a:5', 'a:3', 'b:2']);
  // Lane a: the first tick's inputs weigh 13 > 10, so they split; lane b runs beside it.
  t.deepEqual(batches, [
    { lane: 'a', inputs: [1, 4, 5] },
    { lane: 'b', inputs: [2] },
    { lane: 'a', inputs: [3] },
  ]);
});

test('an input heavier than maxWeight still runs, alone', async (t) => {
  const sizes: number[] = [];
  const batcher = createLaneBatcher<number, number>({
    concurrency: 1,
    maxWeight: 2,
    weight: (n) => n,
    run: async (_lane, inputs) => {
      sizes.push(inputs.length);
      return inputs;
    },
  });
  t.deepEqual(await Promise.all([batcher.submit('a', 5), batcher.submit('a', 1)]), [5, 1]);
  t.deepEqual(sizes, [1, 1]);
});

test('an Error outcome fails its input alone; a batch that throws is retried input by input', async (t) => {
  const runs: number[][] = [];
  const batcher = createLaneBatcher<number, number>({
    concurrency: 1,
    maxWeight: 100,
    run: async (_lane, inputs) => {
      runs.push(inputs);
      if (inputs.includes(13) && inputs.length > 1) throw new Error('the whole transaction failed');
      if (inputs.includes(13)) throw new Error('13 fails alone too');
      return inputs.map((n) => (n === 7 ? new Error('seven is refused') : n * 2));
    },
  });
  const settled = await Promise.allSettled([
    batcher.submit('a', 1),
    batcher.submit('a', 7),
    batcher.submit('a', 13),
    batcher.submit('a', 2),
  ]);
  t.deepEqual(
    settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)),
    [2, 'seven is refused', '13 fails alone too', 4],
  );
  t.deepEqual(runs, [[1, 7, 13, 2], [1], [7], [13], [2]]);
});

test('concurrency bounds the batches of one lane running at once', async (t) => {
  let running = 0;
  let peak = 0;
  const batcher = createLaneBatcher<number, number>({
    concurrency: 2,
    maxWeight: 1,
    run: async (_lane, inputs) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return inputs;
    },
  });
  await Promise.all(Array.from({ length: 8 }, (_, i) => batcher.submit('a', i)));
  t.is(peak, 2);
});

/** Batches of a concurrency-2 lane whose run takes `runMs`, for inputs 1, 2, 3 submitted 5 ms apart. */
async function lingerRun(lingerMs: number, runMs: number) {
  const t0 = performance.now();
  const batches: { inputs: number[]; at: number }[] = [];
  const batcher = createLaneBatcher<number, number>({
    concurrency: 2,
    maxWeight: 10,
    lingerMs,
    run: async (_lane, inputs) => {
      batches.push({ inputs, at: performance.now() - t0 });
      await new Promise((r) => setTimeout(r, runMs));
      return inputs;
    },
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const done = [batcher.submit('a', 1)];
  await sleep(5);
  done.push(batcher.submit('a', 2));
  await sleep(5);
  done.push(batcher.submit('a', 3));
  return { results: await Promise.all(done), batches, total: performance.now() - t0 };
}

test('with lingerMs, a free slot waits for more inputs while another batch is in flight', async (t) => {
  const plain = await lingerRun(0, 100);
  t.deepEqual(
    plain.batches.map((b) => b.inputs),
    [[1], [2], [3]],
    'without it the second slot takes input 2 alone',
  );
  const lingered = await lingerRun(40, 100);
  t.deepEqual(lingered.results, [1, 2, 3]);
  t.deepEqual(
    lingered.batches.map((b) => b.inputs),
    [[1], [2, 3]],
  );
  t.true(lingered.batches[0]!.at < 20, 'an idle lane starts at once');
  t.true(lingered.batches[1]!.at >= 40, `the second batch waited (${lingered.batches[1]!.at} ms)`);
});

test('a lingering slot starts as soon as the lane goes idle', async (t) => {
  const { batches, total } = await lingerRun(5000, 30);
  t.deepEqual(
    batches.map((b) => b.inputs),
    [[1], [2, 3]],
  );
  t.true(total < 1000, `finished in ${Math.round(total)} ms, not after the 5 s linger`);
});
