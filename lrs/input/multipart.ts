import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../core/errors.ts';

/**
 * Statement request bodies: application/json, or multipart/mixed carrying raw attachment data.
 * xAPI 2.0 Part Three §1.5.1–§1.5.2 / 1.0.3 Communication §1.5.1–§1.5.2, Part Two §2.4.11.
 *
 * Pure: no I/O. Binary parts are never converted to strings; they are zero-copy views
 * (`subarray`) of the request buffer, and boundaries are found with `Buffer.indexOf`, so a
 * tens-of-megabytes part costs one linear scan plus one hash.
 */

/** One raw attachment part of a multipart/mixed statement request (or response). */
export type AttachmentPart = { sha2: string; contentType: string; body: Buffer };

export type StatementRequest = { statementsJson: unknown; parts: AttachmentPart[] };

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const SPACE = 0x20;
const TAB = 0x09;
/** A part's header block larger than this is treated as malformed rather than scanned further. */
const MAX_HEADER_BYTES = 64 * 1024;

function bad(message: string): AppError {
  return new AppError('BAD_REQUEST', message);
}

/** Splits `type/subtype; a=b; c="d;e"` into the lower-cased media type and its parameters. */
function parseMediaType(value: string): { type: string; params: Map<string, string> } {
  const semi = value.indexOf(';');
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const params = new Map<string, string>();
  let i = semi < 0 ? value.length : semi + 1;
  while (i < value.length) {
    const eq = value.indexOf('=', i);
    if (eq < 0) break;
    const name = value.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (j < value.length && (value[j] === ' ' || value[j] === '\t')) j++;
    let v = '';
    if (value[j] === '"') {
      // RFC 2045 quoted-string: a backslash escapes the next character.
      j++;
      while (j < value.length && value[j] !== '"') {
        if (value[j] === '\\' && j + 1 < value.length) j++;
        v += value[j];
        j++;
      }
      const next = value.indexOf(';', j);
      i = next < 0 ? value.length : next + 1;
    } else {
      const next = value.indexOf(';', j);
      v = value.slice(j, next < 0 ? value.length : next).trim();
      i = next < 0 ? value.length : next + 1;
    }
    if (name !== '' && !params.has(name)) params.set(name, v);
  }
  return { type, params };
}

