import test from 'ava';
import { hashSecret, newKeyId, newSecret, verifySecret } from './secrets.ts';
import { assertTenantName, tenantSchema } from './tenant-name.ts';

test('a hashed secret verifies, a wrong one does not, and the hash is salted', async (t) => {
  const secret = newSecret();
  const a = await hashSecret(secret);
  const b = await hashSecret(secret);
  t.not(a, b);
  t.false(a.includes(secret));
  t.true(await verifySecret(secret, a));
  t.true(await verifySecret(secret, b));
  t.false(await verifySecret(`${secret}x`, a));
  t.false(await verifySecret(secret, 'garbage'));
});

test('key ids and secrets are random and URL-safe', (t) => {
  const ids = new Set(Array.from({ length: 100 }, newKeyId));
  t.is(ids.size, 100);
  for (const id of ids) t.regex(id, /^ck_[A-Za-z0-9_-]{16}$/);
  t.regex(newSecret(), /^[A-Za-z0-9_-]{43}$/);
});

test('tenant names are safe identifiers', (t) => {
  t.is(tenantSchema('acme_eu'), 't_acme_eu');
  for (const bad of [
    '',
    'a',
    'Acme',
    '1acme',
    'ac-me',
    'ac me',
    "a'b",
    'a;drop',
    'x'.repeat(41),
    '../etc',
    'é',
  ]) {
    t.throws(() => assertTenantName(bad), { message: /not allowed/ }, bad);
  }
});
