import test from 'ava';
import { isAppError } from './errors.ts';
import { hasScope, parseScopes } from './scopes.ts';

test('no scopes means all', (t) => {
  t.deepEqual(parseScopes(undefined), ['all']);
  t.deepEqual(parseScopes([]), ['all']);
});

test('scopes parse from a list or a comma/space separated string, without duplicates', (t) => {
  t.deepEqual(parseScopes('statements/write, state statements/write'), ['statements/write', 'state']);
  t.deepEqual(parseScopes(['profile', 'define']), ['profile', 'define']);
});

test('an unknown scope is refused and named', (t) => {
  const err = t.throws(() => parseScopes(['statements/write', 'statements/delete']));
  t.true(isAppError(err));
  t.regex(err!.message, /Unknown scope "statements\/delete"/);
});

test('all covers everything; all/read covers reads only', (t) => {
  t.true(hasScope(['all'], 'statements/write'));
  t.true(hasScope(['all/read'], 'statements/read'));
  t.true(hasScope(['all/read'], 'statements/read/mine'));
  t.false(hasScope(['all/read'], 'statements/write'));
  t.false(hasScope(['all/read'], 'all'));
  t.true(hasScope(['statements/read'], 'statements/read/mine'));
  t.false(hasScope(['statements/read/mine'], 'statements/read'));
  t.false(hasScope(['state'], 'profile'));
});