function parseJsonText(text: string, where: string): unknown {
  // A UTF-8 byte-order mark is not JSON, but some clients send one; it carries no meaning.
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (t.trim() === '') throw bad(`${where} is empty; send a statement or an array of statements.`);
  try {
    return JSON.parse(t);
  } catch (err) {
    throw bad(`${where} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Turns a statement request body into the statement JSON and the raw attachment parts.
 * Statements accept only application/json (an empty type is read as JSON) and multipart/mixed
 * (xAPI 2.0 Part Three §1.5 / 1.0.3 Communication §1.5); anything else, multipart/form-data
 * included, is a 400. The parts are returned unverified: `matchAttachments` checks their hashes
 * against their content and the statements.
 */
export function parseStatementRequest(body: Buffer, contentType: string): StatementRequest {
  const { type, params } = parseMediaType(contentType ?? '');
  if (type === '' || type === 'application/json') {
    return { statementsJson: parseJsonText(body.toString('utf8'), 'The request body'), parts: [] };
  }
  if (type === 'multipart/mixed') {
    const boundary = params.get('boundary');
    if (boundary === undefined || boundary === '') {
      throw bad('Content-Type multipart/mixed needs a boundary parameter (multipart/mixed; boundary=...).');
    }
    return parseMultipartMixed(body, boundary);
  }
  if (type === 'multipart/form-data') {
    throw bad(
      'Statements with attachments must be sent as multipart/mixed, not multipart/form-data ' +
        '(xAPI Part Three §1.5.2).',
    );
  }
  throw bad(`Statements must be sent as application/json, or multipart/mixed with attachments, not ${type}.`);
}

type RawPart = { headers: Map<string, string>; body: Buffer };

/**
 * Where a delimiter line for `dashBoundary` starting at `at` ends: the index just past its line
 * break (or the body's end), with `close` set for `--boundary--`. Null when the bytes at `at`
 * are the boundary followed by something else, which RFC 2046 §5.1.1 says is not a delimiter.
 */
function delimiterEnd(
  body: Buffer,
  at: number,
  dashBoundary: Buffer,
): { next: number; close: boolean } | null {
  let i = at + dashBoundary.length;
  let close = false;
  if (body[i] === DASH && body[i + 1] === DASH) {
    close = true;
    i += 2;
  }
  // RFC 2046 transport-padding: linear white space before the line break.
  while (body[i] === SPACE || body[i] === TAB) i++;
  if (i >= body.length) return { next: body.length, close };
  if (body[i] === CR && body[i + 1] === LF) return { next: i + 2, close };
  if (body[i] === LF) return { next: i + 1, close };
  // Tolerated for the close delimiter only: whatever follows it is the epilogue.
  return close ? { next: i, close } : null;
}

function splitParts(body: Buffer, boundary: string): RawPart[] {
  const dashBoundary = Buffer.from(`--${boundary}`, 'latin1');
  const lfDelimiter = Buffer.from(`\n--${boundary}`, 'latin1');

  // RFC 2046 allows a preamble, but xAPI clients never need one and the ADL suite expects a
  // body that does not open with the boundary to be refused (XAPI-00131). Leading line breaks
  // are tolerated: the suite's own signed-statement bodies start with CRLF.
  let start = 0;
  while (body[start] === CR || body[start] === LF) start++;
  if (
    start + dashBoundary.length > body.length ||
    !body.subarray(start, start + dashBoundary.length).equals(dashBoundary)
  ) {
    throw bad('The multipart/mixed body must start with the boundary given in the Content-Type header.');
  }
  let delim = delimiterEnd(body, start, dashBoundary);
  if (!delim) {
    throw bad('The multipart/mixed body must start with the boundary given in the Content-Type header.');
  }

  const parts: RawPart[] = [];
  while (!delim.close) {
    const partStart = delim.next;
    // Find the next delimiter: CRLF (or a bare LF, leniently) then --boundary.
    let from = partStart - 1;
    let found = -1;
    let nextDelim: { next: number; close: boolean } | null = null;
    for (;;) {
      const hit = body.indexOf(lfDelimiter, Math.max(from, 0));
      if (hit < 0) break;
      nextDelim = delimiterEnd(body, hit + 1, dashBoundary);
      if (nextDelim) {
        found = hit;
        break;
      }
      from = hit + 1;
    }
    if (found < 0 || !nextDelim) {
      throw bad('The multipart/mixed body ends without its closing boundary (--boundary--).');
    }
    const partEnd = found > partStart && body[found - 1] === CR ? found - 1 : found;
    parts.push(parsePart(body, partStart, Math.max(partEnd, partStart), parts.length + 1));
    delim = nextDelim;
  }
  return parts;
}

/** Reads a part's header lines (RFC 822 style, folding allowed, any space after the colon). */
function parsePart(body: Buffer, start: number, end: number, index: number): RawPart {
  const headers = new Map<string, string>();
  let pos = start;
  let last: string | undefined;
  for (;;) {
    if (pos >= end) {
      // A part that ends inside its headers has no body; tolerate a header-only part.
      return { headers, body: body.subarray(end, end) };
    }
    const lineEnd = body.indexOf(LF, pos);
    const stop = lineEnd < 0 || lineEnd >= end ? end : lineEnd;
    if (stop - start > MAX_HEADER_BYTES) throw bad(`Part ${index} has a header block that is too large.`);
    const contentEnd = stop > pos && body[stop - 1] === CR ? stop - 1 : stop;
    const line = body.toString('latin1', pos, contentEnd);
    pos = stop === end ? end : stop + 1;
    if (line === '') return { headers, body: body.subarray(pos, end) };
    if ((line[0] === ' ' || line[0] === '\t') && last !== undefined) {
      headers.set(last, `${headers.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0)
      throw bad(`Part ${index} has a malformed header line: ${JSON.stringify(line.slice(0, 80))}.`);
    last = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(last)) headers.set(last, line.slice(colon + 1).trim());
  }
}

