import { createHash } from 'node:crypto';
import test from 'ava';
import { canonicalJson, parseCommitBody } from './request-bodies.ts';

/** The copy-then-stringify canonical form the commit hash was first defined with. */
function reference(value: unknown): string {
  const copy = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(copy);
    if (typeof v === 'object' && v !== null)
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, copy((v as Record<string, unknown>)[k])]),
      );
    return v;
  };
  return JSON.stringify(copy(value));
}

test('canonicalJson is JSON.stringify of a key-sorted copy', (t) => {
  const samples: unknown[] = [
    {},
    [],
    { b: 1, a: [3, { z: null, y: 'é"\\\n\u2028' }], c: { '10': true, '9': false, __proto__x: 1 } },
    {
      cmi: {
        interactions: { '1': { id: 'q2' }, '0': { id: 'q1', result: 'correct' } },
        score: { scaled: 0.5 },
      },
    },
    { a: undefined, b: [undefined, 1], ü: 'x', Z: 'upper before lower' },
    JSON.parse('{"__proto__": {"x": 1}, "n": -0.000001, "e": 1e21}'),
  ];
  for (const s of samples) t.is(canonicalJson(s), reference(s));
});

test('a commit hash does not depend on key order, and is the one stored before', (t) => {
  const one = parseCommitBody(
    '{"attemptId":"0b7e3c1a-5a8d-4a51-9a3e-2f4b8c1d9e01","sco":"item_0","seq":3,"terminated":false,' +
      '"cmi":{"location":"p3","suspend_data":"x=1","interactions":{"0":{"id":"q1","result":"correct"}}}}',
  );
  const two = parseCommitBody({
    cmi: { interactions: { '0': { result: 'correct', id: 'q1' } }, suspend_data: 'x=1', location: 'p3' },
    seq: 3,
    sco: 'item_0',
    attemptId: '0b7e3c1a-5a8d-4a51-9a3e-2f4b8c1d9e01',
  });
  t.is(one.hash, two.hash);
  const before = { sco: 'item_0', seq: 3, cmi: one.cmi, terminated: false, navRequest: null };
  t.is(one.hash, createHash('sha256').update(reference(before)).digest('hex'));
});
