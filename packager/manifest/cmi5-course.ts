import { normalizeArchivePath } from './archive-references.ts';
import { type AttributeReader, createAttributeReader, DECIMAL } from './attribute-values.ts';
import {
  type Cmi5Au,
  type Cmi5Block,
  type Cmi5CourseModel,
  type Cmi5Node,
  type Cmi5Objective,
  type LangString,
  type LaunchMethod,
  listAus,
  type MoveOn,
} from './cmi5-model.ts';
import { CMI5_COURSE_STRUCTURE } from './namespaces.ts';
import { pathOfHref } from './parse-resources.ts';
import { createReportBuilder, type ReportBuilder, type ValidationReport } from './validation-report.ts';
import { childElements, firstChild, parseXmlDocument, type XmlElement } from './xml-document.ts';

export interface ParseCmi5CourseOptions {
  /** The course structure's archive path, for the report ("cmi5.xml"). */
  file: string;
  /**
   * Every path in the zip. Absent for a standalone course structure XML, where every AU url must be fully
   * qualified (cmi5 §14.2).
   */
  archiveFiles?: ReadonlySet<string>;
}

export interface ParseCmi5CourseResult {
  /** Null only when the document cannot be read as a cmi5 course structure at all. */
  model: Cmi5CourseModel | null;
  report: ValidationReport;
}

const NS = CMI5_COURSE_STRUCTURE;
const MOVE_ON: readonly MoveOn[] = [
  'NotApplicable',
  'Passed',
  'Completed',
  'CompletedAndPassed',
  'CompletedOrPassed',
];
const LAUNCH_METHODS: readonly LaunchMethod[] = ['AnyWindow', 'OwnWindow'];
/** cmi5 §3.0: "IRI's in this spec MUST be fully qualified and not IRI References". */
const ABSOLUTE_IRI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
/** xs:language (BCP 47 shape). */
const LANGUAGE = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;

/**
 * The content models of CourseStructure.xsd (cmi5 §14.0, v1/CourseStructure.xsd): the cmi5-namespace children
 * each element may have, in order. Elements of other namespaces are allowed anywhere (the XSD's ##other
 * wildcards); unqualified elements are not.
 */
const CONTENT: Record<string, RegExp> = {
  courseStructure: /^course (objectives )?((au|block) )+$/,
  course: /^title description $/,
  block: /^title description (objectives )?((au|block) )+$/,
  au: /^title description (objectives )?url (launchParameters )?(entitlementKey )?$/,
  courseObjectives: /^(objective )+$/,
  referencedObjectives: /^(objective )+$/,
  courseObjective: /^(title description |description title )$/,
  text: /^(langstring )+$/,
};

const ORDER_HINT: Record<string, string> = {
  courseStructure: '<course>, an optional <objectives>, then one or more <au> or <block>',
  course: '<title>, then <description>',
  block: '<title>, <description>, an optional <objectives>, then one or more <au> or <block>',
  au: '<title>, <description>, an optional <objectives>, <url>, then optional <launchParameters> and <entitlementKey>',
  courseObjectives: 'one or more <objective id="…">',
  referencedObjectives: 'one or more <objective idref="…">',
  courseObjective: '<title> and <description>',
  text: 'one or more <langstring lang="…">',
};

/** Unprefixed attributes each element may carry; the XSD's anyAttribute wildcards admit only namespaced ones. */
const ATTRIBUTES: Record<string, readonly string[]> = {
  courseStructure: [],
  course: ['id'],
  block: ['id'],
  au: ['id', 'moveOn', 'masteryScore', 'launchMethod', 'activityType'],
  courseObjectives: [],
  referencedObjectives: [],
  courseObjective: ['id'],
  referencedObjective: ['idref'],
  text: [],
  langstring: ['lang'],
  url: [],
  launchParameters: [],
  entitlementKey: [],
};

interface Cmi5Context {
  report: ReportBuilder;
  read: AttributeReader;
  ids: Map<string, { line: number; what: string }>;
  objectiveRefs: { id: string; line: number }[];
  archive?: { files: ReadonlySet<string>; lower: Map<string, string> };
}

