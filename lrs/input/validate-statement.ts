/**
 * Statement validation for xAPI 1.0.3 and xAPI 2.0 (IEEE 9274.1.1). Pure: no I/O, no clock.
 *
 * Citations: "1.0.3 §x" is xAPI 1.0.3 Part Two (xAPI-Data.md); "2.0 §x" is IEEE 9274.1.1 "xAPI Base Standard for
 * LRSs" (the ADL conformance suite's v2_0 files are named after the same sections); "suite" is ADL's
 * lrs-conformance-test-suite, whose templated cases are what the strictness here was tuned against.
 *
 * What differs between the two versions, as implemented here:
 *  - context.contextAgents / context.contextGroups exist only in 2.0 (2.0 §4.2.2.5); in 1.0.3 they are unknown
 *    properties and rejected. Each item needs objectType "contextAgent"/"contextGroup", an Agent / a Group, and
 *    relevantTypes, when present, must be a non-empty array of IRIs.
 *  - Statement "version": 1.0.3 accepts "1.0" and "1.0.x" only (1.0.3 §2.4.10); 2.0 accepts 1.0[.x] and 2.0[.x]
 *    (2.0 §4.2.4.3; the v2_0 suite posts "1.0" and "1.0.9" and expects 200).
 *  - Timestamps: 2.0 requires a time-zone designator (RFC 3339 date-time, 2.0 §4.2.7; lower-case "t"/"z" allowed as
 *    RFC 3339 §5.6 allows); 1.0.3 only says a timestamp SHOULD include one (1.0.3 §4.5), so a zone-less local time
 *    is accepted there. Both reject the "unknown offset" forms -00, -0000 and -00:00 (suite, timestamps.js).
 *  - 2.0 only: a top-level `"timestamp": null` is treated as absent rather than rejected as a null value. The v2_0
 *    suite (4.1.6.1, "The LRS shall set the timestamp property to the value of stored if not provided") posts exactly
 *    that and expects the statement to be stored; 1.0.3 keeps the strict null rule (1.0.3 §2.2).
 *
 * Decisions where the spec leaves room:
 *  - contextActivities values may be one Activity or an array (1.0.3 §2.4.6.2, 2.0 §4.2.2.5); the output is always
 *    normalised to arrays, because the LRS MUST return arrays (suite XAPI-00096, both versions).
 *  - Unknown properties are rejected at every level except inside extensions (1.0.3 §2.2 "SHOULD* reject", the
 *    2.0 suite's "additional properties" case in 4.1.6.1).
 *  - Interaction component lists are only accepted for the interactionTypes that support them (1.0.3 §2.4.4.1
 *    "Interaction Components" table; the LRS MAY reject otherwise), and any interaction property requires
 *    interactionType (suite XAPI-00064).
 *  - Authority Groups must be anonymous with exactly two Agents, one of them identified by account (1.0.3 §2.4.9
 *    "OAuth Credentials as Authority"; suite authorities.js).
 *  - Ids are UUIDs in the standard 8-4-4-4-12 hex form; any version/variant is accepted since RFC 4122 variant 2 is
 *    only recommended (1.0.3 §4.4).
 *  - A batch with two statements sharing one id is rejected (2.0 §4.1.6.1; suite "same ID is used more than once").
 *  - Empty objects are not rejected (1.0.3 §2.2 says SHOULD NOT send them; the suite posts `definition: {}` and
 *    expects 200).
 *  - Timestamp seconds must be present and the leap second 60 is refused, so every accepted timestamp maps onto an
 *    epoch millisecond value (see parseTimestamp); ISO 8601 basic format (no separators) is refused.
 *  - Stricter than the suite checks, each on spec wording: mbox must start with lower-case "mailto:" and hold one
 *    address (1.0.3 §2.4.2.3); an anonymous Group needs at least one member (1.0.3 §2.4.2.2 "listing constituent
 *    Agents"); context.team must be a Group (1.0.3 §2.4.6 table); attachment sha2 must be a hex SHA-2 digest and
 *    contentType a type/subtype media type (1.0.3 §2.4.11); score min must be strictly less than max (§2.4.5.1).
 *  - The reserved voiding Verb is matched exactly, not by suffix (1.0.3 §2.3.2).
 */
import { AppError } from '../../core/errors.ts';
import type {
  Account,
  Activity,
  ActivityDefinition,
  Actor,
  Agent,
  AgentObject,
  AnonymousGroup,
  Attachment,
  Authority,
  Context,
  ContextActivities,
  ContextAgent,
  ContextGroup,
  Extensions,
  Group,
  IdentifiedGroup,
  InteractionComponent,
  InteractionType,
  LanguageMap,
  Result,
  Score,
  Statement,
  StatementObject,
  StatementRef,
  SubStatement,
  Verb,
} from './statement-types.ts';
import type { XapiVersion } from './version.ts';

/** The reserved voiding Verb (1.0.3 §2.3.2). */
export const VOIDED_VERB_ID = 'http://adlnet.gov/expapi/verbs/voided';

export const INTERACTION_TYPES: readonly InteractionType[] = [
  'true-false',
  'choice',
  'fill-in',
  'long-fill-in',
  'matching',
  'performance',
  'sequencing',
  'likert',
  'numeric',
  'other',
];

type JsonObject = Record<string, unknown>;

