import { constants, verify as cryptoVerify, type KeyObject, X509Certificate } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import type { AttachmentPart } from './multipart.ts';
import type { XapiVersion } from './version.ts';

/**
 * Signed statements: xAPI 2.0 Part Two §2.6 / 1.0.3 Data §2.6. Pure: node:crypto only, no I/O.
 *
 * A statement is signed when one of its attachments has the signature usageType; that attachment
 * carries a JWS (RFC 7515) whose payload is the statement as it was before the signature was
 * attached. §2.6.s5 (LRS requirements): reject malformed signatures with 400, decode the JWS,
 * check the payload is logically equivalent to the received statement, and when the JWS header
 * includes an X.509 certificate, validate the signature against it.
 */

export const SIGNATURE_USAGE_TYPE = 'http://adlnet.gov/expapi/attachments/signature';

/** §2.6.s4.b4: the "RSA + SHA" family and nothing else (HS256 and friends are refused). */
const HASH_BY_ALG: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' };

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(message: string): AppError {
  return new AppError('BAD_REQUEST', message);
}

/**
 * Verifies every signature attachment of every statement; throws AppError BAD_REQUEST on the
 * first malformed one. Pass the statements as received (parsed JSON, before the LRS fills in id,
 * stored, authority, timestamp or reshapes anything), and the attachment parts of the request.
 */
export function verifySignedStatements(
  statements: readonly unknown[],
  parts: AttachmentPart[],
  version: XapiVersion,
): void {
  const partsByHash = new Map<string, AttachmentPart>();
  for (const p of parts) {
    const key = p.sha2.toLowerCase();
    if (!partsByHash.has(key)) partsByHash.set(key, p);
  }
  statements.forEach((statement, i) => {
    if (!isObject(statement) || !Array.isArray(statement.attachments)) return;
    const label = statements.length > 1 ? `Statement ${i + 1}` : 'The statement';
    for (const attachment of statement.attachments) {
      if (isObject(attachment) && attachment.usageType === SIGNATURE_USAGE_TYPE) {
        verifySignature(statement, attachment, partsByHash, version, label);
      }
    }
  });
}

function verifySignature(
  statement: JsonObject,
  attachment: JsonObject,
  partsByHash: Map<string, AttachmentPart>,
  version: XapiVersion,
  label: string,
): void {
  // §2.6.s4.b1: the signature attachment's contentType is application/octet-stream.
  const contentType = typeof attachment.contentType === 'string' ? attachment.contentType : '';
  if (contentType.split(';')[0]!.trim().toLowerCase() !== 'application/octet-stream') {
    throw bad(
      `${label} has a signature attachment with contentType "${contentType}"; it must be ` +
        'application/octet-stream (xAPI Part Two §2.6).',
    );
  }
  const sha2 = typeof attachment.sha2 === 'string' ? attachment.sha2 : '';
  const part = partsByHash.get(sha2.toLowerCase());
  if (!part) {
    throw bad(
      `${label} has a signature attachment but the request carries no part with its JWS (sha2 ${sha2}).`,
    );
  }

  const jws = decodeCompactJws(part.body, label);
  const hash = typeof jws.header.alg === 'string' ? HASH_BY_ALG[jws.header.alg] : undefined;
  if (!hash) {
    throw bad(
      `${label}'s signature uses alg ${JSON.stringify(jws.header.alg)}; it must be RS256, RS384 or RS512 ` +
        '(xAPI Part Two §2.6).',
    );
  }

  if (jws.signature.length === 0) throw bad(`${label}'s signature JWS has an empty signature segment.`);

  // §2.6.s4.b3: the payload is a valid JSON serialization of the complete statement.
  let payload: unknown;
  try {
    payload = JSON.parse(jws.payload.toString('utf8'));
  } catch (err) {
    throw bad(`${label}'s signature payload is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(payload)) throw bad(`${label}'s signature payload is not a statement object.`);

  // §2.6.s5.b3.b3: "If the JWS header includes an X.509 certificate, validate the signature
  // against that certificate". Without x5c there is no key to check against: the spec makes
  // x5c a SHOULD (§2.6.s4.b6), offers no other key discovery, and its note says this check is
  // for catching mistakes, not authentication. So an x5c-less signature is checked for form,
  // algorithm and payload only.
  if (jws.header.x5c !== undefined) {
    const key = signingKey(jws.header.x5c, label);
    let ok = false;
    try {
      ok = cryptoVerify(
        hash,
        Buffer.from(jws.signingInput, 'ascii'),
        { key, padding: constants.RSA_PKCS1_PADDING },
        jws.signature,
      );
    } catch {
      ok = false;
    }
    if (!ok) throw bad(`${label}'s signature does not verify against the certificate in its x5c header.`);
  }

  // §2.6.s5.b3.b2: the signed statement must be logically equivalent to the received one.
  const difference = statementDifference(payload, statement, version);
  if (difference !== null) {
    throw bad(`${label} does not match its signature's payload (they differ at ${difference}).`);
  }
}

type CompactJws = { header: JsonObject; payload: Buffer; signature: Buffer; signingInput: string };

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** RFC 7515 §7.1 compact serialization; §2.6.s4.b2 makes it the expected form (SHOULD*). */
function decodeCompactJws(body: Buffer, label: string): CompactJws {
  const text = body.toString('latin1').trim();
  const segments = text.split('.');
  // The signature segment may be empty here ("alg":"none") so the alg check can name the problem.
  if (segments.length !== 3 || !segments.every((s) => BASE64URL.test(s)) || !segments[0] || !segments[1]) {
    throw bad(`${label}'s signature is not a JWS in compact serialization (three base64url segments).`);
  }
  const [h, p, s] = segments as [string, string, string];
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  } catch {
    throw bad(`${label}'s signature has a JWS header that is not valid JSON.`);
  }
  if (!isObject(header)) throw bad(`${label}'s signature has a JWS header that is not a JSON object.`);
  return {
    header,
    payload: Buffer.from(p, 'base64url'),
    signature: Buffer.from(s, 'base64url'),
    signingInput: `${h}.${p}`,
  };
}

/**
 * The public key of the first certificate of an x5c chain (RFC 7515 §4.1.6: standard base64 DER,
 * the signer's certificate first). Each certificate must be issued and signed by the next; no
 * trust anchor or validity period is checked, since §2.6 leaves authentication out of scope and
 * a statement may be stored long after its certificate expired.
 */
function signingKey(x5c: unknown, label: string): KeyObject {
  if (!Array.isArray(x5c) || x5c.length === 0) {
    throw bad(`${label}'s signature has an x5c header that is not a non-empty array of certificates.`);
  }
  const certs = x5c.map((entry, i) => {
    if (typeof entry !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(entry)) {
      throw bad(`${label}'s signature has x5c[${i}] that is not a base64 DER certificate.`);
    }
    try {
      return new X509Certificate(Buffer.from(entry, 'base64'));
    } catch {
      throw bad(`${label}'s signature has x5c[${i}] that is not a valid X.509 certificate.`);
    }
  });
  for (let i = 0; i + 1 < certs.length; i++) {
    const cert = certs[i]!;
    const issuer = certs[i + 1]!;
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
      throw bad(`${label}'s signature has an x5c chain in which x5c[${i}] is not signed by x5c[${i + 1}].`);
    }
  }
  const key = certs[0]!.publicKey;
  if (key.asymmetricKeyType !== 'rsa') {
    throw bad(
      `${label}'s signature certificate holds a ${key.asymmetricKeyType} key; RS256/384/512 need RSA.`,
    );
  }
  return key;
}

