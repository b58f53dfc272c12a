/**
 * Parses a single-range `Range: bytes=…` header (RFC 9110 §14.1.2). Multi-range requests are answered
 * with the whole body, which RFC 9110 §14.2 allows; `undefined` means "send everything".
 * Suffix ranges (`bytes=-500`) need the size, so they resolve here against it.
 */
export type ParsedRange = { start: number; end?: number } | 'unsatisfiable' | undefined;

export function parseRange(header: string | undefined, size: number): ParsedRange {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a, b] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix) };
  }
  const start = Number(a);
  if (start >= size) return 'unsatisfiable';
  if (b === '') return { start };
  const end = Number(b);
  if (end < start) return undefined;
  return { start, end: Math.min(end, size - 1) };
}