function parseMultipartMixed(body: Buffer, boundary: string): StatementRequest {
  const raw = splitParts(body, boundary);
  if (raw.length === 0)
    throw bad('The multipart/mixed body has no parts; the first part must hold the statements.');

  // xAPI 2.0 Part Three §1.5.2 / 1.0.3 Communication §1.5.2.s2.b2.b1 and b6: the first part holds
  // the statements and its type MUST be application/json.
  const first = raw[0]!;
  const firstType = parseMediaType(first.headers.get('content-type') ?? '').type;
  if (firstType !== 'application/json') {
    throw bad(
      `The first part of a multipart/mixed statement request must be Content-Type: application/json, not ${
        firstType === '' ? 'missing' : firstType
      }.`,
    );
  }
  const statementsJson = parseJsonText(first.body.toString('utf8'), 'The first (statements) part');

  const parts: AttachmentPart[] = [];
  for (let i = 1; i < raw.length; i++) {
    const { headers, body: partBody } = raw[i]!;
    const n = i + 1;
    const partType = headers.get('content-type') ?? '';
    const hash = headers.get('x-experience-api-hash');
    // §1.5.2.s2.b2.b3: every part after the first MUST carry X-Experience-API-Hash.
    if (hash === undefined || hash === '') {
      if (parseMediaType(partType).type === 'application/json') {
        throw bad(
          `Part ${n} is application/json without X-Experience-API-Hash: all statements must be in the ` +
            'first part, and attachment parts need the hash header.',
        );
      }
      throw bad(`Part ${n} has no X-Experience-API-Hash header; every attachment part needs one.`);
    }
    // §1.5.2.s2.b2.b4 requires the client to send binary; §1.5.2.s3.b6 says the LRS SHOULD
    // assume binary, so a missing header is read as binary and only another value is refused.
    const encoding = headers.get('content-transfer-encoding');
    if (encoding !== undefined && encoding.toLowerCase() !== 'binary') {
      throw bad(`Part ${n} has Content-Transfer-Encoding: ${encoding}; attachment parts must be binary.`);
    }
    parts.push({ sha2: hash, contentType: partType, body: partBody });
  }
  return { statementsJson, parts };
}

const SHA2_BY_HEX_LENGTH: Record<number, string> = {
  56: 'sha224',
  64: 'sha256',
  96: 'sha384',
  128: 'sha512',
};

/** The SHA-2 family member a hex digest of this length comes from (Part Three §1.5.2.s4.b4). */
function sha2Algorithm(hex: string): string | undefined {
  return /^[0-9a-f]+$/.test(hex) ? SHA2_BY_HEX_LENGTH[hex.length] : undefined;
}

/** `key` is the lower-cased sha2 used for matching; `sha2` keeps the statement's spelling. */
type AttachmentRef = { key: string; sha2: string; contentType: string; hasFileUrl: boolean };

/**
 * Attachment objects of a statement, and of its SubStatement: Part Two §2.4.4.3 validates a
 * SubStatement "as a Statement", so its attachments follow the same transmission rules.
 */
function attachmentRefs(statement: unknown): AttachmentRef[] {
  const out: AttachmentRef[] = [];
  const collect = (s: unknown) => {
    if (!s || typeof s !== 'object') return;
    const list = (s as { attachments?: unknown }).attachments;
    if (!Array.isArray(list)) return;
    for (const a of list) {
      if (!a || typeof a !== 'object') continue;
      const { sha2, contentType, fileUrl } = a as Record<string, unknown>;
      if (typeof sha2 !== 'string') continue;
      out.push({
        key: sha2.toLowerCase(),
        sha2,
        contentType: typeof contentType === 'string' ? contentType : '',
        hasFileUrl: typeof fileUrl === 'string' && fileUrl !== '',
      });
    }
  };
  collect(statement);
  const object = (statement as { object?: { objectType?: unknown } } | null)?.object;
  if (object && object.objectType === 'SubStatement') collect(object);
  return out;
}

/**
 * Checks the parts against the statements and returns the ones to store, one per sha2.
 * Call it for application/json requests too (with no parts): then every attachment must have a
 * fileUrl (Part Three §1.5.1 / §1.5.2.s2.b1).
 *
 * - Each part's content must hash to its X-Experience-API-Hash (§1.5.2.s1.b4: parts are matched
 *   to attachments by the SHA-2 of the raw data and in no other way).
 * - Each part must be referenced by some attachment's sha2 (the ADL suite's XAPI-00128).
 * - Each attachment without a fileUrl must have a part (§1.5.2.s3.b5).
 *
 * `length` is deliberately not compared with the part's size: §1.5.2.s1.b4 allows matching by
 * hash only, and the ADL suite sends a JPEG as hex text while declaring its binary length.
 */
