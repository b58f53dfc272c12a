import type { ReportBuilder } from './validation-report.ts';
import { attribute, type XmlElement } from './xml-document.ts';

/**
 * Typed reads of XML Schema simple types from attributes. A value that does not fit its type is an error at the
 * element's line, and the default (if any) stands in so parsing can go on and report everything at once.
 */

type Ns = string | ReadonlySet<string>;

export interface AttributeReader {
  string(el: XmlElement, name: string | readonly string[], ns?: Ns): string | undefined;
  boolean(el: XmlElement, name: string, def: boolean, ns?: Ns): boolean;
  /** Several xs:boolean attributes of one element, each with its schema default, in the defaults' order. */
  booleans<K extends string>(
    el: XmlElement,
    defaults: Readonly<Record<K, boolean>>,
    ns?: Ns,
  ): Record<K, boolean>;
  enumeration<T extends string>(el: XmlElement, name: string, allowed: readonly T[], def: T, ns?: Ns): T;
  optionalEnumeration<T extends string>(
    el: XmlElement,
    name: string,
    allowed: readonly T[],
    ns?: Ns,
  ): T | undefined;
  decimal(el: XmlElement, name: string, range: { min: number; max: number }, ns?: Ns): number | undefined;
  integer(el: XmlElement, name: string, range: { min: number; max?: number }, ns?: Ns): number | undefined;
}

/** xs:decimal: no exponent, no NaN/INF (unlike Number()). */
export const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
/** xs:duration (XML Schema Part 2 §3.2.6). */
export const DURATION = /^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+(\.\d+)?D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

export function parseDecimal(text: string): number | undefined {
  const t = text.trim();
  return DECIMAL.test(t) ? Number(t) : undefined;
}

export function createAttributeReader(report: ReportBuilder): AttributeReader {
  const where = (el: XmlElement, name: string) => `${name} on <${el.qname}>`;
  return {
    string(el, name, ns = '') {
      const v = attribute(el, name, ns);
      return v === undefined ? undefined : v.trim();
    },
    boolean(el, name, def, ns = '') {
      const v = attribute(el, name, ns)?.trim();
      if (v === undefined) return def;
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
      report.error(
        el.line,
        `${where(el, name)} is "${v}", not a boolean.`,
        `Write ${name}="true" or ${name}="false".`,
      );
      return def;
    },
    booleans<K extends string>(el: XmlElement, defaults: Readonly<Record<K, boolean>>, ns: Ns = '') {
      const out = {} as Record<K, boolean>;
      for (const name of Object.keys(defaults) as K[]) out[name] = this.boolean(el, name, defaults[name], ns);
      return out;
    },
    enumeration(el, name, allowed, def, ns = '') {
      return this.optionalEnumeration(el, name, allowed, ns) ?? def;
    },
    optionalEnumeration<T extends string>(el: XmlElement, name: string, allowed: readonly T[], ns: Ns = '') {
      const v = attribute(el, name, ns)?.trim();
      if (v === undefined) return undefined;
      if ((allowed as readonly string[]).includes(v)) return v as T;
      report.error(
        el.line,
        `${where(el, name)} is "${v}", which is not one of the allowed values.`,
        `Use one of: ${allowed.map((a) => `"${a}"`).join(', ')} (the values are case-sensitive).`,
      );
      return undefined;
    },
    decimal(el, name, range, ns = '') {
      const v = attribute(el, name, ns);
      if (v === undefined) return undefined;
      const n = parseDecimal(v);
      if (n === undefined || n < range.min || n > range.max) {
        report.error(
          el.line,
          `${where(el, name)} is "${v.trim()}"; it must be a decimal from ${range.min} to ${range.max}.`,
          `Write a decimal number between ${range.min} and ${range.max}, such as ${range.max === 1 ? '0.8' : range.max}.`,
        );
        return undefined;
      }
      return n;
    },
    integer(el, name, range, ns = '') {
      const v = attribute(el, name, ns)?.trim();
      if (v === undefined) return undefined;
      const n = /^[+-]?\d+$/.test(v) ? Number(v) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < range.min || (range.max !== undefined && n > range.max)) {
        const bound = range.max === undefined ? `${range.min} or more` : `from ${range.min} to ${range.max}`;
        report.error(
          el.line,
          `${where(el, name)} is "${v}"; it must be a whole number ${bound}.`,
          `Write a whole number ${bound}.`,
        );
        return undefined;
      }
      return n;
    },
  };
}
