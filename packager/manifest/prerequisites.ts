/**
 * SCORM 1.2 adlcp:prerequisites holds an AICC script expression (the AICC CMI001 script syntax, which the
 * SCORM 1.2 CAM adopts for it): item identifiers joined by & (and), | (or), ~ (not), parentheses, a count set
 * `n*{a,b,c}`, and comparisons `id = "passed"` / `id <> "failed"` against lesson status values.
 */

const STATUS_WORDS = new Set([
  'passed',
  'completed',
  'failed',
  'incomplete',
  'browsed',
  'not',
  'attempted',
  'p',
  'c',
  'f',
  'i',
  'b',
  'n',
]);

/** The item identifiers an expression names, in order of first appearance. */
export function prerequisiteIdentifiers(expression: string): string[] {
  const withoutStrings = expression.replace(/"[^"]*"|'[^']*'/g, ' ');
  const tokens = withoutStrings.match(/<>|[=&|~(){},*]|[^\s=&|~(){},*<>]+/g) ?? [];
  const out: string[] = [];
  let afterComparison = false;
  for (const token of tokens) {
    if (token === '=' || token === '<>') {
      afterComparison = true;
      continue;
    }
    if (/^[=&|~(){},*]$/.test(token)) {
      afterComparison = false;
      continue;
    }
    if (/^\d+$/.test(token)) continue;
    // An unquoted status word after a comparison is a value, not an identifier.
    if (afterComparison && STATUS_WORDS.has(token.toLowerCase())) continue;
    afterComparison = false;
    if (!out.includes(token)) out.push(token);
  }
  return out;
}