export function matchAttachments(statements: readonly unknown[], parts: AttachmentPart[]): AttachmentPart[] {
  const refs = new Map<string, AttachmentRef>();
  const required = new Set<string>();
  for (const s of Array.isArray(statements) ? statements : [statements]) {
    for (const ref of attachmentRefs(s)) {
      if (!refs.has(ref.key)) refs.set(ref.key, ref);
      if (!ref.hasFileUrl) required.add(ref.key);
    }
  }

  const byHash = new Map<string, AttachmentPart>();
  parts.forEach((part, i) => {
    const n = i + 2; // part 1 is the statements
    const key = part.sha2.toLowerCase();
    const algorithm = sha2Algorithm(key);
    if (!algorithm) {
      throw bad(`Part ${n}'s X-Experience-API-Hash "${part.sha2}" is not a hex SHA-2 digest.`);
    }
    const actual = createHash(algorithm).update(part.body).digest('hex');
    if (actual !== key) {
      throw bad(`Part ${n}'s content does not match its X-Experience-API-Hash ${part.sha2}.`);
    }
    const ref = refs.get(key);
    if (!ref) {
      throw bad(
        `Part ${n} (X-Experience-API-Hash ${part.sha2}) is not the sha2 of any attachment in the statements.`,
      );
    }
    if (!byHash.has(key)) {
      // Part Two §2.4.11: the part's Content-Type corresponds to the attachment's contentType;
      // when the part omits it, the statement's value is the best description of the data.
      const contentType = part.contentType.trim() === '' ? ref.contentType : part.contentType;
      // The statement's spelling of the hash is what later reads look it up by.
      byHash.set(key, { sha2: ref.sha2, contentType, body: part.body });
    }
  });

  for (const key of required) {
    if (!byHash.has(key)) {
      throw bad(`Attachment ${refs.get(key)!.sha2} has no fileUrl and no multipart part carrying its data.`);
    }
  }
  return [...byHash.values()];
}

/** Header values come from stored client input; a line break there would forge headers. */
function headerValue(value: string, fallback: string): string {
  const v = value.replace(/[\r\n]+/g, ' ').trim();
  return v === '' ? fallback : v;
}

function makeBoundary(chunks: Buffer[]): string {
  for (;;) {
    // [A-Za-z0-9-] only: the ADL suite builds a RegExp from it and splits on `; boundary=`.
    const boundary = `crest-${randomBytes(18).toString('hex')}`;
    const needle = Buffer.from(`--${boundary}`, 'latin1');
    if (chunks.every((c) => c.indexOf(needle) < 0)) return boundary;
  }
}

/**
 * Builds a multipart/mixed response (Part Three §1.5.2 "Transmission Format", GET with
 * attachments=true): the JSON first, then one binary part per attachment with its hash header.
 * `json` is serialized with JSON.stringify unless it is already a Buffer of JSON text.
 */
export function buildMultipartResponse(
  json: unknown,
  attachments: { sha2: string; contentType: string; body: Buffer }[],
): { contentType: string; body: Buffer } {
  const jsonBody = Buffer.isBuffer(json) ? json : Buffer.from(JSON.stringify(json), 'utf8');
  const seen = new Set<string>();
  const unique = attachments.filter((a) => {
    const key = a.sha2.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const boundary = makeBoundary([jsonBody, ...unique.map((a) => a.body)]);
  const chunks: Buffer[] = [
    Buffer.from(`--${boundary}\r\nContent-Type: application/json\r\n\r\n`, 'utf8'),
    jsonBody,
  ];
  for (const a of unique) {
    chunks.push(
      Buffer.from(
        `\r\n--${boundary}\r\n` +
          `Content-Type: ${headerValue(a.contentType, 'application/octet-stream')}\r\n` +
          'Content-Transfer-Encoding: binary\r\n' +
          `X-Experience-API-Hash: ${headerValue(a.sha2, '')}\r\n\r\n`,
        'utf8',
      ),
      a.body,
    );
  }
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'));
  return { contentType: `multipart/mixed; boundary=${boundary}`, body: Buffer.concat(chunks) };
}