/** cmi5.xml into the course model and a report, checked against the CourseStructure.xsd rules (cmi5 §13–14). */
export function parseCmi5Course(xml: Buffer | string, opts: ParseCmi5CourseOptions): ParseCmi5CourseResult {
  const report = createReportBuilder(opts.file);
  const parsed = parseXmlDocument(xml);
  for (const w of parsed.warnings) report.warning(w.line, w.message, w.fix);
  if (!parsed.ok) {
    report.error(parsed.error.line, parsed.error.message, parsed.error.fix);
    return { model: null, report: report.report };
  }
  const root = parsed.root;
  if (root.name !== 'courseStructure' || root.ns !== NS) {
    const nsHint = root.name === 'courseStructure' ? ` in namespace "${root.ns}"` : '';
    report.error(
      root.line,
      `The root element is <${root.qname}>${nsHint}; cmi5 §14 requires <courseStructure> in the namespace ${NS}.`,
      `Make the root element <courseStructure xmlns="${NS}">.`,
    );
    return { model: null, report: report.report };
  }

  const ctx: Cmi5Context = {
    report,
    read: createAttributeReader(report),
    ids: new Map(),
    objectiveRefs: [],
  };
  if (opts.archiveFiles) {
    const files = new Set([...opts.archiveFiles].map(normalizeArchivePath));
    ctx.archive = { files, lower: new Map([...files].map((f) => [f.toLowerCase(), f])) };
  }

  checkStructure(root, 'courseStructure', ctx);
  const courseEl = firstChild(root, NS, 'course');
  const course = {
    id: courseEl ? readId(courseEl, 'course', ctx) : '',
    title: courseEl ? readText(courseEl, 'title', ctx) : [],
    description: courseEl ? readText(courseEl, 'description', ctx) : [],
  };
  if (courseEl) checkStructure(courseEl, 'course', ctx);

  const objectives: Cmi5Objective[] = [];
  const objectivesEl = firstChild(root, NS, 'objectives');
  if (objectivesEl) {
    checkStructure(objectivesEl, 'courseObjectives', ctx);
    for (const o of childElements(objectivesEl, NS, 'objective')) {
      checkStructure(o, 'courseObjective', ctx);
      objectives.push({
        id: readId(o, 'objective', ctx),
        title: readText(o, 'title', ctx),
        description: readText(o, 'description', ctx),
      });
    }
  }

  const children = readNodes(root, ctx);
  const declared = new Set(objectives.map((o) => o.id));
  for (const ref of ctx.objectiveRefs) {
    if (!declared.has(ref.id)) {
      report.error(
        ref.line,
        `The objective reference "${ref.id}" names no objective declared in the course's <objectives>.`,
        `Declare <objective id="${ref.id}"> with a title and description under courseStructure/objectives, or correct the idref.`,
      );
    }
  }
  if (listAus(children).length === 0) {
    report.error(
      root.line,
      'The course structure has no AU, so there is nothing to launch.',
      'Add at least one <au> with a <url>.',
    );
  }

  return { model: { standard: 'cmi5', course, objectives, children }, report: report.report };
}

function readNodes(parent: XmlElement, ctx: Cmi5Context): Cmi5Node[] {
  return parent.children.flatMap((el): Cmi5Node[] => {
    if (el.ns !== NS) return [];
    if (el.name === 'au') return [readAu(el, ctx)];
    if (el.name === 'block') return [readBlock(el, ctx)];
    return [];
  });
}

function readBlock(el: XmlElement, ctx: Cmi5Context): Cmi5Block {
  checkStructure(el, 'block', ctx);
  return {
    type: 'block',
    id: readId(el, 'block', ctx),
    title: readText(el, 'title', ctx),
    description: readText(el, 'description', ctx),
    objectives: readObjectiveRefs(el, ctx),
    children: readNodes(el, ctx),
  };
}