interface Ctx {
  readonly v2: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

function fail(path: string, rule: string, message: string): never {
  throw new AppError('VALIDATION_FAILED', `${path} ${message}`, { path, rule });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const t = typeof value;
  if (t === 'object') return 'an object';
  if (t === 'string') return 'a string';
  if (t === 'number') return 'a number';
  if (t === 'boolean') return 'a boolean';
  return t;
}

/** Quotes a rejected value for a message, cut short so a huge input does not become a huge error. */
function show(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

function failType(path: string, value: unknown, expected: string): never {
  // 1.0.3 §2.2 "The LRS MUST reject Statements with any null values (except inside extensions)".
  if (value === null) fail(path, 'null', 'must not be null (null is only allowed inside extensions)');
  fail(path, 'type', `must be ${expected}, not ${describe(value)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Primitive formats (exported where the storage and query layers need the same rules, 1.0.3 §2.2 "The LRS MUST
// validate parameter values to the same standards required for values of the same types in Statements")

function isHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

function isAlpha(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * A UUID in the standard string form, either case (1.0.3 §4.4 "UUIDs MUST be in the standard string form"; variant
 * 2 is only recommended, so every version and variant passes).
 */
export function isUuid(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!isHex(c)) return false;
  }
  return true;
}

/**
 * Best-effort IRI check (1.0.3 §2.2: the LRS MUST reject "IRL or IRI values without a scheme" and MAY use best-effort
 * validation). Requires an RFC 3987 scheme (ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")) followed by ":" and a
 * non-empty remainder free of whitespace, controls and the characters RFC 3987 excludes; "%" must start a
 * two-hex-digit escape. Non-ASCII characters are allowed, as IRIs allow them.
 */
export function isIri(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const n = value.length;
  if (n < 3 || !isAlpha(value.charCodeAt(0))) return false;
  let i = 1;
  for (; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 58) break; // ':'
    if (!(isAlpha(c) || isDigit(c) || c === 43 || c === 45 || c === 46)) return false;
  }
  if (i >= n - 1) return false; // no ':' or nothing after it
  for (let j = i + 1; j < n; j++) {
    const c = value.charCodeAt(j);
    if (c <= 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
    switch (c) {
      case 34: // "
      case 60: // <
      case 62: // >
      case 92: // \
      case 94: // ^
      case 96: // `
      case 123: // {
      case 124: // |
      case 125: // }
        return false;
      case 37: // %
        if (j + 2 >= n || !isHex(value.charCodeAt(j + 1)) || !isHex(value.charCodeAt(j + 2))) return false;
        j += 2;
        break;
    }
  }
  return true;
}

/** "mailto:" followed by one address: local@domain, neither part empty (1.0.3 §2.4.2.3 "mailto IRI"). */
export function isMailtoIri(value: unknown): value is string {
  if (typeof value !== 'string' || !value.startsWith('mailto:') || !isIri(value)) return false;
  const at = value.lastIndexOf('@');
  if (at <= 7 || at === value.length - 1) return false;
  for (let i = 7; i < value.length; i++) {
    const c = value.charCodeAt(i);
    // One address only, no query (?subject=...) or second recipient.
    if (c === 63 || c === 44 || (c === 64 && i !== at)) return false;
  }
  return true;
}

const SHA1_HEX_LENGTH = 40;

function isHexString(value: string, lengths: readonly number[]): boolean {
  if (!lengths.includes(value.length)) return false;
  for (let i = 0; i < value.length; i++) if (!isHex(value.charCodeAt(i))) return false;
  return true;
}

// RFC 5646 §2.2.8: grandfathered tags are matched whole, case-insensitively.
const GRANDFATHERED = new Set([
  'en-gb-oed',
  'i-ami',
  'i-bnn',
  'i-default',
  'i-enochian',
  'i-hak',
  'i-klingon',
  'i-lux',
  'i-mingo',
  'i-navajo',
  'i-pwn',
  'i-tao',
  'i-tay',
  'i-tsu',
  'sgn-be-fr',
  'sgn-be-nl',
  'sgn-ch-de',
  'art-lojban',
  'cel-gaulish',
  'no-bok',
  'no-nyn',
  'zh-guoyu',
  'zh-hakka',
  'zh-min',
  'zh-min-nan',
  'zh-xiang',
]);

function allAlpha(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isAlpha(s.charCodeAt(i))) return false;
  return true;
}

function allDigit(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

function allAlnum(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isAlpha(c) && !isDigit(c)) return false;
  }
  return true;
}

function checkLanguageTag(tag: string): boolean {
  if (tag.length === 0 || tag.length > 256) return false;
  const lower = tag.toLowerCase();
  if (GRANDFATHERED.has(lower)) return true;
  const parts = lower.split('-');
  const n = parts.length;
  for (const p of parts) if (p.length === 0 || p.length > 8 || !allAlnum(p)) return false;
  let i = 0;
  const first = parts[0]!;
  if (first === 'x') return checkPrivateUse(parts, 0);
  // language = 2*3ALPHA ["-" extlang] / 4ALPHA / 5*8ALPHA
  if (!allAlpha(first) || first.length < 2) return false;
  i = 1;
  if (first.length <= 3) {
    // extlang = 3ALPHA *2("-" 3ALPHA)
    let ext = 0;
    while (i < n && ext < 3 && parts[i]!.length === 3 && allAlpha(parts[i]!)) {
      i++;
      ext++;
    }
  }
  // script = 4ALPHA
  if (i < n && parts[i]!.length === 4 && allAlpha(parts[i]!)) i++;
  // region = 2ALPHA / 3DIGIT
  if (
    i < n &&
    ((parts[i]!.length === 2 && allAlpha(parts[i]!)) || (parts[i]!.length === 3 && allDigit(parts[i]!)))
  )
    i++;
  // variant = 5*8alphanum / (DIGIT 3alphanum); RFC 5646 §2.2.5 forbids repeats
  const variants = new Set<string>();
  while (i < n) {
    const p = parts[i]!;
    if (p.length >= 5 || (p.length === 4 && isDigit(p.charCodeAt(0)))) {
      if (variants.has(p)) return false;
      variants.add(p);
      i++;
    } else break;
  }
  // extension = singleton 1*("-" (2*8alphanum)); RFC 5646 §2.2.6 forbids a repeated singleton
  const singletons = new Set<string>();
  while (i < n && parts[i]!.length === 1 && parts[i] !== 'x') {
    const s = parts[i]!;
    if (singletons.has(s)) return false;
    singletons.add(s);
    i++;
    let count = 0;
    while (i < n && parts[i]!.length >= 2) {
      i++;
      count++;
    }
    if (count === 0) return false;
  }
  if (i < n && parts[i] === 'x') return checkPrivateUse(parts, i);
  return i === n;
}

function checkPrivateUse(parts: string[], start: number): boolean {
  // privateuse = "x" 1*("-" (1*8alphanum)); the per-part length and charset were already checked.
  return parts.length - start >= 2;
}

const languageTagCache = new Map<string, boolean>();
const LANGUAGE_TAG_CACHE_LIMIT = 2048;

/**
 * RFC 5646 well-formedness (1.0.3 §2.2 "The LRS MUST at least validate that the sequence of token lengths for
 * language map keys matches the RFC 5646 standard"): the ABNF of §2.1 plus the no-repeated-variant and
 * no-repeated-singleton rules. Registry membership is not checked. Results are memoised: real traffic uses a
 * handful of tags.
 */
export function isLanguageTag(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const cached = languageTagCache.get(value);
  if (cached !== undefined) return cached;
  const ok = checkLanguageTag(value);
  if (languageTagCache.size >= LANGUAGE_TAG_CACHE_LIMIT) languageTagCache.clear();
  languageTagCache.set(value, ok);
  return ok;
}

