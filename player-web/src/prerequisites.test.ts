import test from 'ava';
import { prerequisitesMet } from './prerequisites.ts';

const statuses: Record<string, string> = {
  a: 'completed',
  b: 'passed',
  c: 'incomplete',
  d: 'failed',
  e: 'not attempted',
};
const met = (expr: string) => prerequisitesMet(expr, (id) => statuses[id]);

test('an identifier is met when passed or completed', (t) => {
  t.true(met('a'));
  t.true(met('b'));
  t.false(met('c'));
  t.false(met('d'));
  t.false(met('e'));
});

test('and, or, not and parentheses', (t) => {
  t.true(met('a&b'));
  t.false(met('a&c'));
  t.true(met('c|a'));
  t.true(met('~c'));
  t.false(met('~(a|c)'));
  t.true(met('(a & ~d) | c'));
});

test('a count set needs at least n of its members', (t) => {
  t.true(met('2*{a,b,c}'));
  t.false(met('3*{a,b,c}'));
  t.true(met('1*{c,d,b}'));
});

test('comparisons against status words, quoted, unquoted and abbreviated', (t) => {
  t.true(met('d="failed"'));
  t.true(met('d=f'));
  t.true(met('c<>passed'));
  t.false(met("c='incomplete' & d<>failed"));
  t.true(met('e=not attempted'));
});

test('empty, malformed and unknown names never lock the learner out', (t) => {
  t.true(met(''));
  t.true(prerequisitesMet(null, () => undefined));
  t.true(met('a & (b'));
  t.true(met('zzz'));
  t.false(met('zzz & c'));
});
