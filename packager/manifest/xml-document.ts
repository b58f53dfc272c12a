import { SaxesParser, type SaxesTagNS } from 'saxes';
import { CONVENTIONAL_PREFIXES } from './namespaces.ts';

/**
 * A small, namespace-aware element tree with line numbers, built with saxes. saxes never reads a DTD: it
 * expands only the five predefined entities and character references, and it fetches nothing. On top of that,
 * a DOCTYPE that declares entities or points at an external DTD is refused outright, so an XXE or
 * billion-laughs document gets a clear error rather than an "undefined entity" further down.
 */

export interface XmlAttribute {
  /** Namespace URI; '' for an unprefixed attribute (attributes don't take the default namespace). */
  ns: string;
  name: string;
  value: string;
}

export interface XmlElement {
  ns: string;
  name: string;
  /** The name as written, prefix included: for messages only. */
  qname: string;
  attributes: XmlAttribute[];
  children: XmlElement[];
  /** Character data directly inside this element (text and CDATA), untrimmed. */
  text: string;
  /** 1-based line of the element's start tag. */
  line: number;
}

export interface XmlNote {
  line?: number;
  message: string;
  fix: string;
}

export type XmlParseResult =
  | { ok: true; root: XmlElement; warnings: XmlNote[] }
  | { ok: false; error: XmlNote & { column?: number }; warnings: XmlNote[] };

/** Deeper than any real manifest; stops a pathological document from exhausting the tree walkers' stack. */
const MAX_DEPTH = 256;

class RefusedDocument extends Error {
  constructor(
    readonly line: number,
    readonly fix: string,
    message: string,
  ) {
    super(message);
  }
}