// Anchored, no nested quantifiers: linear time on any input.
const TIMESTAMP_RE =
  /^(\d{4})-(\d{2})-(\d{2})([Tt])(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Parses an xAPI Timestamp to epoch milliseconds, or undefined when it is not one for that version.
 * 1.0.3 §4.5: ISO 8601 extended combined date and time, time zone recommended (zone-less means UTC here, as there
 * is no better guess). 2.0 §4.2.7: RFC 3339 date-time, so the zone is required. Both: seconds required, fraction up
 * to 9 digits (kept as sent; only milliseconds reach the returned number), and the "unknown local offset" forms
 * -00, -0000 and -00:00 are refused (suite timestamps.js).
 */
export function parseTimestamp(value: unknown, version: XapiVersion): number | undefined {
  if (typeof value !== 'string' || value.length > 40) return undefined;
  const m = TIMESTAMP_RE.exec(value);
  if (m === null) return undefined;
  const v2 = version === '2.0.0';
  const [, ys, mos, ds, t, hs, mis, ss, frac, z, sign, ohs, oms] = m;
  if (!v2 && (t === 't' || z === 'z')) return undefined; // ISO 8601 only has upper-case designators
  const hasZone = z !== undefined || sign !== undefined;
  if (v2 && !hasZone) return undefined;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = Number(ss);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  if (v2 && frac !== undefined && value.charCodeAt(19) === 44) return undefined; // RFC 3339 uses "." only
  let offsetMinutes = 0;
  if (sign !== undefined) {
    const oh = Number(ohs);
    const om = oms === undefined ? 0 : Number(oms);
    if (oh > 23 || om > 59) return undefined;
    if (v2 && oms === undefined) return undefined; // RFC 3339 time-numoffset is ±hh:mm
    if (v2 && value.charCodeAt(value.length - 3) !== 58) return undefined;
    if (sign === '-' && oh === 0 && om === 0) return undefined;
    offsetMinutes = (sign === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  // Date.UTC reads years 0-99 as 1900-1999; shifting by 400 Gregorian years (exactly 146097 days) avoids that.
  const utc =
    year < 100
      ? Date.UTC(year + 400, month - 1, day, hour, minute, second, ms) - 146_097 * 86_400_000
      : Date.UTC(year, month - 1, day, hour, minute, second, ms);
  return utc - offsetMinutes * 60_000;
}

// ISO 8601:2004 §4.4.3.2 "format with designators": PnW alone, or PnYnMnDTnHnMnS with at least one component and
// at least one time component after T. Fractions are allowed on any component (ISO allows one on the lowest order
// component; being lenient there rejects nothing the spec requires us to reject). Linear time: every \d+ is
// followed by a distinct designator letter.
const DURATION_RE =
  /^P(?:\d+(?:[.,]\d+)?W|(?=\d|T\d)(?:\d+(?:[.,]\d+)?Y)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?D)?(?:T(?=\d)(?:\d+(?:[.,]\d+)?H)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?S)?)?)$/;

/** An ISO 8601 duration in the designator format (1.0.3 §4.6; "P4W1D" and the alternative format are refused). */
export function isDuration(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 128 && DURATION_RE.test(value);
}

/** The statement "version" property (1.0.3 §2.4.10; 2.0 §4.2.4.3 adds 2.0.x). */
export function isStatementVersion(value: unknown, version: XapiVersion): value is string {
  if (typeof value !== 'string') return false;
  return version === '2.0.0' ? /^(?:1|2)\.0(?:\.\d{1,9})?$/.test(value) : /^1\.0(?:\.\d{1,9})?$/.test(value);
}

// RFC 2046 / RFC 9110 media type: token "/" token, then anything (parameters are not validated).
const MEDIA_TYPE_RE = /^[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+(?:\s*;.*)?$/s;

// ---------------------------------------------------------------------------------------------------------------
// Structural helpers

function expectObject(value: unknown, path: string, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) failType(path, value, what);
  return value as JsonObject;
}

function expectArray(value: unknown, path: string, what: string): unknown[] {
  if (!Array.isArray(value)) failType(path, value, what);
  return value;
}

function expectString(value: unknown, path: string): string {
  if (typeof value !== 'string') failType(path, value, 'a string');
  return value;
}

function expectBoolean(value: unknown, path: string): boolean {
  // 1.0.3 §2.2: "with strings where booleans are required, even if those strings contain booleans".
  if (typeof value !== 'boolean') failType(path, value, 'a boolean (true or false)');
  return value;
}

function expectNumber(value: unknown, path: string): number {
  // 1.0.3 §2.2: "with strings where numbers are required, even if those strings contain numbers".
  if (typeof value !== 'number' || !Number.isFinite(value)) failType(path, value, 'a number');
  return value;
}

function expectIri(value: unknown, path: string, kind = 'an IRI'): string {
  const s = expectString(value, path);
  if (!isIri(s)) fail(path, 'iri', `must be ${kind} with a scheme (for example "https://…"), not ${show(s)}`);
  return s;
}

function expectUuid(value: unknown, path: string): string {
  const s = expectString(value, path);
  if (!isUuid(s)) fail(path, 'uuid', `must be a UUID in standard string form, not ${show(s)}`);
  return s;
}

/** Rejects any key not in `allowed` (1.0.3 §2.2 "where a key or value is not allowed by this specification"). */
function checkKeys(o: JsonObject, allowed: ReadonlySet<string>, path: string, what: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.has(key)) {
      const hint = caseHint(key, allowed);
      fail(keyPath(path, key), 'unknown-property', `is not a property of ${what}${hint}`);
    }
  }
}

const IDENTIFIER_RE = /^[A-Za-z_$][\w$]*$/;

/** `a.b` for plain names, `a["en-US"]` for keys such as language tags and extension IRIs. */
function keyPath(path: string, key: string): string {
  return IDENTIFIER_RE.test(key) ? `${path}.${key}` : `${path}[${show(key)}]`;
}

function caseHint(value: string, allowed: Iterable<string>): string {
  const lower = value.toLowerCase();
  for (const a of allowed) {
    if (a.toLowerCase() === lower) return ` (names are case-sensitive: did you mean "${a}"?)`;
  }
  return '';
}

function languageMap(value: unknown, path: string): LanguageMap {
  const o = expectObject(value, path, 'a language map (an object of RFC 5646 tag → string)');
  for (const key of Object.keys(o)) {
    // 1.0.3 §4.2 / §2.2: keys are RFC 5646 tags, values strings.
    if (!isLanguageTag(key))
      fail(keyPath(path, key), 'language-tag', 'is not a well-formed RFC 5646 language tag');
    expectString(o[key], keyPath(path, key));
  }
  return o as LanguageMap;
}

