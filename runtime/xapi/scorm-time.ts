/**
 * SCORM 2004 RTE §4.1.1.7 time (second,10,0): `YYYY[-MM[-DD[Thh[:mm[:ss[.s[TZD]]]]]]]`, TZD = `Z` | `±hh[:mm]`.
 * Any prefix is a valid time, and the zone may be missing.
 */
const SCORM_TIME =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,2}))?(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?)?)?$/;

/**
 * A SCORM 2004 time as an xAPI timestamp (xAPI 2.0 §4.2.7: an RFC 3339 date-time with a zone), in UTC; undefined
 * when it is not a time. Missing parts are the start of the period they leave open (2024-05 → 2024-05-01T00:00:00),
 * and a time without a zone is read as UTC: SCORM leaves its zone unknown, and the server's own zone would make the
 * result (and so the statement, whose id must name one content) depend on where it runs.
 */
export function scormTimeToIso(value: string): string | undefined {
  const m = SCORM_TIME.exec(value);
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', frac = '', tzd = 'Z'] = m;
  const zone =
    tzd === 'Z' ? 'Z' : /^[+-]\d{2}$/.test(tzd) ? `${tzd}:00` : `${tzd.slice(0, 3)}:${tzd.slice(-2)}`;
  const text = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? `.${frac.padEnd(3, '0')}` : ''}${zone}`;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return undefined;
  const date = new Date(ms);
  // Date.parse rolls 2024-02-30 over to March; a day or month out of range is not a time.
  const local = new Date(ms + zoneMinutes(zone) * 60_000);
  if (local.getUTCMonth() + 1 !== Number(mo) || local.getUTCDate() !== Number(d)) return undefined;
  return date.toISOString();
}

function zoneMinutes(zone: string): number {
  if (zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
}
