import test from 'ava';
import { assertBlobKey, assertBlobPrefix, tenantKey } from './blob-store.ts';

test('tenantKey joins parts under tenants/<tenant>/, and a part may hold a path', (t) => {
  t.is(tenantKey('acme', 'a', 'b.txt'), 'tenants/acme/a/b.txt');
  t.is(tenantKey('acme_eu', 'packages/42/index.html'), 'tenants/acme_eu/packages/42/index.html');
});

test('tenantKey refuses a bad tenant with TENANT_NAME_INVALID and bad parts with BLOB_KEY_INVALID', (t) => {
  t.throws(() => tenantKey('ACME', 'x'), { code: 'TENANT_NAME_INVALID' });
  t.throws(() => tenantKey('acme/../beta', 'x'), { code: 'TENANT_NAME_INVALID' });
  t.throws(() => tenantKey('acme'), { code: 'BLOB_KEY_INVALID', message: /at least one part/ });
  t.throws(() => tenantKey('acme', 'a', ''), { code: 'BLOB_KEY_INVALID', message: /part 2/ });
  t.throws(() => tenantKey('acme', '../beta/x'), { code: 'BLOB_KEY_INVALID', message: /"\.\." segment/ });
  t.throws(() => tenantKey('acme', 'dir/'), { code: 'BLOB_KEY_INVALID', message: /empty segment/ });
});

test('assertBlobKey accepts ordinary, dotted, spaced and non-ASCII keys', (t) => {
  for (const key of [
    'tenants/acme/x',
    'tenants/acme/.hidden',
    'tenants/acme/.../..x/x..',
    'tenants/acme/with space/and+plus=eq',
    'tenants/acme/é/日本/😀',
    `tenants/acme/${'s'.repeat(254)}`,
  ]) {
    t.is(assertBlobKey(key), key);
  }
});

test('assertBlobKey says which key is refused and why', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['', /must start with "tenants\/<tenant>\/"/],
    ['x/acme/y', /must start with/],
    ['/tenants/acme/x', /must start with/],
    ['tenants/acme', /must start with/],
    ['tenants/Acme/x', /"Acme" is not a valid tenant name/],
    ['tenants/acme/', /empty segment/],
    ['tenants/acme//x', /empty segment/],
    ['tenants/acme/./x', /"\." segment/],
    ['tenants/acme/x/..', /"\.\." segment/],
    ['tenants/acme/a\\b', /backslash/],
    ['tenants/acme/a\u0000b', /U\+0000/],
    ['tenants/acme/a\u007fb', /U\+007F/],
    ['tenants/acme/a\u0085b', /U\+0085/],
    ['tenants/acme/a\ud83db', /U\+D83D/],
    [`tenants/acme/${'s'.repeat(255)}`, /longer than 254 bytes/],
  ];
  for (const [key, why] of cases) {
    const err = t.throws(() => assertBlobKey(key), { code: 'BLOB_KEY_INVALID' }, JSON.stringify(key));
    t.regex(err!.message, why, JSON.stringify(key));
    t.true(err!.message.includes(JSON.stringify(key).slice(0, 40)), `names the key: ${err!.message}`);
  }
});

test('assertBlobKey counts the 1024-byte limit in UTF-8 bytes', (t) => {
  // 13 + 4 × 201 bytes of prefix and folders, then the last segment.
  const folders = `tenants/acme/${['a', 'b', 'c', 'd'].map((c) => `${c.repeat(200)}/`).join('')}`;
  const exact = `${folders}${'e'.repeat(207)}`;
  t.is(Buffer.byteLength(exact), 1024);
  t.is(assertBlobKey(exact), exact);
  t.throws(() => assertBlobKey(`${exact}e`), { code: 'BLOB_KEY_INVALID', message: /longer than 1024 bytes/ });
  // 1024 characters but 1025 bytes: 'é' takes two.
  const wide = `${folders}${'e'.repeat(206)}é`;
  t.is(wide.length, 1024);
  t.throws(() => assertBlobKey(wide), { code: 'BLOB_KEY_INVALID', message: /longer than 1024 bytes/ });
});

test('assertBlobPrefix pins a whole tenant and allows a trailing slash or a partial segment', (t) => {
  for (const prefix of ['tenants/acme/', 'tenants/acme/ab', 'tenants/acme/a/b/', 'tenants/acme/a/b']) {
    t.is(assertBlobPrefix(prefix), prefix);
  }
  for (const prefix of ['tenants/acme', 'tenants/', 'tenants/acme//', 'tenants/acme/../', 'tenants/ac me/']) {
    t.throws(() => assertBlobPrefix(prefix), { code: 'BLOB_KEY_INVALID' }, prefix);
  }
  t.throws(() => assertBlobKey('tenants/acme/a/'), { code: 'BLOB_KEY_INVALID' }, 'a prefix is not a key');
});