function extensions(value: unknown, path: string): Extensions {
  const o = expectObject(value, path, 'an extensions object (IRI → any JSON value)');
  // 1.0.3 §4.1: keys MUST be IRIs; the LRS MUST NOT reject a Statement based on the values.
  for (const key of Object.keys(o)) {
    if (!isIri(key)) fail(keyPath(path, key), 'iri', 'is not an IRI; extension keys must be IRIs');
  }
  return o;
}

// ---------------------------------------------------------------------------------------------------------------
// Actors

const AGENT_KEYS = new Set(['objectType', 'name', 'mbox', 'mbox_sha1sum', 'openid', 'account']);
const GROUP_KEYS = new Set(['objectType', 'name', 'member', 'mbox', 'mbox_sha1sum', 'openid', 'account']);
const ACCOUNT_KEYS = new Set(['homePage', 'name']);

function account(value: unknown, path: string): Account {
  const o = expectObject(value, path, 'an account object');
  checkKeys(o, ACCOUNT_KEYS, path, 'an account');
  // 1.0.3 §2.4.2.4: homePage (IRL) and name are both required.
  if (o.homePage === undefined) fail(`${path}.homePage`, 'required', 'is required');
  if (o.name === undefined) fail(`${path}.name`, 'required', 'is required');
  return {
    homePage: expectIri(o.homePage, `${path}.homePage`, 'an IRL'),
    name: expectString(o.name, `${path}.name`),
  };
}

/** Copies and checks the IFIs of an Agent or Group; returns how many were present (1.0.3 §2.4.2.3). */
function copyIfis(o: JsonObject, out: Agent | Group, path: string): number {
  let count = 0;
  if (o.mbox !== undefined) {
    count++;
    const mbox = expectString(o.mbox, `${path}.mbox`);
    if (!isMailtoIri(mbox)) fail(`${path}.mbox`, 'mbox', 'must be a "mailto:" IRI with one email address');
    (out as Agent).mbox = mbox;
  }
  if (o.mbox_sha1sum !== undefined) {
    count++;
    const sum = expectString(o.mbox_sha1sum, `${path}.mbox_sha1sum`);
    if (!isHexString(sum, [SHA1_HEX_LENGTH]))
      fail(`${path}.mbox_sha1sum`, 'mbox_sha1sum', 'must be a 40-character hex SHA-1 of a mailto IRI');
    (out as Agent).mbox_sha1sum = sum;
  }
  if (o.openid !== undefined) {
    count++;
    (out as Agent).openid = expectIri(o.openid, `${path}.openid`, 'a URI');
  }
  if (o.account !== undefined) {
    count++;
    (out as Agent).account = account(o.account, `${path}.account`);
  }
  return count;
}

function agent(value: unknown, path: string, requireObjectType: boolean): Agent {
  const o = expectObject(value, path, 'an Agent object');
  const objectType = o.objectType;
  if (objectType !== undefined && objectType !== 'Agent') {
    if (objectType === 'Group')
      fail(`${path}.objectType`, 'object-type', 'must be "Agent": a Group is not allowed here');
    badObjectType(objectType, `${path}.objectType`, ['Agent']);
  }
  // 1.0.3 §2.4.4.2: an Agent used as an object MUST say objectType.
  if (requireObjectType && objectType === undefined)
    fail(`${path}.objectType`, 'required', 'is required ("Agent") when an Agent is a Statement\'s object');
  checkKeys(o, AGENT_KEYS, path, 'an Agent');
  const out: Agent = {};
  if (objectType !== undefined) out.objectType = 'Agent';
  if (o.name !== undefined) out.name = expectString(o.name, `${path}.name`);
  const ifis = copyIfis(o, out, path);
  // 1.0.3 §2.4.2.1: exactly one IFI.
  if (ifis !== 1)
    fail(
      path,
      'ifi-count',
      `must have exactly one inverse functional identifier (mbox, mbox_sha1sum, openid or account); it has ${ifis}`,
    );
  return out;
}

function group(o: JsonObject, path: string): Group {
  checkKeys(o, GROUP_KEYS, path, 'a Group');
  const out = { objectType: 'Group' } as Group;
  if (o.name !== undefined) out.name = expectString(o.name, `${path}.name`);
  if (o.member !== undefined) {
    const members = expectArray(o.member, `${path}.member`, 'an array of Agents');
    const list: Agent[] = new Array(members.length);
    for (let i = 0; i < members.length; i++) {
      const mp = `${path}.member[${i}]`;
      const m = members[i];
      // 1.0.3 §2.4.2.2: Groups MUST NOT contain Group Objects in "member".
      if (typeof m === 'object' && m !== null && (m as JsonObject).objectType === 'Group')
        fail(`${mp}.objectType`, 'nested-group', 'must not be "Group": Group members are Agents only');
      list[i] = agent(m, mp, false);
    }
    out.member = list;
  }
  const ifis = copyIfis(o, out, path);
  // 1.0.3 §2.4.2.2: Identified Group has exactly one IFI; Anonymous Group MUST include "member".
  if (ifis > 1)
    fail(path, 'ifi-count', `must have at most one inverse functional identifier; it has ${ifis}`);
  if (ifis === 0 && (out.member === undefined || out.member.length === 0))
    fail(
      `${path}.member`,
      'required',
      'must list at least one Agent when the Group has no inverse functional identifier',
    );
  return out;
}

/** An Agent or Group in actor/instructor position (objectType optional for Agents). */
function actor(value: unknown, path: string): Actor {
  const o = expectObject(value, path, 'an Agent or Group object');
  if (o.objectType === 'Group') return group(o, path);
  if (o.objectType === undefined || o.objectType === 'Agent') return agent(o, path, false);
  badObjectType(o.objectType, `${path}.objectType`, ['Agent', 'Group']);
}

function groupOnly(value: unknown, path: string): Group {
  const o = expectObject(value, path, 'a Group object');
  if (o.objectType !== 'Group') {
    if (o.objectType === undefined) fail(`${path}.objectType`, 'required', 'is required and must be "Group"');
    badObjectType(o.objectType, `${path}.objectType`, ['Group']);
  }
  return group(o, path);
}

