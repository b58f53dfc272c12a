import { createHash, randomBytes } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { isAppError } from '../../core/errors.ts';
import {
  type AttachmentPart,
  buildMultipartResponse,
  matchAttachments,
  parseStatementRequest,
} from './multipart.ts';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The boundary the ADL suite uses for its hand-built bodies. */
const SUITE_BOUNDARY = '-------314159265358979323846';

type PartSpec = { headers: string[]; body: Buffer | string };

/** Builds a multipart body the way clients (and the ADL suite) do; options add their quirks. */
function multipart(
  boundary: string,
  parts: PartSpec[],
  opts: { leadingCrlf?: boolean; finalCrlf?: boolean; eol?: string } = {},
): Buffer {
  const eol = opts.eol ?? '\r\n';
  const chunks: Buffer[] = [];
  if (opts.leadingCrlf) chunks.push(Buffer.from(eol));
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}${eol}${p.headers.map((h) => h + eol).join('')}${eol}`));
    chunks.push(Buffer.isBuffer(p.body) ? p.body : Buffer.from(p.body));
    chunks.push(Buffer.from(eol));
  }
  chunks.push(Buffer.from(`--${boundary}--${opts.finalCrlf === false ? '' : eol}`));
  return Buffer.concat(chunks);
}

function attachment(sha2: string, extra: Record<string, unknown> = {}) {
  return {
    usageType: 'http://example.com/attachment-usage/test',
    display: { 'en-US': 'A test attachment' },
    contentType: 'text/plain',
    length: 27,
    sha2,
    ...extra,
  };
}

function statement(attachments?: unknown[]) {
  return {
    actor: { objectType: 'Agent', mbox: 'mailto:xapi@adlnet.gov' },
    verb: { id: 'http://adlnet.gov/expapi/verbs/attended' },
    object: { objectType: 'Activity', id: 'http://www.example.com/meetings/occurances/34534' },
    ...(attachments ? { attachments } : {}),
  };
}

const jsonPart = (json: unknown, header = 'Content-Type: application/json'): PartSpec => ({
  headers: [header],
  body: JSON.stringify(json),
});

const binaryPart = (body: Buffer | string, hash = sha256(body), type = 'text/plain'): PartSpec => ({
  headers: [`Content-Type: ${type}`, 'Content-Transfer-Encoding: binary', `X-Experience-API-Hash: ${hash}`],
  body,
});

function throws400(t: ExecutionContext, fn: () => unknown, message?: RegExp): void {
  const err = t.throws(fn);
  t.true(isAppError(err), `expected an AppError, got ${String(err)}`);
  t.is((err as { code?: string }).code, 'BAD_REQUEST');
  t.is((err as { status?: number }).status, 400);
  if (message) t.regex(err!.message, message);
}

const text1 = 'here is a simple attachment';
const text2 = 'here is another simple attachment';
const text3 = 'here is a third simple attachment';

// ---------------------------------------------------------------- application/json

test('application/json is parsed as JSON with no parts', (t) => {
  const s = statement();
  const r = parseStatementRequest(Buffer.from(JSON.stringify(s)), 'application/json');
  t.deepEqual(r.statementsJson, s);
  t.deepEqual(r.parts, []);
});

test('an empty content type and a charset parameter are read as JSON', (t) => {
  const body = Buffer.from('[{"a":1}]');
  t.deepEqual(parseStatementRequest(body, '').statementsJson, [{ a: 1 }]);
  t.deepEqual(parseStatementRequest(body, 'Application/JSON; charset=utf-8').statementsJson, [{ a: 1 }]);
});

test('invalid or empty JSON is a 400', (t) => {
  throws400(t, () => parseStatementRequest(Buffer.from('{"a":'), 'application/json'), /not valid JSON/);
  throws400(t, () => parseStatementRequest(Buffer.alloc(0), 'application/json'), /empty/);
});

test('content types other than application/json and multipart/mixed are a 400', (t) => {
  const body = Buffer.from(JSON.stringify(statement()));
  throws400(t, () => parseStatementRequest(body, 'text/plain'), /application\/json/);
  throws400(t, () => parseStatementRequest(body, 'application/x-www-form-urlencoded'));
  throws400(t, () => parseStatementRequest(body, 'application/octet-stream'));
});

// ---------------------------------------------------------------- content type header

test('multipart/form-data is a 400, with fileUrl JSON and with raw parts (XAPI-00127)', (t) => {
  const withFileUrl = statement([attachment(sha256(text1), { fileUrl: 'http://over.there.com/file.txt' })]);
  throws400(
    t,
    () =>
      parseStatementRequest(
        Buffer.from(JSON.stringify(withFileUrl)),
        `multipart/form-data; boundary=${SUITE_BOUNDARY}`,
      ),
    /multipart\/mixed/,
  );
  const raw = multipart(SUITE_BOUNDARY, [
    jsonPart(statement([attachment(sha256(text1))])),
    binaryPart(text1),
  ]);
  throws400(t, () => parseStatementRequest(raw, `multipart/form-data; boundary=${SUITE_BOUNDARY}`));
});

test('multipart/mixed without a boundary parameter is a 400 (XAPI-00131 header case)', (t) => {
  const body = multipart(SUITE_BOUNDARY, [jsonPart(statement())]);
  throws400(t, () => parseStatementRequest(body, 'multipart/mixed;'), /boundary/);
  throws400(t, () => parseStatementRequest(body, 'multipart/mixed'), /boundary/);
  throws400(t, () => parseStatementRequest(body, 'multipart/mixed; boundary='), /boundary/);
});

test('a quoted boundary, in any parameter position, is accepted', (t) => {
  const boundary = 'a b;c"d';
  const s = statement([attachment(sha256(text1))]);
  const body = multipart(boundary, [jsonPart(s), binaryPart(text1)]);
  const r = parseStatementRequest(body, 'multipart/mixed; charset=utf-8; BOUNDARY="a b;c\\"d"');
  t.deepEqual(r.statementsJson, s);
  t.is(r.parts.length, 1);
  t.is(r.parts[0]!.body.toString(), text1);
  const suite = multipart(SUITE_BOUNDARY, [jsonPart(s), binaryPart(text1)]);
  t.is(parseStatementRequest(suite, `multipart/mixed; boundary="${SUITE_BOUNDARY}"`).parts.length, 1);
});

// ---------------------------------------------------------------- well-formed bodies

test('the suite JPEG-as-hex body parses and matches although length is the binary size', (t) => {
  const jpegHex = randomBytes(4000).toString('hex');
  const s = statement([attachment(sha256(jpegHex), { contentType: 'image/jpeg', length: 4000 })]);
  const body = multipart(SUITE_BOUNDARY, [jsonPart(s), binaryPart(jpegHex, sha256(jpegHex), 'image/jpeg')]);
  const r = parseStatementRequest(body, `multipart/mixed; boundary=${SUITE_BOUNDARY}`);
  t.deepEqual(r.statementsJson, s);
  t.deepEqual(r.parts[0], { sha2: sha256(jpegHex), contentType: 'image/jpeg', body: Buffer.from(jpegHex) });
  const stored = matchAttachments([s], r.parts);
  t.is(stored.length, 1);
  t.is(stored[0]!.body.toString(), jpegHex);
});

test('signed-statement quirks: leading CRLF, no space after colons, no CRLF after the close', (t) => {
  // The suite's helper.signStatement and the 2.0 util boundary -------------__<uuid>__123__456.
  const boundary = '-------------__0b9e1c6e-2f0a-4d0e-8a5b-8f2a64b2c0de__123__456';
  const jws = 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln';
  const s = statement([attachment(sha256(jws), { contentType: 'application/octet-stream' })]);
  const body = Buffer.concat([
    Buffer.from(`\r\n--${boundary}\r\nContent-Type:application/json\r\n\r\n`),
    Buffer.from(JSON.stringify(s)),
    Buffer.from(
      `\r\n--${boundary}\r\nContent-Type:application/octet-stream\r\nContent-Transfer-Encoding:binary\r\n` +
        `X-Experience-API-Hash:${sha256(jws)}\r\n\r\n`,
    ),
    Buffer.from(jws),
    Buffer.from(`\r\n--${boundary}--`),
  ]);
  const r = parseStatementRequest(body, `multipart/mixed; boundary=${boundary}`);
  t.deepEqual(r.statementsJson, s);
  t.deepEqual(r.parts, [
    { sha2: sha256(jws), contentType: 'application/octet-stream', body: Buffer.from(jws) },
  ]);
  t.is(matchAttachments([s], r.parts).length, 1);
});

test('bare-LF line endings, folded headers, header case and transport padding are tolerated', (t) => {
  const s = statement([attachment(sha256(text1))]);
  const body = Buffer.from(
    `--b1  \n` +
      `content-type: application/json\n\n${JSON.stringify(s)}\n` +
      `--b1\t\n` +
      `CONTENT-TYPE: text/plain;\n charset=ascii\ncontent-transfer-encoding: BINARY\n` +
      `x-experience-api-hash:   ${sha256(text1)}  \n\n${text1}\n` +
      `--b1--\n`,
  );
  const r = parseStatementRequest(body, 'multipart/mixed; boundary=b1');
  t.deepEqual(r.statementsJson, s);
  t.is(r.parts[0]!.contentType, 'text/plain; charset=ascii');
  t.is(r.parts[0]!.body.toString(), text1);
});

test('multipart with only the JSON part is accepted, with fileUrl or no attachments (1.5.2.s3.b8–b9)', (t) => {
  const fileUrl = statement([attachment(sha256(text1), { fileUrl: 'http://over.there.com/file.txt' })]);
  const r = parseStatementRequest(
    multipart(SUITE_BOUNDARY, [jsonPart(fileUrl)]),
    `multipart/mixed; boundary=${SUITE_BOUNDARY}`,
  );
  t.deepEqual(r.parts, []);
  t.deepEqual(matchAttachments([r.statementsJson], r.parts), []);
  const none = parseStatementRequest(
    multipart(SUITE_BOUNDARY, [jsonPart(statement())]),
    `multipart/mixed; boundary=${SUITE_BOUNDARY}`,
  );
  t.deepEqual(matchAttachments([none.statementsJson], none.parts), []);
});

test('a 20 MB binary part is returned byte-exact, zero-copy, despite boundary look-alikes', (t) => {
  const boundary = 'crest-test-boundary';
  const big = randomBytes(20 * 1024 * 1024);
  // Plant near-misses: line breaks, dashes and the boundary followed by other bytes.
  const trap = Buffer.from(`\r\n--${boundary}X\r\n--${boundary}-x\n--crest\r\n\r\n`);
  trap.copy(big, 1000);
  trap.copy(big, big.length - trap.length - 10);
  const hash = sha256(big);
  const s = statement([attachment(hash, { contentType: 'application/octet-stream', length: big.length })]);
  const body = multipart(boundary, [jsonPart(s), binaryPart(big, hash, 'application/octet-stream')]);
  const started = process.hrtime.bigint();
  const r = parseStatementRequest(body, `multipart/mixed; boundary=${boundary}`);
  const stored = matchAttachments([s], r.parts);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.is(stored.length, 1);
  t.is(stored[0]!.body.length, big.length);
  t.true(stored[0]!.body.equals(big));
  t.is(stored[0]!.body.buffer, body.buffer, 'the part is a view of the request buffer, not a copy');
  t.true(ms < 5000, `parsing and hashing 20 MB took ${ms} ms`);
});

// ---------------------------------------------------------------- malformed bodies

test('a body that does not start with the boundary is a 400 (XAPI-00131)', (t) => {
  const s = statement([attachment(sha256(text1))]);
  const body = Buffer.concat([
    Buffer.from(`Content-Type: application/json\r\n\r\n${JSON.stringify(s)}\r\n`),
    multipart(SUITE_BOUNDARY, [binaryPart(text1)]),
  ]);
  throws400(
    t,
    () => parseStatementRequest(body, `multipart/mixed; boundary=${SUITE_BOUNDARY}`),
    /start with the boundary/,
  );
  throws400(t, () =>
    parseStatementRequest(
      Buffer.from(`--${SUITE_BOUNDARY}extra\r\n`),
      `multipart/mixed; boundary=${SUITE_BOUNDARY}`,
    ),
  );
  throws400(t, () => parseStatementRequest(Buffer.alloc(0), `multipart/mixed; boundary=${SUITE_BOUNDARY}`));
});

test('a missing boundary before the second part is a 400 (XAPI-00130)', (t) => {
  const s = statement([attachment(sha256(text1))]);
  const c = '\r\n';
  const body =
    `--${SUITE_BOUNDARY}${c}Content-Type: application/json${c}${c}${JSON.stringify(s)}${c}` +
    `Content-Type: text/plain${c}Content-Transfer-Encoding: binary${c}X-Experience-API-Hash: ${sha256(text1)}${c}${c}` +
    `${text1}${c}--${SUITE_BOUNDARY}--${c}`;
  throws400(
    t,
    () => parseStatementRequest(Buffer.from(body), `multipart/mixed; boundary=${SUITE_BOUNDARY}`),
    /JSON/,
  );
});

test('a body without its closing boundary is a 400', (t) => {
  const s = statement([attachment(sha256(text1))]);
  const full = multipart(SUITE_BOUNDARY, [jsonPart(s), binaryPart(text1)]);
  const truncated = full.subarray(0, full.indexOf(`\r\n--${SUITE_BOUNDARY}--`));
  throws400(
    t,
    () => parseStatementRequest(truncated, `multipart/mixed; boundary=${SUITE_BOUNDARY}`),
    /closing boundary/,
  );
});

test('a first part that is not application/json is a 400 (XAPI-00134)', (t) => {
  const s = statement([attachment(sha256(text1))]);
  for (const header of ['Content-Type: text/plain', 'X-Other: 1']) {
    const body = multipart(SUITE_BOUNDARY, [jsonPart(s, header), binaryPart(text1)]);
    throws400(
      t,
      () => parseStatementRequest(body, `multipart/mixed; boundary=${SUITE_BOUNDARY}`),
      /first part/,
    );
  }
});

test('a first part that is not valid JSON is a 400', (t) => {
  const body = multipart(SUITE_BOUNDARY, [
    { headers: ['Content-Type: application/json'], body: '{"actor":' },
  ]);
  throws400(
    t,
    () => parseStatementRequest(body, `multipart/mixed; boundary=${SUITE_BOUNDARY}`),
    /not valid JSON/,
  );
});

test('statements split across two JSON parts are a 400 (XAPI-00133)', (t) => {
  const s = statement([attachment(sha256(text1))]);
  const body = multipart(SUITE_BOUNDARY, [jsonPart(s), jsonPart(s), binaryPart(text1)]);
  throws400(
    t,
    () => parseStatementRequest(body, `multipart/mixed; boundary=${SUITE_BOUNDARY}`),
    /first part/,
  );
});

test('a JSON attachment part that carries its hash is an attachment, not a second statements part', (t) => {
  const doc = '{"score":42}';
  const s = statement([attachment(sha256(doc), { contentType: 'application/json' })]);
  const body = multipart(SUITE_BOUNDARY, [jsonPart(s), binaryPart(doc, sha256(doc), 'application/json')]);
  const r = parseStatementRequest(body, `multipart/mixed; boundary=${SUITE_BOUNDARY}`);
  t.is(matchAttachments([s], r.parts)[0]!.body.toString(), doc);
});

test('an attachment part without X-Experience-API-Hash is a 400 (XAPI-00132)', (t) => {
  const s = statement([attachment(sha256(text1))]);
  const part = { headers: ['Content-Type: text/plain', 'Content-Transfer-Encoding: binary'], body: text1 };
  const body = multipart(SUITE_BOUNDARY, [jsonPart(s), part]);
  throws400(
    t,
    () => parseStatementRequest(body, `multipart/mixed; boundary=${SUITE_BOUNDARY}`),
    /X-Experience-API-Hash/,
  );
});

test('Content-Transfer-Encoding base64 is a 400 (XAPI-00135); a missing one is read as binary', (t) => {
  const s = statement([attachment(sha256(text1))]);
  const base64 = {
    headers: [
      'Content-Type: text/plain',
      'Content-Transfer-Encoding: base64',
      `X-Experience-API-Hash: ${sha256(text1)}`,
    ],
    body: text1,
  };
  throws400(
    t,
    () =>
      parseStatementRequest(
        multipart(SUITE_BOUNDARY, [jsonPart(s), base64]),
        `multipart/mixed; boundary=${SUITE_BOUNDARY}`,
      ),
    /base64/,
  );
  // Part Three §1.5.2.s3.b6: the LRS SHOULD assume binary when the header is absent.
  const implicit = {
    headers: ['Content-Type: text/plain', `X-Experience-API-Hash: ${sha256(text1)}`],
    body: text1,
  };
  const r = parseStatementRequest(
    multipart(SUITE_BOUNDARY, [jsonPart(s), implicit]),
    `multipart/mixed; boundary=${SUITE_BOUNDARY}`,
  );
  t.is(matchAttachments([s], r.parts).length, 1);
});

test('a header line without a colon is a 400', (t) => {
  const s = statement([attachment(sha256(text1))]);
  const part = {
    headers: ['Content-Type: text/plain', 'garbage', `X-Experience-API-Hash: ${sha256(text1)}`],
    body: text1,
  };
  const body = multipart(SUITE_BOUNDARY, [jsonPart(s), part]);
  throws400(
    t,
    () => parseStatementRequest(body, `multipart/mixed; boundary=${SUITE_BOUNDARY}`),
    /malformed header/,
  );
});

// ---------------------------------------------------------------- matchAttachments

function parsed(s: unknown, parts: PartSpec[]): AttachmentPart[] {
  return parseStatementRequest(
    multipart(SUITE_BOUNDARY, [jsonPart(s), ...parts]),
    `multipart/mixed; boundary=${SUITE_BOUNDARY}`,
  ).parts;
}

test('a part whose content does not match its hash is a 400', (t) => {
  const s = statement([attachment(sha256(text1))]);
  throws400(
    t,
    () => matchAttachments([s], parsed(s, [binaryPart(`${text1}!`, sha256(text1))])),
    /does not match/,
  );
  // The suite's case: a hash that is neither the content's nor referenced.
  const other = 'b018994f8bbe0f08992a65c48c8c8c56f09e9baceaa6227ed85c90ae52b73c89';
  throws400(t, () => matchAttachments([s], parsed(s, [binaryPart(text1, other)])));
  throws400(t, () => matchAttachments([s], parsed(s, [binaryPart(text1, 'not-a-hash')])), /SHA-2/);
});

test('an excess part no attachment references is a 400 (XAPI-00128)', (t) => {
  const s = statement([attachment(sha256(text1)), attachment(sha256(text2))]);
  const parts = parsed(s, [binaryPart(text1), binaryPart(text2), binaryPart(text3)]);
  throws400(t, () => matchAttachments([s], parts), /not the sha2 of any attachment/);
});

test('an attachment without fileUrl and without a part is a 400 (XAPI-00129)', (t) => {
  const s = statement([attachment(sha256(text1)), attachment(sha256(text2))]);
  throws400(t, () => matchAttachments([s], parsed(s, [binaryPart(text1)])), /no fileUrl/);
  // application/json: every attachment needs a fileUrl (Part Three §1.5.1).
  throws400(t, () => matchAttachments([s], []), /no fileUrl/);
});

test('a SubStatement attachment without fileUrl needs a part too', (t) => {
  const sub = { ...statement([attachment(sha256(text2))]), objectType: 'SubStatement' };
  const s = { ...statement(), object: sub };
  throws400(t, () => matchAttachments([s], []), /no fileUrl/);
  t.is(matchAttachments([s], parsed(s, [binaryPart(text2)])).length, 1);
});

test('parts are deduplicated by sha2 across a batch; a raw part with fileUrl is still stored', (t) => {
  const withUrl = attachment(sha256(text1), { fileUrl: 'http://over.there.com/file.txt' });
  const batch = [statement([attachment(sha256(text1))]), statement([withUrl, attachment(sha256(text2))])];
  const stored = matchAttachments(
    batch,
    parsed(batch, [binaryPart(text1), binaryPart(text2), binaryPart(text1)]),
  );
  t.deepEqual(
    stored.map((p) => p.body.toString()),
    [text1, text2],
  );
});

test('a part without Content-Type takes the attachment contentType; the statement spelling of sha2 wins', (t) => {
  const upper = sha256(text1).toUpperCase();
  const s = statement([attachment(upper, { contentType: 'text/plain; charset=ascii' })]);
  const part = {
    headers: ['Content-Transfer-Encoding: binary', `X-Experience-API-Hash: ${sha256(text1)}`],
    body: text1,
  };
  const [stored] = matchAttachments([s], parsed(s, [part]));
  t.is(stored!.contentType, 'text/plain; charset=ascii');
  t.is(stored!.sha2, upper);
});

test('SHA-384 and SHA-512 hashes are verified with the matching algorithm', (t) => {
  for (const alg of ['sha384', 'sha512']) {
    const hash = createHash(alg).update(text1).digest('hex');
    const s = statement([attachment(hash)]);
    t.is(matchAttachments([s], parsed(s, [binaryPart(text1, hash)])).length, 1);
  }
});

// ---------------------------------------------------------------- buildMultipartResponse

test('the response is multipart/mixed with a regex-safe boundary as the first parameter', (t) => {
  const s = { id: 'x', ...statement([attachment(sha256(text1)), attachment(sha256(text2))]) };
  const res = buildMultipartResponse(s, [
    { sha2: sha256(text1), contentType: 'text/plain', body: Buffer.from(text1) },
    { sha2: sha256(text2), contentType: 'text/plain', body: Buffer.from(text2) },
  ]);
  t.regex(res.contentType, /^multipart\/mixed; boundary=[A-Za-z0-9-]+$/);
  // 4.1.6.1-Statement-Resource.js reads it exactly like this.
  const boundary = res.contentType.split(';')[1]!.replace(' boundary=', '');
  const text = res.body.toString();
  t.true(text.startsWith(`--${boundary}\r\nContent-Type: application/json\r\n\r\n{`));
  t.true(text.endsWith(`\r\n--${boundary}--\r\n`));
  t.false(/[^\r]\n/.test(text), 'every line break is CRLF');
  const sections = text.split(`--${boundary}`);
  t.is(sections.length, 5); // '', json, att1, att2, '--\r\n'
  t.deepEqual(
    JSON.parse(sections[1]!.slice(sections[1]!.indexOf('{'), sections[1]!.lastIndexOf('}') + 1)),
    s,
  );
  t.is(
    sections[2],
    `\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: ${sha256(text1)}\r\n\r\n${text1}\r\n`,
  );
  // Each hash appears once in the statement and once in its part header.
  t.is(text.split(sha256(text1)).length - 1, 2);
  t.is(text.split(sha256(text2)).length - 1, 2);
});

test('the response round-trips through the request parser, binary and deduplicated', (t) => {
  const bin = randomBytes(64 * 1024);
  const s = statement([attachment(sha256(bin), { contentType: 'application/octet-stream' })]);
  const att = { sha2: sha256(bin), contentType: 'application/octet-stream', body: bin };
  const res = buildMultipartResponse({ statements: [s], more: '' }, [att, att]);
  const r = parseStatementRequest(res.body, res.contentType);
  t.deepEqual(r.statementsJson, { statements: [s], more: '' });
  t.is(r.parts.length, 1);
  t.true(r.parts[0]!.body.equals(bin));
  t.is(matchAttachments([s], r.parts).length, 1);
});

test('response headers cannot be forged through a stored contentType; pre-serialized JSON is kept', (t) => {
  const res = buildMultipartResponse(Buffer.from('{"a":1}'), [
    { sha2: sha256(text1), contentType: 'text/plain\r\nX-Evil: 1', body: Buffer.from(text1) },
    { sha2: sha256(text2), contentType: '', body: Buffer.from(text2) },
  ]);
  const text = res.body.toString();
  t.false(text.includes('\r\nX-Evil'));
  t.true(text.includes('Content-Type: text/plain X-Evil: 1\r\n'));
  t.true(text.includes('Content-Type: application/octet-stream\r\n'));
  t.true(text.includes('\r\n\r\n{"a":1}\r\n'));
});