/**
 * Properties set or replaced while a statement travels (Part Two §2.3.1 "Statement Immutability"
 * exceptions), plus `attachments`: the signature is added to them after signing, and §2.3.1
 * says attachments are not part of the statement.
 */
const IGNORED_TOP_LEVEL = new Set(['attachments', 'authority', 'stored', 'version']);
/** Assigned by an LRS when absent (§2.3.1), so only compared when both sides have them. */
const ASSIGNABLE_TOP_LEVEL = new Set(['id', 'timestamp']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The path of the first difference between the signed and the received statement under the
 * Statement Comparison Requirements (Part Two §2.3.1), or null when they are equivalent.
 */
export function statementDifference(
  signed: JsonObject,
  received: JsonObject,
  version: XapiVersion,
): string | null {
  return firstDifference(
    canonicalStatement(signed, received, version),
    canonicalStatement(received, signed, version),
    '',
  );
}

function canonicalStatement(s: JsonObject, other: JsonObject, version: XapiVersion): unknown {
  const kept: JsonObject = {};
  for (const [k, v] of Object.entries(s)) {
    if (IGNORED_TOP_LEVEL.has(k)) continue;
    if (ASSIGNABLE_TOP_LEVEL.has(k) && other[k] === undefined) continue;
    kept[k] = v;
  }
  return canonical(kept, version, undefined, false);
}

/**
 * 2.0 Part Two §4.6 "ISO 8601 Durations": "When comparing Durations, any precision beyond 0.01
 * second precision SHOULD* NOT be included". Seconds are cut (never rounded) to hundredths.
 * 1.0.3 Data §2.3.1 compares durations as plain strings instead.
 */
export function truncateDuration(duration: string): string {
  const m = /^(.*?)(\d+)(?:[.,](\d*))?S$/.exec(duration);
  if (!m) return duration;
  return `${m[1]}${m[2]}.${(m[3] ?? '').padEnd(2, '0').slice(0, 2)}S`;
}

function canonical(value: unknown, version: XapiVersion, key: string | undefined, raw: boolean): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v, version, undefined, raw));
    // §2.3.1: a Group's member list is unordered.
    if (key === 'member' && !raw) {
      return items
        .map((v) => [JSON.stringify(v), v] as const)
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .map(([, v]) => v);
    }
    return items;
  }
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const k of Object.keys(value).sort()) {
    let v = value[k];
    // Inside extensions values are opaque: none of the statement rules apply there.
    if (!raw && typeof v === 'string') {
      if (k === 'timestamp') {
        // §2.3.1: timestamps may be re-serialized (another offset) without changing the instant.
        const ms = Date.parse(v);
        if (!Number.isNaN(ms)) v = new Date(ms).toISOString();
      } else if ((k === 'id' || k === 'registration') && UUID.test(v)) {
        v = v.toLowerCase();
      } else if (k === 'duration' && key === 'result' && version === '2.0.0') {
        v = truncateDuration(v);
      }
    }
    out[k] = canonical(v, version, k, raw || k === 'extensions');
  }
  return out;
}

function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (a === b) return null;
  const here = path === '' ? '(the statement)' : path;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return here;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference(a[k], b[k], path === '' ? k : `${path}.${k}`);
      if (d !== null) return d;
    }
    return null;
  }
  return here;
}
