import { execFileSync } from 'node:child_process';
import {
  createHash,
  createHmac,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  X509Certificate,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { isAppError } from '../../core/errors.ts';
import { type AttachmentPart, matchAttachments, parseStatementRequest } from './multipart.ts';
import { SIGNATURE_USAGE_TYPE, truncateDuration, verifySignedStatements } from './signed-statement.ts';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const { privateKey: otherKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

const HASHES: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' };

/** A compact JWS. `payload` is signed as given when it is a string (to test broken JSON). */
function jws(
  payload: unknown,
  opts: { alg?: string; key?: KeyObject; header?: Record<string, unknown> } = {},
): string {
  const alg = opts.alg ?? 'RS256';
  const header = { alg, ...opts.header };
  const input = `${b64url(JSON.stringify(header))}.${b64url(typeof payload === 'string' ? payload : JSON.stringify(payload))}`;
  let signature: Buffer;
  if (alg.startsWith('HS')) signature = createHmac('sha256', 'secret').update(input).digest();
  else if (alg === 'none') signature = Buffer.alloc(0);
  else signature = sign(HASHES[alg]!, Buffer.from(input), opts.key ?? privateKey);
  return `${input}.${b64url(signature)}`;
}

function baseStatement(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: '4b6f7a4e-5d3c-4d52-9a59-1f0e2d3c4b5a',
    actor: { objectType: 'Agent', name: 'xAPI mbox', mbox: 'mailto:xapi@adlnet.gov' },
    verb: { id: 'http://adlnet.gov/expapi/verbs/attended', display: { 'en-US': 'attended' } },
    object: { objectType: 'Activity', id: 'http://www.example.com/meetings/occurances/34534' },
    ...extra,
  };
}

/** What helper.signStatement does: sign the statement, then attach the signature to it. */
function signed(
  signedPayload: unknown,
  received: Record<string, unknown> = signedPayload as Record<string, unknown>,
  opts: { alg?: string; key?: KeyObject; header?: Record<string, unknown>; contentType?: string } = {},
): { statement: Record<string, unknown>; parts: AttachmentPart[] } {
  const token = jws(signedPayload, opts);
  const statement = {
    ...received,
    attachments: [
      {
        usageType: SIGNATURE_USAGE_TYPE,
        display: { 'en-US': 'Signed by the Test Suite' },
        contentType: opts.contentType ?? 'application/octet-stream',
        length: token.length,
        sha2: sha256(token),
      },
    ],
  };
  return {
    statement,
    parts: [{ sha2: sha256(token), contentType: 'application/octet-stream', body: Buffer.from(token) }],
  };
}

function throws400(t: ExecutionContext, fn: () => unknown, message?: RegExp): void {
  const err = t.throws(fn);
  t.true(isAppError(err), `expected an AppError, got ${String(err)}`);
  t.is((err as { status?: number }).status, 400);
  if (message) t.regex(err!.message, message);
}

// ---------------------------------------------------------------- algorithms and form

for (const alg of ['RS256', 'RS384', 'RS512']) {
  test(`a statement signed with ${alg} is accepted in both versions`, (t) => {
    const { statement, parts } = signed(baseStatement(), baseStatement(), { alg });
    t.notThrows(() => verifySignedStatements([statement], parts, '2.0.0'));
    t.notThrows(() => verifySignedStatements([statement], parts, '1.0.3'));
  });
}

test('HS256 and "none" are refused (XAPI-00117)', (t) => {
  for (const alg of ['HS256', 'none']) {
    const { statement, parts } = signed(baseStatement(), baseStatement(), { alg });
    throws400(t, () => verifySignedStatements([statement], parts, '2.0.0'), /RS256, RS384 or RS512/);
  }
});

test('a payload that is not JSON is refused (XAPI-00116, the suite breakJson case)', (t) => {
  const broken = JSON.stringify(baseStatement()).replace('"', "'");
  const { statement, parts } = signed(broken, baseStatement());
  throws400(t, () => verifySignedStatements([statement], parts, '2.0.0'), /payload is not valid JSON/);
});

test('a payload that is JSON but not a statement object is refused', (t) => {
  const { statement, parts } = signed([baseStatement()], baseStatement());
  throws400(t, () => verifySignedStatements([statement], parts, '2.0.0'), /not a statement object/);
});

test('a signature attachment whose contentType is not application/octet-stream is refused (XAPI-00115)', (t) => {
  const { statement, parts } = signed(baseStatement(), baseStatement(), {
    contentType: 'text/plain; charset=ascii',
  });
  throws400(t, () => verifySignedStatements([statement], parts, '2.0.0'), /application\/octet-stream/);
});

test('a signature attachment without its part is refused', (t) => {
  const { statement } = signed(baseStatement());
  throws400(t, () => verifySignedStatements([statement], [], '2.0.0'), /no part/);
});

test('a signature that is not a compact JWS is refused', (t) => {
  for (const token of [
    'abc.def',
    'a.b.c.d',
    'ey J.e30.c2ln',
    '{"alg":"RS256"}',
    'bm90IGpzb24.e30.c2ln',
    'WzFd.e30.c2ln',
    `${b64url('{"alg":"RS256"}')}.e30.`,
  ]) {
    const { statement } = signed(baseStatement());
    const att = (statement.attachments as Record<string, unknown>[])[0]!;
    att.sha2 = sha256(token);
    const parts = [
      { sha2: sha256(token), contentType: 'application/octet-stream', body: Buffer.from(token) },
    ];
    throws400(t, () => verifySignedStatements([statement], parts, '2.0.0'), /JWS/);
  }
});

test('statements without a signature attachment are left alone', (t) => {
  const other = {
    usageType: 'http://example.com/attachment-usage/test',
    display: { 'en-US': 'x' },
    contentType: 'text/plain',
    length: 1,
    sha2: sha256('x'),
  };
  t.notThrows(() =>
    verifySignedStatements([baseStatement(), baseStatement({ attachments: [other] })], [], '2.0.0'),
  );
});

// ---------------------------------------------------------------- payload equivalence

test('a payload that differs from the statement is refused, naming where', (t) => {
  const changed = baseStatement({
    verb: { id: 'http://adlnet.gov/expapi/verbs/failed', display: { 'en-US': 'attended' } },
  });
  const { statement, parts } = signed(baseStatement(), changed);
  throws400(t, () => verifySignedStatements([statement], parts, '2.0.0'), /differ at verb\.id/);
  const extra = signed(baseStatement(), baseStatement({ result: { success: true } }));
  throws400(t, () => verifySignedStatements([extra.statement], extra.parts, '2.0.0'), /differ at result/);
});

test('authority, stored, version and attachments are ignored in the comparison', (t) => {
  const payload = baseStatement({
    version: '1.0.0',
    authority: { objectType: 'Agent', mbox: 'mailto:someone@example.com' },
    stored: '2020-01-01T00:00:00.000Z',
    attachments: [
      { usageType: 'http://example.com/x', display: {}, contentType: 'a/b', length: 1, sha2: 'ab' },
    ],
  });
  const received = baseStatement({
    version: '2.0.0',
    authority: { objectType: 'Agent', mbox: 'mailto:other@example.com' },
  });
  const { statement, parts } = signed(payload, received);
  t.notThrows(() => verifySignedStatements([statement], parts, '2.0.0'));
});

test('id and timestamp are compared only when both sides carry them', (t) => {
  const noId = baseStatement();
  delete noId.id;
  const a = signed(baseStatement(), noId);
  t.notThrows(() => verifySignedStatements([a.statement], a.parts, '2.0.0'), 'the LRS may assign the id');
  const b = signed(noId, baseStatement());
  t.notThrows(
    () => verifySignedStatements([b.statement], b.parts, '2.0.0'),
    'another LRS may have assigned it',
  );
  const c = signed(baseStatement(), baseStatement({ id: '00000000-0000-4000-8000-000000000000' }));
  throws400(t, () => verifySignedStatements([c.statement], c.parts, '2.0.0'), /differ at id/);
  const d = signed(baseStatement(), baseStatement({ timestamp: '2024-05-04T12:00:00Z' }));
  t.notThrows(() => verifySignedStatements([d.statement], d.parts, '2.0.0'));
});

test('timestamps naming the same instant, UUID case and Group member order are equivalent', (t) => {
  const members = [
    { objectType: 'Agent', mbox: 'mailto:a@example.com' },
    { objectType: 'Agent', mbox: 'mailto:b@example.com' },
  ];
  const payload = baseStatement({
    timestamp: '2023-05-04T12:00:00-05:00',
    actor: { objectType: 'Group', member: members },
    context: { registration: 'AAAAAAAA-0000-4000-8000-000000000000' },
  });
  const received = baseStatement({
    id: '4B6F7A4E-5D3C-4D52-9A59-1F0E2D3C4B5A',
    timestamp: '2023-05-04T17:00:00.000Z',
    actor: { objectType: 'Group', member: [members[1], members[0]] },
    context: { registration: 'aaaaaaaa-0000-4000-8000-000000000000' },
  });
  const { statement, parts } = signed(payload, received);
  t.notThrows(() => verifySignedStatements([statement], parts, '2.0.0'));
  const later = signed(payload, { ...received, timestamp: '2023-05-04T17:00:01.000Z' });
  throws400(t, () => verifySignedStatements([later.statement], later.parts, '2.0.0'), /differ at timestamp/);
});

test('extension values are compared verbatim', (t) => {
  const ext = (v: unknown) => baseStatement({ context: { extensions: { 'http://example.com/ext': v } } });
  const same = signed(ext({ timestamp: '2023-05-04T12:00:00Z' }), ext({ timestamp: '2023-05-04T12:00:00Z' }));
  t.notThrows(() => verifySignedStatements([same.statement], same.parts, '2.0.0'));
  const shifted = signed(
    ext({ timestamp: '2023-05-04T12:00:00Z' }),
    ext({ timestamp: '2023-05-04T12:00:00+00:00' }),
  );
  throws400(t, () => verifySignedStatements([shifted.statement], shifted.parts, '2.0.0'), /extensions/);
});

test('2.0 compares result.duration truncated to 0.01 s; 1.0.3 compares it as a string', (t) => {
  // 4.2.7-Additional-Requirements-for-Data-Types.js: signed 0.12S, JSON part 0.1237S, expects 200.
  const short = baseStatement({ result: { duration: 'P1DT12H36M0.12S' } });
  const full = baseStatement({ result: { duration: 'P1DT12H36M0.1237S' } });
  const { statement, parts } = signed(short, full);
  t.notThrows(() => verifySignedStatements([statement], parts, '2.0.0'));
  throws400(t, () => verifySignedStatements([statement], parts, '1.0.3'), /result\.duration/);
  // Truncation, never rounding: 0.1299 is 0.12, not 0.13.
  const rounded = signed(
    baseStatement({ result: { duration: 'P1DT12H36M0.13S' } }),
    baseStatement({ result: { duration: 'P1DT12H36M0.1299S' } }),
  );
  throws400(t, () => verifySignedStatements([rounded.statement], rounded.parts, '2.0.0'), /result\.duration/);
  // Inside a SubStatement too.
  const sub = (d: string) =>
    baseStatement({
      object: { objectType: 'SubStatement', ...baseStatement({ result: { duration: d } }), id: undefined },
    });
  const s2 = signed(JSON.parse(JSON.stringify(sub('PT4.5S'))), JSON.parse(JSON.stringify(sub('PT4.501S'))));
  t.notThrows(() => verifySignedStatements([s2.statement], s2.parts, '2.0.0'));
});

test('truncateDuration cuts the seconds to hundredths and leaves other forms alone', (t) => {
  t.is(truncateDuration('P1DT12H36M0.1237S'), 'P1DT12H36M0.12S');
  t.is(truncateDuration('P1DT12H36M0.12567S'), 'P1DT12H36M0.12S');
  t.is(truncateDuration('PT16559.14S'), 'PT16559.14S');
  t.is(truncateDuration('PT1H0M0.1S'), 'PT1H0M0.10S');
  t.is(truncateDuration('PT5S'), 'PT5.00S');
  t.is(truncateDuration('PT5,129S'), 'PT5.12S');
  t.is(truncateDuration('P3Y'), 'P3Y');
  t.is(truncateDuration('P4W'), 'P4W');
});

test('in a batch, the failing statement is named', (t) => {
  const good = signed(baseStatement());
  const bad = signed(baseStatement(), baseStatement(), { alg: 'HS256' });
  throws400(
    t,
    () => verifySignedStatements([good.statement, bad.statement], [...good.parts, ...bad.parts], '2.0.0'),
    /^Statement 2/,
  );
});

// ---------------------------------------------------------------- through the multipart parser

test('a helper.signStatement-style request parses, matches and verifies end to end', (t) => {
  const boundary = '-------------1234567890';
  const { statement, parts } = signed(baseStatement({ result: { duration: 'PT0.12S' } }));
  const token = parts[0]!.body.toString();
  const body = Buffer.concat([
    Buffer.from(`\r\n--${boundary}\r\nContent-Type:application/json\r\n\r\n`),
    Buffer.from(JSON.stringify(statement).replace('PT0.12S', 'PT0.1237S')),
    Buffer.from(
      `\r\n--${boundary}\r\nContent-Type:application/octet-stream\r\nContent-Transfer-Encoding:binary\r\n` +
        `X-Experience-API-Hash:${sha256(token)}\r\n\r\n${token}\r\n--${boundary}--`,
    ),
  ]);
  const req = parseStatementRequest(body, `multipart/mixed; boundary=${boundary}`);
  const statements = [req.statementsJson];
  const stored = matchAttachments(statements, req.parts);
  t.notThrows(() => verifySignedStatements(statements, stored, '2.0.0'));
  throws400(t, () => verifySignedStatements(statements, stored, '1.0.3'));
});

// ---------------------------------------------------------------- x5c

type Pki = {
  selfSigned: { key: KeyObject; der: string };
  ca: { der: string };
  leaf: { key: KeyObject; der: string };
};

function makePki(): Pki | null {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'crest-x5c-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  try {
    const req = ['req', '-newkey', 'rsa:2048', '-nodes', '-days', '2'];
    run(...req, '-x509', '-keyout', 'self.key', '-out', 'self.pem', '-subj', '/CN=crest-self');
    run(...req, '-x509', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=crest-ca');
    run(...req, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=crest-leaf');
    run(
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'leaf.pem',
      '-days',
      '2',
    );
    const der = (f: string) => new X509Certificate(readFileSync(join(dir, f))).raw.toString('base64');
    const key = (f: string) => createPrivateKey(readFileSync(join(dir, f)));
    return {
      selfSigned: { key: key('self.key'), der: der('self.pem') },
      ca: { der: der('ca.pem') },
      leaf: { key: key('leaf.key'), der: der('leaf.pem') },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pki = makePki();
if (!pki) {
  console.warn(
    '\n!!! openssl is not on PATH: the x5c signature test is SKIPPED; install openssl to run it. !!!\n',
  );
}
const x5cTest = pki ? test : test.skip;

x5cTest('with x5c the RSA signature is verified against the first certificate', (t) => {
  const { selfSigned, leaf, ca } = pki!;
  const ok = signed(baseStatement(), baseStatement(), {
    key: selfSigned.key,
    header: { x5c: [selfSigned.der] },
  });
  t.notThrows(() => verifySignedStatements([ok.statement], ok.parts, '2.0.0'));
  for (const alg of ['RS384', 'RS512']) {
    const other = signed(baseStatement(), baseStatement(), {
      alg,
      key: selfSigned.key,
      header: { x5c: [selfSigned.der] },
    });
    t.notThrows(() => verifySignedStatements([other.statement], other.parts, '2.0.0'));
  }

  // Signed by a key that is not the certificate's.
  const wrongKey = signed(baseStatement(), baseStatement(), {
    key: otherKey,
    header: { x5c: [selfSigned.der] },
  });
  throws400(
    t,
    () => verifySignedStatements([wrongKey.statement], wrongKey.parts, '2.0.0'),
    /does not verify/,
  );

  // A tampered payload: the JWS signature no longer covers it.
  const token = jws(baseStatement(), { key: selfSigned.key, header: { x5c: [selfSigned.der] } });
  const [h, , s] = token.split('.');
  const tampered = `${h}.${b64url(JSON.stringify(baseStatement({ verb: { id: 'http://example.com/v' } })))}.${s}`;
  const stmt = signed(baseStatement()).statement;
  (stmt.attachments as Record<string, unknown>[])[0]!.sha2 = sha256(tampered);
  const parts = [
    { sha2: sha256(tampered), contentType: 'application/octet-stream', body: Buffer.from(tampered) },
  ];
  throws400(t, () => verifySignedStatements([stmt], parts, '2.0.0'), /does not verify/);

  // A chain: leaf first, then its issuer.
  const chain = signed(baseStatement(), baseStatement(), {
    key: leaf.key,
    header: { x5c: [leaf.der, ca.der] },
  });
  t.notThrows(() => verifySignedStatements([chain.statement], chain.parts, '2.0.0'));
  const broken = signed(baseStatement(), baseStatement(), {
    key: leaf.key,
    header: { x5c: [leaf.der, selfSigned.der] },
  });
  throws400(t, () => verifySignedStatements([broken.statement], broken.parts, '2.0.0'), /not signed by/);

  // Malformed x5c values.
  for (const x5c of ['abc', [], [42], ['not base64!'], [Buffer.from('not a cert').toString('base64')]]) {
    const m = signed(baseStatement(), baseStatement(), { key: selfSigned.key, header: { x5c } });
    throws400(t, () => verifySignedStatements([m.statement], m.parts, '2.0.0'), /x5c/);
  }
});

test('without x5c no key is available, so a signature by any RSA key passes on form alone', (t) => {
  // xAPI Part Two §2.6.s5.b3.b3 only requires cryptographic validation against an included
  // X.509 certificate; the ADL suite signs without one and expects 200.
  const { statement, parts } = signed(baseStatement(), baseStatement(), { key: otherKey });
  t.notThrows(() => verifySignedStatements([statement], parts, '2.0.0'));
});
