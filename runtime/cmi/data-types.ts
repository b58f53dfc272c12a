/**
 * Value checks for the SCORM data types. Each returns undefined when the value is valid, else the rule it
 * breaks, in words a content author can act on. An empty string is "not set" everywhere (scorm-again renders
 * unset elements as ""), so the element tables never see one.
 */
export type TypeCheck = (value: string) => string | undefined;

export function maxChars(limit: number, what = 'characters'): TypeCheck {
  return (v) => (v.length > limit ? `at most ${limit} ${what} (got ${v.length})` : undefined);
}

export function oneOf(values: readonly string[]): TypeCheck {
  return (v) => (values.includes(v) ? undefined : `one of ${values.map((x) => `"${x}"`).join(', ')}`);
}

export function pattern(re: RegExp, described: string): TypeCheck {
  return (v) => (re.test(v) ? undefined : described);
}

export function all(...checks: TypeCheck[]): TypeCheck {
  return (v) => {
    for (const c of checks) {
      const why = c(v);
      if (why) return why;
    }
    return undefined;
  };
}

export function range(min: number, max: number): TypeCheck {
  return (v) => {
    const n = Number(v);
    return n >= min && n <= max ? undefined : `a number from ${min} to ${max}`;
  };
}

// ── SCORM 1.2 RTE §3.4 "CMI data types" ─────────────────────────────────────────────────────────────────

/** CMIDecimal: a signed decimal number. */
export const CMIDecimal = pattern(/^-?\d{1,10}(\.\d{1,10})?$/, 'a CMIDecimal (e.g. 85 or 72.5)');
/** CMISInteger: a signed integer -32768..32767. */
export const CMISInteger = pattern(/^-?\d{1,5}$/, 'a CMISInteger');
/** CMIIdentifier: up to 255 characters with no whitespace (scorm-again also allows none; the spec: "alphanumeric"). */
export const CMIIdentifier = pattern(
  /^[\u0021-\u007E]{1,255}$/,
  'a CMIIdentifier (1–255 printable, no spaces)',
);
/** CMITimespan: HHHH:MM:SS.SS, hours 2–4 digits. */
export const CMITimespan = pattern(
  /^\d{2,4}:[0-5]\d:[0-5]\d(\.\d{1,2})?$/,
  'a CMITimespan HHHH:MM:SS.SS (e.g. 0001:30:00)',
);
/** CMITime: HH:MM:SS.SS, a time of day. */
export const CMITime = pattern(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,2})?$/, 'a CMITime HH:MM:SS');
export const CMIString255 = maxChars(255);
export const CMIString4096 = maxChars(4096);

// ── SCORM 2004 4th Ed. RTE §4.1 data types ──────────────────────────────────────────────────────────────

/** real(10,7): a decimal number with up to 7 digits after the point. */
export const Real107 = pattern(/^-?\d{1,10}(\.\d{1,7})?$/, 'a real(10,7) number (up to 7 decimals)');

/** long_identifier_type (SPM 4000): a URI, often a URN; no whitespace. */
export const LongIdentifier = pattern(
  /^(?:(?!urn:)\S{1,4000}|urn:[A-Za-z0-9-]{1,31}:\S{1,4000})$/,
  'a long_identifier_type (a URI without spaces, at most 4000 characters; urn: needs a namespace)',
);

/** short_identifier_type (SPM 250). */
export const ShortIdentifier = pattern(/^\S{1,250}$/, 'a short_identifier_type (no spaces, at most 250)');

/** timeinterval (second,10,2): an ISO 8601 duration, precision 0.01 s. */
export const TimeInterval = pattern(
  /^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?)?$/,
  'an ISO 8601 duration such as PT1H30M5.5S',
);

/** time (second,10,0): an ISO 8601 date-time, year 1970–9999, to the hundredth of a second. */
export const Time = pattern(
  /^(19[7-9]\d|[2-9]\d{3})(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3])(:[0-5]\d(:[0-5]\d(\.\d{1,2})?)?)?(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)?)?)?)?$/,
  'an ISO 8601 time such as 2026-11-28T10:15:30Z',
);

/** language_type: an RFC 1766/3066 tag, or empty. */
export const LanguageType = pattern(
  /^([a-zA-Z]{2,3}|i|x)(-[a-zA-Z0-9]{1,8})*$/,
  'a language tag such as en-US',
);

/** localized_string_type: an optional {lang=xx} delimiter, then at most `spm` characters. */
export function localizedString(spm: number): TypeCheck {
  return (v) => {
    const m = /^\{lang=([^}]*)\}/.exec(v);
    if (m && m[1] !== '' && LanguageType(m[1]!)) return `a {lang=…} delimiter with a valid language tag`;
    const text = m ? v.slice(m[0].length) : v;
    return text.length > spm ? `at most ${spm} characters after any {lang=} (got ${text.length})` : undefined;
  };
}