function readAu(el: XmlElement, ctx: Cmi5Context): Cmi5Au {
  const { read, report } = ctx;
  checkStructure(el, 'au', ctx);
  const id = readId(el, 'au', ctx);
  const urlEl = firstChild(el, NS, 'url');
  const url = urlEl ? trimmed(urlEl) : '';
  const urlIsAbsolute = ABSOLUTE_IRI.test(url);
  if (urlEl) {
    checkStructure(urlEl, 'url', ctx);
    if (url === '') {
      report.error(
        urlEl.line,
        `AU "${id}" has an empty <url>.`,
        "Write the AU's launch URL: a path in the zip, or a fully qualified URL.",
      );
    } else if (!urlIsAbsolute) checkRelativeUrl(url, urlEl, id, ctx);
  }

  const au: Cmi5Au = {
    type: 'au',
    id,
    title: readText(el, 'title', ctx),
    description: readText(el, 'description', ctx),
    objectives: readObjectiveRefs(el, ctx),
    url,
    urlIsAbsolute,
    launchMethod: read.enumeration(el, 'launchMethod', LAUNCH_METHODS, 'AnyWindow'),
    moveOn: read.enumeration(el, 'moveOn', MOVE_ON, 'NotApplicable'),
  };
  const mastery = read.string(el, 'masteryScore');
  if (mastery !== undefined) {
    const n = read.decimal(el, 'masteryScore', { min: 0, max: 1 });
    if (n !== undefined) {
      au.masteryScore = n;
      // §13.1.4: "a scaled, decimal value between 0 and 1 (inclusive) with up to 4 decimal places of precision".
      if (DECIMAL.test(mastery) && (mastery.split('.')[1]?.length ?? 0) > 4) {
        report.warning(
          el.line,
          `masteryScore "${mastery}" has more than 4 decimal places.`,
          'Round it to 4 decimal places.',
        );
      }
    }
  }
  const activityType = read.string(el, 'activityType');
  if (activityType !== undefined) {
    au.activityType = activityType;
    if (!ABSOLUTE_IRI.test(activityType)) {
      report.warning(
        el.line,
        `activityType "${activityType}" is not a fully qualified IRI (cmi5 §13.1.4 gives it the IRI data type).`,
        'Use an activity type IRI such as http://adlnet.gov/expapi/activities/lesson.',
      );
    }
  }
  for (const name of ['launchParameters', 'entitlementKey'] as const) {
    const child = firstChild(el, NS, name);
    if (child) {
      checkStructure(child, name, ctx);
      au[name] = trimmed(child);
    }
  }
  return au;
}

function checkRelativeUrl(url: string, el: XmlElement, id: string, ctx: Cmi5Context): void {
  if (!ctx.archive) {
    ctx.report.error(
      el.line,
      `AU "${id}" has the relative url "${url}", but this course structure came without a zip.`,
      'cmi5 §14.2: a course structure XML without a ZIP package must use fully qualified URLs; upload the zip, or make the url absolute.',
    );
    return;
  }
  const path = normalizeArchivePath(pathOfHref(url));
  if (ctx.archive.files.has(path)) return;
  const otherCase = ctx.archive.lower.get(path.toLowerCase());
  ctx.report.warning(
    el.line,
    `AU "${id}" launches "${path}", which is not in the zip.`,
    otherCase
      ? `The zip has "${otherCase}"; file names are case-sensitive on the web server, so make the url and the file agree.`
      : 'cmi5 §14.1: content not in the zip must be referenced by a fully qualified URL; add the file or make the url absolute.',
  );
}

function readId(el: XmlElement, what: string, ctx: Cmi5Context): string {
  const id = ctx.read.string(el, 'id');
  if (!id) {
    ctx.report.error(
      el.line,
      `<${what}> has no id attribute.`,
      `Add id="…" with a globally unique IRI, such as https://example.com/${what}/1.`,
    );
    return '';
  }
  if (!ABSOLUTE_IRI.test(id)) {
    ctx.report.error(
      el.line,
      `The ${what} id "${id}" is not a fully qualified IRI.`,
      'cmi5 §3.0: IRIs must be fully qualified, such as https://example.com/courses/geology/au/1.',
    );
  }
  const earlier = ctx.ids.get(id);
  if (earlier) {
    ctx.report.error(
      el.line,
      `The id "${id}" of this ${what} is already used by the ${earlier.what} at line ${earlier.line}.`,
      'cmi5 §13.1: block, AU and objective ids must be unique within the course structure; give each its own IRI.',
    );
  } else {
    ctx.ids.set(id, { line: el.line, what });
  }
  return id;
}

