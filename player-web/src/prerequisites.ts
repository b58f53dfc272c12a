/*
 * SCORM 1.2 adlcp:prerequisites: an AICC script expression (CMI001 "Script" syntax adopted by the SCORM 1.2
 * CAM §2.3.2.4): identifiers joined by & (and), | (or), ~ (not), parentheses, a set `n*{a,b,c}` (at least n
 * of them), and comparisons `id = passed` / `id <> "failed"`. An identifier alone is met when its lesson
 * status is passed or completed. The LMS evaluates it before launching an item.
 *
 * Deliberate leniency: an expression that does not parse, or names an item the course does not have,
 * is treated as met; a typo in a manifest must not lock a learner out of the course.
 */

const ABBREVIATIONS: Record<string, string> = {
  p: 'passed',
  c: 'completed',
  f: 'failed',
  i: 'incomplete',
  b: 'browsed',
  n: 'not attempted',
};

function normalizeStatus(s: string): string {
  const v = s.trim().toLowerCase();
  return ABBREVIATIONS[v] ?? v;
}

/** `status(id)` returns the item's lesson status, or undefined for an identifier the course lacks. */
export function prerequisitesMet(
  expression: string | null | undefined,
  status: (id: string) => string | undefined,
): boolean {
  if (!expression?.trim()) return true;
  try {
    return new Parser(expression, status).parse();
  } catch {
    return true;
  }
}

class Parser {
  private readonly tokens: string[];
  private i = 0;

  constructor(
    source: string,
    private readonly status: (id: string) => string | undefined,
  ) {
    this.tokens = source.match(/"[^"]*"|'[^']*'|<>|[=&|~(){},*]|[^\s=&|~(){},*<>"']+/g) ?? [];
  }

  parse(): boolean {
    const v = this.or();
    if (this.i !== this.tokens.length) throw new Error('trailing tokens');
    return v;
  }

  private peek(): string | undefined {
    return this.tokens[this.i];
  }

  private take(expected?: string): string {
    const t = this.tokens[this.i++];
    if (t === undefined || (expected !== undefined && t !== expected))
      throw new Error(`expected ${expected}`);
    return t;
  }

  private or(): boolean {
    return this.chain(
      '|',
      () => this.and(),
      (a, b) => a || b,
    );
  }

  private and(): boolean {
    return this.chain(
      '&',
      () => this.unary(),
      (a, b) => a && b,
    );
  }

  /** `next (op next)*`, left to right; every operand is parsed, so a malformed one is always found. */
  private chain(op: string, next: () => boolean, combine: (a: boolean, b: boolean) => boolean): boolean {
    let v = next();
    while (this.peek() === op) {
      this.take();
      v = combine(v, next());
    }
    return v;
  }

  private unary(): boolean {
    if (this.peek() === '~') {
      this.take();
      return !this.unary();
    }
    return this.primary();
  }

  private primary(): boolean {
    const t = this.take();
    if (t === '(') {
      const v = this.or();
      this.take(')');
      return v;
    }
    if (/^\d+$/.test(t) && this.peek() === '*') {
      this.take('*');
      this.take('{');
      let met = 0;
      for (;;) {
        if (this.identifier(this.take())) met++;
        if (this.peek() === ',') this.take();
        else break;
      }
      this.take('}');
      return met >= Number(t);
    }
    return this.identifier(t);
  }

  private identifier(id: string): boolean {
    if (/^[=&|~(){},*]$|^<>$/.test(id)) throw new Error(`unexpected ${id}`);
    const op = this.peek();
    const actual = this.status(id);
    if (op === '=' || op === '<>') {
      this.take();
      let value = this.take();
      if (/^["']/.test(value)) value = value.slice(1, -1);
      // "not attempted" unquoted is two tokens.
      if (value.toLowerCase() === 'not' && this.peek()?.toLowerCase() === 'attempted')
        value += ` ${this.take()}`;
      if (actual === undefined) return true;
      const equal = normalizeStatus(actual) === normalizeStatus(value);
      return op === '=' ? equal : !equal;
    }
    if (actual === undefined) return true;
    const s = normalizeStatus(actual);
    return s === 'passed' || s === 'completed';
  }
}
