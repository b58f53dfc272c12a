import test, { type ExecutionContext } from 'ava';
import { prerequisitesMet } from './prerequisites.ts';

const statuses: Record<string, string> = {
  a: 'completed',
  b: 'passed',
  c: 'incomplete',
  d: 'failed',
  e: 'not attempted',
};
const met = (expr: string) => prerequisitesMet(expr, (id) => statuses[id]);

/** Each expression with whether it is met. */
function check(t: ExecutionContext, cases: Record<string, boolean>): void {
  for (const [expr, want] of Object.entries(cases)) t.is(met(expr), want, expr);
}

test('an identifier is met when passed or completed', (t) => {
  check(t, { a: true, b: true, c: false, d: false, e: false });
});

test('and, or, not and parentheses', (t) => {
  check(t, { 'a&b': true, 'a&c': false, 'c|a': true, '~c': true, '~(a|c)': false, '(a & ~d) | c': true });
});

test('a count set needs at least n of its members', (t) => {
  check(t, { '2*{a,b,c}': true, '3*{a,b,c}': false, '1*{c,d,b}': true });
});

test('comparisons against status words, quoted, unquoted and abbreviated', (t) => {
  check(t, {
    'd="failed"': true,
    'd=f': true,
    'c<>passed': true,
    "c='incomplete' & d<>failed": false,
    'e=not attempted': true,
  });
});

test('empty, malformed and unknown names never lock the learner out', (t) => {
  check(t, { '': true, 'a & (b': true, zzz: true, 'zzz & c': false });
  t.true(prerequisitesMet(null, () => undefined));
});