function badObjectType(value: unknown, path: string, allowed: string[]): never {
  if (typeof value !== 'string') failType(path, value, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
  // 1.0.3 §2.2: enumerated values are case-sensitive.
  fail(
    path,
    'object-type',
    `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}${caseHint(value, allowed)}`,
  );
}

function authority(value: unknown, path: string): Authority {
  const a = actor(value, path);
  if (a.objectType !== 'Group') return a;
  // 1.0.3 §2.4.9 / 2.0 §4.2.4.2: a Group authority is 3-legged OAuth — an anonymous Group of exactly two Agents,
  // the application among them identified by account.
  const g = a as IdentifiedGroup;
  if (
    g.mbox !== undefined ||
    g.mbox_sha1sum !== undefined ||
    g.openid !== undefined ||
    g.account !== undefined
  )
    fail(path, 'authority', 'as a Group must be anonymous (OAuth application + user), without an identifier');
  const members = a.member ?? [];
  if (members.length !== 2)
    fail(
      `${path}.member`,
      'authority',
      `must list exactly two Agents (OAuth application and user), not ${members.length}`,
    );
  if (members[0]!.account === undefined && members[1]!.account === undefined)
    fail(
      `${path}.member`,
      'authority',
      'must include the OAuth application as an Agent identified by account',
    );
  return a as AnonymousGroup;
}

// ---------------------------------------------------------------------------------------------------------------
// Verb and objects

const VERB_KEYS = new Set(['id', 'display']);

function verb(value: unknown, path: string): Verb {
  const o = expectObject(value, path, 'a Verb object');
  checkKeys(o, VERB_KEYS, path, 'a Verb');
  // 1.0.3 §2.4.3: id (IRI) required, display a language map.
  if (o.id === undefined) fail(`${path}.id`, 'required', 'is required');
  const out: Verb = { id: expectIri(o.id, `${path}.id`) };
  if (o.display !== undefined) out.display = languageMap(o.display, `${path}.display`);
  return out;
}

const ACTIVITY_KEYS = new Set(['objectType', 'id', 'definition']);
const DEFINITION_KEYS = new Set([
  'name',
  'description',
  'type',
  'moreInfo',
  'extensions',
  'interactionType',
  'correctResponsesPattern',
  'choices',
  'scale',
  'source',
  'target',
  'steps',
]);
const COMPONENT_KEYS = new Set(['id', 'description']);
const COMPONENT_LISTS = ['choices', 'scale', 'source', 'target', 'steps'] as const;
type ComponentList = (typeof COMPONENT_LISTS)[number];

// 1.0.3 §2.4.4.1 "Interaction Components": which component lists each interactionType supports.
const COMPONENTS_FOR: Record<InteractionType, readonly ComponentList[]> = {
  choice: ['choices'],
  sequencing: ['choices'],
  likert: ['scale'],
  matching: ['source', 'target'],
  performance: ['steps'],
  'true-false': [],
  'fill-in': [],
  'long-fill-in': [],
  numeric: [],
  other: [],
};

const IFI_KEYS = ['mbox', 'mbox_sha1sum', 'openid', 'account', 'member'];

function activity(value: unknown, path: string): Activity {
  const o = expectObject(value, path, 'an Activity object');
  if (o.objectType !== undefined && o.objectType !== 'Activity')
    badObjectType(o.objectType, `${path}.objectType`, ['Activity']);
  if (o.objectType === undefined) {
    // An object without objectType is an Activity (1.0.3 §2.4.4); say why an Agent-looking one fails.
    for (const k of IFI_KEYS) {
      if (k in o)
        fail(
          `${path}.objectType`,
          'required',
          'is required for an Agent or Group object (without it the object is an Activity)',
        );
    }
  }
  checkKeys(o, ACTIVITY_KEYS, path, 'an Activity');
  // 1.0.3 §2.4.4.1: id (IRI) required.
  if (o.id === undefined) fail(`${path}.id`, 'required', 'is required');
  const out: Activity = {} as Activity;
  if (o.objectType !== undefined) out.objectType = 'Activity';
  out.id = expectIri(o.id, `${path}.id`);
  if (o.definition !== undefined) out.definition = definition(o.definition, `${path}.definition`);
  return out;
}

function definition(value: unknown, path: string): ActivityDefinition {
  const o = expectObject(value, path, 'an Activity Definition object');
  checkKeys(o, DEFINITION_KEYS, path, 'an Activity Definition');
  const out: ActivityDefinition = {};
  if (o.name !== undefined) out.name = languageMap(o.name, `${path}.name`);
  if (o.description !== undefined) out.description = languageMap(o.description, `${path}.description`);
  if (o.type !== undefined) out.type = expectIri(o.type, `${path}.type`);
  if (o.moreInfo !== undefined) out.moreInfo = expectIri(o.moreInfo, `${path}.moreInfo`, 'an IRL');
  if (o.interactionType !== undefined) {
    const it = expectString(o.interactionType, `${path}.interactionType`);
    // 1.0.3 §2.4.4.1 "Interaction Activities MUST have a valid interactionType"; values are case-sensitive.
    if (!(INTERACTION_TYPES as readonly string[]).includes(it))
      fail(
        `${path}.interactionType`,
        'interaction-type',
        `must be one of ${INTERACTION_TYPES.join(', ')}${caseHint(it, INTERACTION_TYPES)}`,
      );
    out.interactionType = it as InteractionType;
  }
  if (o.correctResponsesPattern !== undefined) {
    const p = `${path}.correctResponsesPattern`;
    if (out.interactionType === undefined)
      fail(
        `${path}.interactionType`,
        'interaction-type',
        'is required when correctResponsesPattern is present',
      );
    const list = expectArray(o.correctResponsesPattern, p, 'an array of strings');
    for (let i = 0; i < list.length; i++) expectString(list[i], `${p}[${i}]`);
    out.correctResponsesPattern = list as string[];
  }
  for (const key of COMPONENT_LISTS) {
    if (o[key] === undefined) continue;
    const p = `${path}.${key}`;
    if (out.interactionType === undefined)
      fail(`${path}.interactionType`, 'interaction-type', `is required when ${key} is present`);
    if (!COMPONENTS_FOR[out.interactionType].includes(key))
      fail(p, 'interaction-components', `is not supported for interactionType "${out.interactionType}"`);
    out[key] = components(o[key], p);
  }
  if (o.extensions !== undefined) out.extensions = extensions(o.extensions, `${path}.extensions`);
  return out;
}

function components(value: unknown, path: string): InteractionComponent[] {
  const list = expectArray(value, path, 'an array of interaction components');
  const out: InteractionComponent[] = new Array(list.length);
  const seen = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const p = `${path}[${i}]`;
    const o = expectObject(list[i], p, 'an interaction component object');
    checkKeys(o, COMPONENT_KEYS, p, 'an interaction component');
    if (o.id === undefined) fail(`${p}.id`, 'required', 'is required');
    const id = expectString(o.id, `${p}.id`);
    // 1.0.3 §2.4.4.1: "Within an array of interaction components, all id values MUST be distinct."
    if (seen.has(id)) fail(`${p}.id`, 'duplicate-component-id', `repeats the id ${show(id)}`);
    seen.add(id);
    const c: InteractionComponent = { id };
    if (o.description !== undefined) c.description = languageMap(o.description, `${p}.description`);
    out[i] = c;
  }
  return out;
}