/** A textType child (title / description): one or more langstrings, whitespace trimmed (§13.1). */
function readText(el: XmlElement, name: 'title' | 'description', ctx: Cmi5Context): LangString[] {
  const textEl = firstChild(el, NS, name);
  if (!textEl) return [];
  checkStructure(textEl, 'text', ctx);
  return childElements(textEl, NS, 'langstring').map((ls) => {
    checkStructure(ls, 'langstring', ctx);
    const lang = ctx.read.string(ls, 'lang');
    if (lang !== undefined && !LANGUAGE.test(lang)) {
      ctx.report.warning(
        ls.line,
        `lang "${lang}" is not a language tag.`,
        'Use a BCP 47 tag such as "en-US".',
      );
    }
    const value = trimmed(ls);
    return lang ? { lang, value } : { value };
  });
}

function readObjectiveRefs(el: XmlElement, ctx: Cmi5Context): string[] {
  const objectivesEl = firstChild(el, NS, 'objectives');
  if (!objectivesEl) return [];
  checkStructure(objectivesEl, 'referencedObjectives', ctx);
  return childElements(objectivesEl, NS, 'objective').flatMap((o) => {
    checkStructure(o, 'referencedObjective', ctx);
    const idref = ctx.read.string(o, 'idref');
    if (!idref) {
      ctx.report.error(
        o.line,
        'An objective reference has no idref.',
        'Add idref="…" naming an objective declared in the course\'s <objectives>.',
      );
      return [];
    }
    ctx.objectiveRefs.push({ id: idref, line: o.line });
    return [idref];
  });
}

function trimmed(el: XmlElement): string {
  return el.text.trim();
}

/** Checks an element's cmi5 children against its XSD content model, and its unqualified attributes. */
function checkStructure(el: XmlElement, kind: string, ctx: Cmi5Context): void {
  const { report } = ctx;
  const allowed = ATTRIBUTES[kind] ?? [];
  for (const a of el.attributes) {
    if (a.ns === '' && !allowed.includes(a.name)) {
      const near = allowed.find((n) => n.toLowerCase() === a.name.toLowerCase());
      report.error(
        el.line,
        `<${el.qname}> has the attribute ${a.name}, which CourseStructure.xsd does not allow there.`,
        near
          ? `Spell it ${near} (attribute names are case-sensitive).`
          : allowed.length > 0
            ? `Allowed attributes: ${allowed.join(', ')}.`
            : 'Remove it, or put it in your own namespace.',
      );
    }
  }
  for (const c of el.children) {
    if (c.ns === '') {
      report.error(
        c.line,
        `<${c.qname}> is in no namespace; CourseStructure.xsd allows only its own elements and elements of other namespaces here.`,
        `If it is a cmi5 element, the document needs xmlns="${NS}" on <courseStructure>; otherwise put the extension in its own namespace.`,
      );
    }
  }
  const content = CONTENT[kind];
  if (!content) {
    // Simple-content elements (url, langstring, launchParameters, entitlementKey, referencedObjective) hold text.
    for (const c of el.children) {
      if (c.ns === NS) {
        report.error(
          c.line,
          `<${c.qname}> is not allowed inside <${el.qname}>.`,
          `Remove it; <${el.qname}> holds text only.`,
        );
      }
    }
    return;
  }
  const names = el.children
    .filter((c) => c.ns === NS)
    .map((c) => `${c.name} `)
    .join('');
  if (!content.test(names)) {
    report.error(
      el.line,
      `The children of <${el.qname}> do not match CourseStructure.xsd: found ${names.trim() ? `<${names.trim().split(' ').join('>, <')}>` : 'none'}.`,
      `<${el.qname}> must contain, in this order: ${ORDER_HINT[kind]}.`,
    );
  }
}