export function parseXmlDocument(input: Buffer | string): XmlParseResult {
  const warnings: XmlNote[] = [];
  const decoded = typeof input === 'string' ? { text: input } : decodeXml(input);
  if ('error' in decoded) return { ok: false, error: decoded.error, warnings };
  if (decoded.warning) warnings.push(decoded.warning);

  const assumedPrefixes = new Set<string>();
  const parser = new SaxesParser({
    xmlns: true,
    position: true,
    resolvePrefix: (prefix: string) => {
      const uri = CONVENTIONAL_PREFIXES[prefix];
      if (uri) assumedPrefixes.add(prefix);
      return uri;
    },
  });

  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let startLine = 1;

  parser.on('doctype', (doctype) => {
    // The event fires at the closing '>', so count back to the line the declaration starts on.
    const line = parser.line - (doctype.match(/\n/g)?.length ?? 0);
    const subsetStart = doctype.indexOf('[');
    const beforeSubset = subsetStart === -1 ? doctype : doctype.slice(0, subsetStart);
    if (/<!ENTITY/i.test(doctype)) {
      throw new RefusedDocument(
        line,
        'Remove the DOCTYPE declaration; IMS and cmi5 documents need no DTD, and entity declarations are never expanded.',
        'The document declares XML entities in a DOCTYPE. Entity declarations are refused: they are how ' +
          'XML external entity (XXE) and entity-expansion ("billion laughs") attacks work.',
      );
    }
    if (/\b(SYSTEM|PUBLIC)\b/.test(beforeSubset)) {
      throw new RefusedDocument(
        line,
        'Remove the DOCTYPE declaration; the document is checked against the namespaces it uses, not a DTD.',
        'The document names an external DTD in its DOCTYPE. External DTDs are never fetched, so they are refused.',
      );
    }
    warnings.push({
      line,
      message: 'The document has a DOCTYPE declaration; it was ignored.',
      fix: 'Remove the DOCTYPE declaration.',
    });
  });

  const lineAt = lineLocator(decoded.text);
  parser.on('opentagstart', (tag) => {
    // 'opentag' fires at the closing '>', which may be lines later, and even here the parser has already read
    // the character after the name (possibly a newline): step back over it, the name and the '<'.
    startLine = lineAt(parser.position - tag.name.length - 2);
  });

  parser.on('opentag', (tag: SaxesTagNS) => {
    const element: XmlElement = {
      ns: tag.uri,
      name: tag.local,
      qname: tag.name,
      attributes: Object.values(tag.attributes)
        // xmlns declarations are parser input, not data.
        .filter((a) => a.prefix !== 'xmlns' && a.name !== 'xmlns')
        .map((a) => ({ ns: a.uri, name: a.local, value: a.value })),
      children: [],
      text: '',
      line: startLine,
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
    if (stack.length > MAX_DEPTH) {
      throw new RefusedDocument(
        startLine,
        'Flatten the document structure.',
        `Elements are nested more than ${MAX_DEPTH} levels deep.`,
      );
    }
  });

  parser.on('closetag', () => {
    stack.pop();
  });

  const appendText = (text: string) => {
    const current = stack[stack.length - 1];
    if (current) current.text += text;
  };
  parser.on('text', appendText);
  parser.on('cdata', appendText);

  try {
    parser.write(decoded.text).close();
  } catch (err) {
    if (err instanceof RefusedDocument) {
      return { ok: false, error: { line: err.line, message: err.message, fix: err.fix }, warnings };
    }
    const raw = err instanceof Error ? err.message : String(err);
    // saxes prefixes "line:column: "; the position is reported separately.
    const message = raw.replace(/^\d+:\d+:\s*/, '');
    return {
      ok: false,
      error: {
        line: parser.line,
        column: parser.column + 1,
        message: `The XML is not well-formed: ${message}`,
        fix: fixForParseError(message),
      },
      warnings,
    };
  }

  if (!root) {
    return {
      ok: false,
      error: {
        line: parser.line,
        message: 'The XML is not well-formed: the document has no root element.',
        fix: 'Export the package again from the authoring tool; the file is empty or truncated.',
      },
      warnings,
    };
  }
  for (const prefix of assumedPrefixes) {
    warnings.push({
      message: `The prefix "${prefix}:" is used without a namespace declaration; it was read as ${CONVENTIONAL_PREFIXES[prefix]}.`,
      fix: `Declare it on the root element: xmlns:${prefix}="${CONVENTIONAL_PREFIXES[prefix]}".`,
    });
  }
  return { ok: true, root, warnings };
}

/** Maps a string index to its 1-based line. */
function lineLocator(text: string): (index: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (index) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

function fixForParseError(message: string): string {
  if (/unbound namespace prefix/.test(message)) {
    return 'Declare the prefix with an xmlns:prefix="…" attribute on the root element.';
  }
  if (/undefined entity/.test(message)) {
    return 'Write the character itself or a numeric reference (&#233;); only &amp; &lt; &gt; &quot; &apos; are defined in XML.';
  }
  if (/document must contain a root element|text data outside of root node|root/i.test(message)) {
    return 'Make sure the file holds exactly one root element after the XML declaration.';
  }
  return 'Fix the XML at that line (an XML editor or `xmllint --noout` shows the problem), or export the package again.';
}

type Decoded = { text: string; warning?: XmlNote } | { error: XmlNote };

/** XML 1.0 Appendix F: the BOM decides, then the declaration's encoding; UTF-8 otherwise. */
function decodeXml(bytes: Buffer): Decoded {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return decodeWith('utf-8', bytes.subarray(3));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return decodeWith('utf-16le', bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return decodeWith('utf-16be', bytes.subarray(2));
  if (bytes[0] === 0x3c && bytes[1] === 0x00) return decodeWith('utf-16le', bytes);
  if (bytes[0] === 0x00 && bytes[1] === 0x3c) return decodeWith('utf-16be', bytes);

  const head = bytes.subarray(0, 200).toString('latin1');
  const declared = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1]?.toLowerCase();
  if (declared && declared !== 'utf-8' && declared !== 'utf8') {
    if (declared.startsWith('utf-16')) return decodeWith('utf-16le', bytes);
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(declared);
    } catch {
      return {
        error: {
          line: 1,
          message: `The XML declaration names the encoding "${declared}", which is not supported.`,
          fix: 'Save the file as UTF-8 and change the declaration to encoding="UTF-8".',
        },
      };
    }
    return { text: decoder.decode(bytes) };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    // Older authoring tools write Windows-1252 text under a UTF-8 (or absent) declaration.
    return {
      text: new TextDecoder('windows-1252').decode(bytes),
      warning: {
        message: 'The file is not valid UTF-8; it was read as Windows-1252.',
        fix: 'Save the file as UTF-8, or declare its real encoding in the XML declaration.',
      },
    };
  }
}

function decodeWith(encoding: string, bytes: Buffer): Decoded {
  return { text: new TextDecoder(encoding).decode(bytes) };
}

// ── Tree helpers ────────────────────────────────────────────────────────────────────────────────────────────

type NsMatch = string | ReadonlySet<string>;

const nsMatches = (match: NsMatch, ns: string) => (typeof match === 'string' ? match === ns : match.has(ns));

export function childElements(el: XmlElement, ns: NsMatch, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name && nsMatches(ns, c.ns));
}

export function firstChild(el: XmlElement, ns: NsMatch, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name && nsMatches(ns, c.ns));
}

/** An attribute's value; `ns` '' (the default) means an unprefixed attribute. Names may list spellings. */
export function attribute(
  el: XmlElement,
  name: string | readonly string[],
  ns: NsMatch = '',
): string | undefined {
  const names = typeof name === 'string' ? [name] : name;
  return el.attributes.find((a) => names.includes(a.name) && nsMatches(ns, a.ns))?.value;
}

/** The trimmed character data of an element and all its descendants. */
export function textOf(el: XmlElement | undefined): string {
  if (!el) return '';
  const parts: string[] = [];
  const walk = (e: XmlElement) => {
    parts.push(e.text);
    for (const c of e.children) walk(c);
  };
  walk(el);
  return parts.join('').trim();
}