const STATEMENT_REF_KEYS = new Set(['objectType', 'id']);

function statementRef(value: unknown, path: string): StatementRef {
  const o = expectObject(value, path, 'a StatementRef object');
  // 1.0.3 §2.4.4.3 "Statement References": objectType "StatementRef" and a UUID id, both required.
  if (o.objectType !== 'StatementRef') {
    if (o.objectType === undefined)
      fail(`${path}.objectType`, 'required', 'is required and must be "StatementRef"');
    badObjectType(o.objectType, `${path}.objectType`, ['StatementRef']);
  }
  checkKeys(o, STATEMENT_REF_KEYS, path, 'a StatementRef');
  if (o.id === undefined) fail(`${path}.id`, 'required', 'is required');
  return { objectType: 'StatementRef', id: expectUuid(o.id, `${path}.id`) };
}

function statementObject(value: unknown, path: string, ctx: Ctx, inSubStatement: boolean): StatementObject {
  const o = expectObject(value, path, 'an Activity, Agent, Group, StatementRef or SubStatement object');
  switch (o.objectType) {
    case undefined:
    case 'Activity':
      return activity(o, path);
    case 'Agent':
      return agent(o, path, true) as AgentObject;
    case 'Group':
      return group(o, path);
    case 'StatementRef':
      return statementRef(o, path);
    case 'SubStatement':
      // 1.0.3 §2.4.4.3 "A SubStatement MUST NOT contain a SubStatement of its own".
      if (inSubStatement)
        fail(`${path}.objectType`, 'nested-substatement', 'must not be "SubStatement" inside a SubStatement');
      return subStatement(o, path, ctx);
    default:
      badObjectType(o.objectType, `${path}.objectType`, [
        'Activity',
        'Agent',
        'Group',
        'StatementRef',
        'SubStatement',
      ]);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Result and context

const RESULT_KEYS = new Set(['score', 'success', 'completion', 'response', 'duration', 'extensions']);
const SCORE_KEYS = new Set(['scaled', 'raw', 'min', 'max']);

function result(value: unknown, path: string): Result {
  const o = expectObject(value, path, 'a Result object');
  checkKeys(o, RESULT_KEYS, path, 'a Result');
  const out: Result = {};
  if (o.score !== undefined) out.score = score(o.score, `${path}.score`);
  if (o.success !== undefined) out.success = expectBoolean(o.success, `${path}.success`);
  if (o.completion !== undefined) out.completion = expectBoolean(o.completion, `${path}.completion`);
  if (o.response !== undefined) out.response = expectString(o.response, `${path}.response`);
  if (o.duration !== undefined) {
    const d = expectString(o.duration, `${path}.duration`);
    // 1.0.3 §4.6: ISO 8601:2004 §4.4.3.2 designator format only.
    if (!isDuration(d))
      fail(
        `${path}.duration`,
        'duration',
        `must be an ISO 8601 duration such as "PT1M30.5S", not ${show(d)}`,
      );
    out.duration = d;
  }
  if (o.extensions !== undefined) out.extensions = extensions(o.extensions, `${path}.extensions`);
  return out;
}

function score(value: unknown, path: string): Score {
  const o = expectObject(value, path, 'a Score object');
  checkKeys(o, SCORE_KEYS, path, 'a Score');
  const out: Score = {};
  if (o.scaled !== undefined) {
    const s = expectNumber(o.scaled, `${path}.scaled`);
    // 1.0.3 §2.4.5.1: scaled is a decimal from -1 to 1 inclusive.
    if (s < -1 || s > 1)
      fail(`${path}.scaled`, 'score-range', `must be between -1 and 1 inclusive, not ${s}`);
    out.scaled = s;
  }
  if (o.raw !== undefined) out.raw = expectNumber(o.raw, `${path}.raw`);
  if (o.min !== undefined) out.min = expectNumber(o.min, `${path}.min`);
  if (o.max !== undefined) out.max = expectNumber(o.max, `${path}.max`);
  // 1.0.3 §2.4.5.1: min < max; raw between min and max inclusive.
  if (out.min !== undefined && out.max !== undefined && !(out.min < out.max))
    fail(`${path}.min`, 'score-range', `must be less than max (${out.max}), not ${out.min}`);
  if (out.raw !== undefined) {
    if (out.min !== undefined && out.raw < out.min)
      fail(`${path}.raw`, 'score-range', `must not be less than min (${out.min}), not ${out.raw}`);
    if (out.max !== undefined && out.raw > out.max)
      fail(`${path}.raw`, 'score-range', `must not be greater than max (${out.max}), not ${out.raw}`);
  }
  return out;
}

const CONTEXT_KEYS_103 = new Set([
  'registration',
  'instructor',
  'team',
  'contextActivities',
  'revision',
  'platform',
  'language',
  'statement',
  'extensions',
]);
const CONTEXT_KEYS_200 = new Set([...CONTEXT_KEYS_103, 'contextAgents', 'contextGroups']);
const CONTEXT_ACTIVITY_KEYS = ['parent', 'grouping', 'category', 'other'] as const;
const CONTEXT_ACTIVITY_KEY_SET = new Set<string>(CONTEXT_ACTIVITY_KEYS);
const CONTEXT_AGENT_KEYS = new Set(['objectType', 'agent', 'relevantTypes']);
const CONTEXT_GROUP_KEYS = new Set(['objectType', 'group', 'relevantTypes']);

function context(value: unknown, path: string, ctx: Ctx, objectIsActivity: boolean): Context {
  const o = expectObject(value, path, 'a Context object');
  checkKeys(
    o,
    ctx.v2 ? CONTEXT_KEYS_200 : CONTEXT_KEYS_103,
    path,
    ctx.v2 ? 'a Context' : 'an xAPI 1.0.3 Context',
  );
  const out: Context = {};
  if (o.registration !== undefined) out.registration = expectUuid(o.registration, `${path}.registration`);
  if (o.instructor !== undefined) out.instructor = actor(o.instructor, `${path}.instructor`);
  // 1.0.3 §2.4.6: team is a Group.
  if (o.team !== undefined) out.team = groupOnly(o.team, `${path}.team`);
  if (o.contextActivities !== undefined)
    out.contextActivities = contextActivities(o.contextActivities, `${path}.contextActivities`);
  // 1.0.3 §2.4.6: revision and platform MUST only be used if the Statement's object is an Activity.
  if (o.revision !== undefined) {
    if (!objectIsActivity)
      fail(`${path}.revision`, 'context-activity-only', 'is only allowed when the object is an Activity');
    out.revision = expectString(o.revision, `${path}.revision`);
  }
  if (o.platform !== undefined) {
    if (!objectIsActivity)
      fail(`${path}.platform`, 'context-activity-only', 'is only allowed when the object is an Activity');
    out.platform = expectString(o.platform, `${path}.platform`);
  }
  if (o.language !== undefined) {
    const lang = expectString(o.language, `${path}.language`);
    if (!isLanguageTag(lang))
      fail(`${path}.language`, 'language-tag', `must be an RFC 5646 language tag, not ${show(lang)}`);
    out.language = lang;
  }
  if (o.statement !== undefined) out.statement = statementRef(o.statement, `${path}.statement`);
  if (o.extensions !== undefined) out.extensions = extensions(o.extensions, `${path}.extensions`);
  if (o.contextAgents !== undefined)
    out.contextAgents = contextAgents(o.contextAgents, `${path}.contextAgents`);
  if (o.contextGroups !== undefined)
    out.contextGroups = contextGroups(o.contextGroups, `${path}.contextGroups`);
  return out;
}

function contextActivities(value: unknown, path: string): ContextActivities {
  const o = expectObject(value, path, 'a contextActivities object');
  checkKeys(o, CONTEXT_ACTIVITY_KEY_SET, path, 'contextActivities (parent, grouping, category, other)');
  const out: ContextActivities = {};
  for (const key of CONTEXT_ACTIVITY_KEYS) {
    const v = o[key];
    if (v === undefined) continue;
    const p = `${path}.${key}`;
    // 1.0.3 §2.4.6.2: a single Activity or an array of them; always returned as an array.
    if (Array.isArray(v)) {
      const list: Activity[] = new Array(v.length);
      for (let i = 0; i < v.length; i++) list[i] = activity(v[i], `${p}[${i}]`);
      out[key] = list;
    } else {
      if (typeof v !== 'object' || v === null)
        failType(p, v, 'an Activity object or an array of Activity objects');
      out[key] = [activity(v, p)];
    }
  }
  return out;
}

function relevantTypes(value: unknown, path: string): string[] {
  const list = expectArray(value, path, 'an array of IRIs');
  // 2.0 §4.2.2.5: "a collection of 1 or more Relevant Types" (suite contextagents.js rejects []).
  if (list.length === 0) fail(path, 'relevant-types', 'must contain at least one IRI when present');
  for (let i = 0; i < list.length; i++) expectIri(list[i], `${path}[${i}]`);
  return list as string[];
}

/**
 * 2.0 §4.2.2.5 "Context Agents" and "Context Groups": arrays of objects whose objectType ("contextAgent" or
 * "contextGroup") and member (`key`: agent or group, made into the item by `make`) are required, with
 * optional relevantTypes.
 */
function contextMembers<T extends { relevantTypes?: string[] }>(
  value: unknown,
  path: string,
  kind: 'contextAgent' | 'contextGroup',
  key: 'agent' | 'group',
  keys: ReadonlySet<string>,
  make: (member: unknown, path: string) => T,
): T[] {
  const list = expectArray(value, path, `an array of ${kind} objects`);
  const out: T[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const p = `${path}[${i}]`;
    const o = expectObject(list[i], p, `a ${kind} object`);
    if (o.objectType !== kind) {
      if (o.objectType === undefined)
        fail(`${p}.objectType`, 'required', `is required and must be "${kind}"`);
      badObjectType(o.objectType, `${p}.objectType`, [kind]);
    }
    checkKeys(o, keys, p, `a ${kind}`);
    if (o[key] === undefined) fail(`${p}.${key}`, 'required', 'is required');
    const item = make(o[key], `${p}.${key}`);
    if (o.relevantTypes !== undefined)
      item.relevantTypes = relevantTypes(o.relevantTypes, `${p}.relevantTypes`);
    out[i] = item;
  }
  return out;
}

const contextAgents = (value: unknown, path: string): ContextAgent[] =>
  contextMembers<ContextAgent>(value, path, 'contextAgent', 'agent', CONTEXT_AGENT_KEYS, (v, p) => ({
    objectType: 'contextAgent',
    agent: agent(v, p, false),
  }));

const contextGroups = (value: unknown, path: string): ContextGroup[] =>
  contextMembers<ContextGroup>(value, path, 'contextGroup', 'group', CONTEXT_GROUP_KEYS, (v, p) => ({
    objectType: 'contextGroup',
    group: groupOnly(v, p),
  }));

// ---------------------------------------------------------------------------------------------------------------
// Attachments

const ATTACHMENT_KEYS = new Set([
  'usageType',
  'display',
  'description',
  'contentType',
  'length',
  'sha2',
  'fileUrl',
]);
const SHA2_HEX_LENGTHS = [56, 64, 96, 128]; // SHA-224, -256, -384, -512

function attachments(value: unknown, path: string): Attachment[] {
  const list = expectArray(value, path, 'an array of Attachment objects');
  const out: Attachment[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const p = `${path}[${i}]`;
    const o = expectObject(list[i], p, 'an Attachment object');
    checkKeys(o, ATTACHMENT_KEYS, p, 'an Attachment');
    // 1.0.3 §2.4.11: usageType, display, contentType, length and sha2 are required.
    for (const key of ['usageType', 'display', 'contentType', 'length', 'sha2']) {
      if (o[key] === undefined) fail(`${p}.${key}`, 'required', 'is required');
    }
    const contentType = expectString(o.contentType, `${p}.contentType`);
    if (!MEDIA_TYPE_RE.test(contentType))
      fail(
        `${p}.contentType`,
        'content-type',
        `must be an Internet Media Type such as "text/plain", not ${show(contentType)}`,
      );
    const length = expectNumber(o.length, `${p}.length`);
    if (!Number.isSafeInteger(length) || length < 0)
      fail(`${p}.length`, 'type', `must be a non-negative integer (octets), not ${length}`);
    const sha2 = expectString(o.sha2, `${p}.sha2`);
    if (!isHexString(sha2, SHA2_HEX_LENGTHS))
      fail(`${p}.sha2`, 'sha2', 'must be a hex SHA-2 digest (56, 64, 96 or 128 hex characters)');
    const a: Attachment = {
      usageType: expectIri(o.usageType, `${p}.usageType`),
      display: languageMap(o.display, `${p}.display`),
      contentType,
      length,
      sha2,
    };
    if (o.description !== undefined) a.description = languageMap(o.description, `${p}.description`);
    if (o.fileUrl !== undefined) a.fileUrl = expectIri(o.fileUrl, `${p}.fileUrl`, 'an IRL');
    out[i] = a;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Statements

const STATEMENT_KEYS = new Set([
  'id',
  'actor',
  'verb',
  'object',
  'result',
  'context',
  'timestamp',
  'stored',
  'authority',
  'version',
  'attachments',
]);
const SUBSTATEMENT_KEYS = new Set([
  'objectType',
  'actor',
  'verb',
  'object',
  'result',
  'context',
  'timestamp',
  'attachments',
]);
// 1.0.3 §2.4.4.3: "A SubStatement MUST NOT have the id, stored, version or authority properties."
const SUBSTATEMENT_FORBIDDEN = new Set(['id', 'stored', 'version', 'authority']);

function timestamp(value: unknown, path: string, ctx: Ctx): string {
  const s = expectString(value, path);
  if (parseTimestamp(s, ctx.v2 ? '2.0.0' : '1.0.3') === undefined)
    fail(
      path,
      'timestamp',
      ctx.v2
        ? `must be an RFC 3339 date-time with a time zone, such as "2024-05-04T17:00:00.000Z", not ${show(s)}`
        : `must be an ISO 8601 date-time such as "2024-05-04T17:00:00.000Z", not ${show(s)}`,
    );
  return s;
}

/** The parts a Statement and a SubStatement share, validated in a fixed order. */
function core(o: JsonObject, path: string, ctx: Ctx, inSubStatement: boolean): SubStatement | Statement {
  // 1.0.3 §2.2: actor, verb and object are required.
  for (const key of ['actor', 'verb', 'object']) {
    if (o[key] === undefined) fail(`${path}.${key}`, 'required', 'is required');
  }
  const obj = statementObject(o.object, `${path}.object`, ctx, inSubStatement);
  const out = {
    actor: actor(o.actor, `${path}.actor`),
    verb: verb(o.verb, `${path}.verb`),
    object: obj,
  } as Statement;
  if (o.result !== undefined) out.result = result(o.result, `${path}.result`);
  if (o.context !== undefined) {
    const isActivity = obj.objectType === undefined || obj.objectType === 'Activity';
    out.context = context(o.context, `${path}.context`, ctx, isActivity);
  }
  if (o.timestamp !== undefined && !(ctx.v2 && o.timestamp === null && !inSubStatement))
    out.timestamp = timestamp(o.timestamp, `${path}.timestamp`, ctx);
  if (o.attachments !== undefined) out.attachments = attachments(o.attachments, `${path}.attachments`);
  return out;
}

function subStatement(o: JsonObject, path: string, ctx: Ctx): SubStatement {
  for (const key of Object.keys(o)) {
    if (SUBSTATEMENT_FORBIDDEN.has(key))
      fail(keyPath(path, key), 'substatement', 'is not allowed in a SubStatement');
  }
  checkKeys(o, SUBSTATEMENT_KEYS, path, 'a SubStatement');
  const inner = core(o, path, ctx, true);
  return { objectType: 'SubStatement', ...inner } as SubStatement;
}

/**
 * Validates one Statement for the given xAPI version and returns a normalised copy (contextActivities values as
 * arrays; only the properties the spec defines). Throws AppError('VALIDATION_FAILED') naming the offending path
 * (for example `statement[2].actor.mbox`) and the rule broken. Extensions, language maps, correctResponsesPattern
 * and relevantTypes are shared with the input, not copied.
 */
export function validateStatement(
  value: unknown,
  version: XapiVersion,
  opts: { path?: string } = {},
): Statement {
  const path = opts.path ?? 'statement';
  const ctx: Ctx = { v2: version === '2.0.0' };
  const o = expectObject(value, path, 'a Statement object');
  checkKeys(o, STATEMENT_KEYS, path, 'a Statement');
  const out: Statement = {} as Statement;
  // 1.0.3 §2.4.1: id is a UUID.
  if (o.id !== undefined) out.id = expectUuid(o.id, `${path}.id`);
  Object.assign(out, core(o, path, ctx, false));
  // 1.0.3 §2.4.8: stored may be sent; it is validated here and overwritten by the LRS.
  if (o.stored !== undefined) out.stored = timestamp(o.stored, `${path}.stored`, ctx);
  if (o.authority !== undefined) out.authority = authority(o.authority, `${path}.authority`);
  if (o.version !== undefined) {
    const v = expectString(o.version, `${path}.version`);
    if (!isStatementVersion(v, version))
      fail(
        `${path}.version`,
        'version',
        ctx.v2
          ? `must be "1.0", "1.0.x", "2.0" or "2.0.x", not ${show(v)}`
          : `must be "1.0" or "1.0.x", not ${show(v)}`,
      );
    out.version = v;
  }
  // 1.0.3 §2.3.2 / 2.0 §4.2.5: a voiding Statement's object MUST be a StatementRef.
  if (out.verb.id === VOIDED_VERB_ID && out.object.objectType !== 'StatementRef')
    fail(`${path}.object.objectType`, 'voiding', `must be "StatementRef" when the verb is ${VOIDED_VERB_ID}`);
  return out;
}

/**
 * Validates a POST body: one Statement or a non-empty array of them (1.0.3 / 2.0 Communication "POST Statements").
 * Paths are `statement` for a single object and `statement[i]` inside an array. A batch in which two Statements
 * carry the same id is rejected (2.0 §4.1.6.1).
 */
export function validateStatements(body: unknown, version: XapiVersion): Statement[] {
  if (!Array.isArray(body)) return [validateStatement(body, version)];
  if (body.length === 0) fail('statement', 'empty-batch', 'batch must contain at least one Statement');
  const out: Statement[] = new Array(body.length);
  let ids: Map<string, number> | undefined;
  for (let i = 0; i < body.length; i++) {
    const s = validateStatement(body[i], version, { path: `statement[${i}]` });
    if (s.id !== undefined) {
      ids ??= new Map();
      const key = s.id.toLowerCase();
      const first = ids.get(key);
      if (first !== undefined)
        fail(`statement[${i}].id`, 'duplicate-id', `repeats the id of statement[${first}] in the same batch`);
      ids.set(key, i);
    }
    out[i] = s;
  }
  return out;
}
