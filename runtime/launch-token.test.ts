import test from 'ava';
import { isAppError } from '../core/errors.ts';
import { launchSigningKey, signLaunchToken, verifyLaunchToken } from './launch-token.ts';

const key = launchSigningKey(undefined, 'admin-token-for-tests-0123456789');
const claims = {
  tenant: 'acme_eu',
  registration: '3f1a1a1a-1a1a-4a1a-8a1a-1a1a1a1a1a1a',
  expiresAt: 2_000_000_000,
};

test('a token round-trips its claims and fits a 100-character path parameter', (t) => {
  const token = signLaunchToken(key, claims);
  t.deepEqual(verifyLaunchToken(key, token, 1_000), claims);
  const longest = signLaunchToken(key, { ...claims, tenant: `t${'x'.repeat(39)}` });
  t.true(longest.length <= 100, `${longest.length}`);
  t.regex(token, /^[A-Za-z0-9_.-]+$/, 'URL-safe');
});

test('expired, altered, re-targeted or foreign-key tokens are LAUNCH_TOKEN_INVALID', (t) => {
  const token = signLaunchToken(key, claims);
  const reject = (bad: string, now = 1_000) => {
    const err = t.throws(() => verifyLaunchToken(key, bad, now));
    t.true(isAppError(err));
    t.is((err as { code?: string }).code, 'LAUNCH_TOKEN_INVALID');
  };
  reject(token, claims.expiresAt * 1000);
  reject(token.replace('acme_eu', 'acme_us'));
  const [tenant, body, mac] = token.split('.');
  const other = signLaunchToken(key, {
    ...claims,
    registration: '00000000-0000-4000-8000-000000000000',
  }).split('.')[1];
  reject(`${tenant}.${other}.${mac}`);
  reject(`${tenant}.${body}.${mac!.slice(0, -1)}${mac!.endsWith('A') ? 'B' : 'A'}`);
  reject(signLaunchToken(launchSigningKey('a-configured-launch-key-of-32-chars!!', 'x'), claims));
  reject('');
});

test('the key is CREST_LAUNCH_SIGNING_KEY when set, else derived from the admin token', (t) => {
  t.deepEqual(launchSigningKey('k'.repeat(32), 'a'), Buffer.from('k'.repeat(32)));
  t.deepEqual(launchSigningKey(undefined, 'a'), launchSigningKey(undefined, 'a'));
  t.notDeepEqual(launchSigningKey(undefined, 'a'), launchSigningKey(undefined, 'b'));
  t.notDeepEqual(launchSigningKey(undefined, 'a'), Buffer.from('a'));
});

test('a token checked once is still refused once expired, and under another key', (t) => {
  const token = signLaunchToken(key, { ...claims, registration: '4f1a1a1a-1a1a-4a1a-8a1a-1a1a1a1a1a1a' });
  t.is(verifyLaunchToken(key, token, 1_000).registration, '4f1a1a1a-1a1a-4a1a-8a1a-1a1a1a1a1a1a');
  const expired = t.throws(() => verifyLaunchToken(key, token, claims.expiresAt * 1000));
  t.is((expired as { code?: string }).code, 'LAUNCH_TOKEN_INVALID');
  const otherKey = launchSigningKey(undefined, 'another-admin-token-0123456789abcdef');
  const foreign = t.throws(() => verifyLaunchToken(otherKey, token, 1_000));
  t.is((foreign as { code?: string }).code, 'LAUNCH_TOKEN_INVALID');
  t.is(verifyLaunchToken(key, token, 1_000).tenant, 'acme_eu', 'and still valid where it is');
});
