import { parseDecimal } from './attribute-values.ts';
import type {
  CompletionThreshold,
  HideLmsUi,
  Item,
  Organization,
  SharedDataMap,
  TimeLimitAction,
} from './course-model.ts';
import { applyParameters } from './launch-url.ts';
import { claimId, type ManifestContext } from './manifest-context.ts';
import {
  ADLCP_2004,
  ADLCP_NAMESPACES,
  ADLNAV_2004,
  ADLSEQ_2004,
  CONTENT_PACKAGING_NAMESPACES,
  IMSSS,
} from './namespaces.ts';
import {
  finishSequencing,
  mergeSequencing,
  type ParsedSequencing,
  parseSequencing,
} from './parse-sequencing.ts';
import { prerequisiteIdentifiers } from './prerequisites.ts';
import { childElements, firstChild, textOf, type XmlElement } from './xml-document.ts';

const TIME_LIMIT_ACTIONS: readonly TimeLimitAction[] = [
  'exit,message',
  'exit,no message',
  'continue,message',
  'continue,no message',
];
const HIDE_LMS_UI: readonly HideLmsUi[] = [
  'previous',
  'continue',
  'exit',
  'exitAll',
  'abandon',
  'abandonAll',
  'suspendAll',
];
/** SCORM 1.2 CMITimespan: HHHH:MM:SS.SS (SCORM 1.2 RTE data types). */
const CMI_TIMESPAN = /^\d{2,4}:\d{2}:\d{2}(\.\d{1,2})?$/;

export interface ParsedOrganizations {
  defaultOrganization: string | null;
  organizations: Organization[];
}

/** organizations/organization of one (sub)manifest. */
export function parseOrganizations(
  manifest: XmlElement,
  ctx: ManifestContext,
  isRoot: boolean,
): ParsedOrganizations {
  const { report, read } = ctx;
  const orgsEl = firstChild(manifest, CONTENT_PACKAGING_NAMESPACES, 'organizations');
  if (!orgsEl) {
    if (isRoot) {
      report.error(
        manifest.line,
        'The manifest has no <organizations> element (IMS CP requires one).',
        'Add <organizations default="…"> with an <organization> whose items reference the SCOs.',
      );
    }
    return { defaultOrganization: null, organizations: [] };
  }
  const organizations: Organization[] = [];
  const orgLines = new Map<string, number>();
  for (const el of childElements(orgsEl, CONTENT_PACKAGING_NAMESPACES, 'organization')) {
    const identifier = read.string(el, 'identifier');
    if (!identifier) {
      report.error(
        el.line,
        'An <organization> has no identifier.',
        'Add identifier="…", unique in the manifest.',
      );
      continue;
    }
    claimId(ctx, identifier, el.line, 'organization');
    orgLines.set(identifier, el.line);
    const title = textOf(firstChild(el, CONTENT_PACKAGING_NAMESPACES, 'title'));
    if (!title) {
      report.warning(
        el.line,
        `Organization "${identifier}" has no title.`,
        'Add a <title> to the organization; learners see it as the course name.',
      );
    }
    const itemEls = childElements(el, CONTENT_PACKAGING_NAMESPACES, 'item');
    if (itemEls.length === 0) {
      report.error(
        el.line,
        `Organization "${identifier}" has no items (IMS CP requires at least one).`,
        'Add an <item> with identifierref naming the resource to launch, or remove the empty organization.',
      );
    }
    const org: Organization = {
      identifier,
      title: title || identifier,
      items: itemEls.map((i) => parseItem(i, ctx)),
    };
    const structure = read.string(el, 'structure');
    if (structure) org.structure = structure;
    const globalObjectives = el.attributes.find(
      (a) => a.ns === ADLSEQ_2004 && a.name === 'objectivesGlobalToSystem',
    );
    if (globalObjectives)
      org.objectivesGlobalToSystem = read.boolean(el, 'objectivesGlobalToSystem', true, ADLSEQ_2004);
    const sharedData = el.attributes.find(
      (a) => a.ns === ADLCP_2004 && a.name === 'sharedDataGlobalToSystem',
    );
    if (sharedData)
      org.sharedDataGlobalToSystem = read.boolean(el, 'sharedDataGlobalToSystem', true, ADLCP_2004);
    const sequencing = readSequencing(el, ctx);
    if (sequencing) org.sequencing = sequencing;
    organizations.push(org);
  }

  let defaultOrganization: string | null = organizations[0]?.identifier ?? null;
  const declaredDefault = read.string(orgsEl, 'default');
  if (declaredDefault) {
    if (orgLines.has(declaredDefault)) defaultOrganization = declaredDefault;
    else {
      report.warning(
        orgsEl.line,
        `organizations/@default names "${declaredDefault}", which is not an organization in this manifest${defaultOrganization ? `; "${defaultOrganization}" is used instead` : ''}.`,
        'Set default to the identifier of the organization to deliver.',
      );
    }
  } else if (organizations.length > 1) {
    report.warning(
      orgsEl.line,
      `organizations has no default attribute; the first organization, "${defaultOrganization}", is delivered.`,
      'Set organizations/@default to the identifier of the organization to deliver.',
    );
  }
  return { defaultOrganization, organizations };
}

function parseItem(el: XmlElement, ctx: ManifestContext): Item {
  const { report, read } = ctx;
  const identifier = read.string(el, 'identifier') ?? '';
  if (!identifier) {
    report.error(el.line, 'An <item> has no identifier.', 'Add identifier="…", unique in the manifest.');
  } else {
    claimId(ctx, identifier, el.line, 'item');
  }
  const title = textOf(firstChild(el, CONTENT_PACKAGING_NAMESPACES, 'title'));
  if (!title) {
    report.warning(
      el.line,
      `Item "${identifier}" has no title.`,
      'Add a <title>; learners see it in the table of contents.',
    );
  }
  const item: Item = {
    identifier,
    title: title || identifier,
    isvisible: read.boolean(el, 'isvisible', true),
    children: childElements(el, CONTENT_PACKAGING_NAMESPACES, 'item').map((c) => parseItem(c, ctx)),
  };
  const parameters = el.attributes.find((a) => a.ns === '' && a.name === 'parameters')?.value;
  if (parameters !== undefined && parameters !== '') item.parameters = parameters;

  const identifierref = read.string(el, 'identifierref');
  if (identifierref) {
    item.identifierref = identifierref;
    linkItem(item, el, identifierref, ctx);
  } else if (item.children.length === 0) {
    report.warning(
      el.line,
      `Item "${identifier}" has no children and no identifierref, so it launches nothing.`,
      'Add identifierref="…" naming the resource to launch, or remove the item.',
    );
  }
  if (ctx.is2004 && identifierref && item.children.length > 0) {
    // SCORM 2004 CAM: only leaf items reference resources; clusters are never delivered.
    report.warning(
      el.line,
      `Item "${identifier}" has child items and also an identifierref; SCORM 2004 never launches a cluster, so the reference is ignored.`,
      'Move the identifierref to a leaf item.',
    );
    delete item.href;
    delete item.launchUrl;
    delete item.scormType;
  }

  if (ctx.is2004) read2004Extras(item, el, ctx);
  else read12Extras(item, el, ctx);
  return item;
}

function linkItem(item: Item, el: XmlElement, ref: string, ctx: ManifestContext): void {
  const found = ctx.resources.get(ref);
  if (found) {
    const { resource } = found;
    item.scormType = resource.scormType ?? 'asset';
    if (resource.scormType === null && !ctx.untypedResourcesReported.has(ref)) {
      ctx.untypedResourcesReported.add(ref);
      const attr = ctx.is2004 ? 'adlcp:scormType' : 'adlcp:scormtype';
      ctx.report.warning(
        found.line,
        `Resource "${ref}" has no ${attr}; it is launched as an asset (no SCORM API tracking).`,
        `Add ${attr}="sco" if the page calls the SCORM API, or "asset" if it does not.`,
      );
    }
    if (resource.href === undefined) {
      if (resource.scormType !== 'sco') {
        ctx.report.error(
          el.line,
          `Item "${item.identifier}" references resource "${ref}", which has no href to launch.`,
          `Add href="…" to resource "${ref}" naming its launch page.`,
        );
      }
      return;
    }
    item.href = resource.href;
    item.launchUrl = applyParameters(resource.href, item.parameters);
    return;
  }
  const subManifest = ctx.subManifestOrganizations.get(ref);
  if (subManifest) {
    // IMS CP 1.1.4: an item that references a (sub)manifest stands for that manifest's default organization.
    // SCORM 2004 does not require LMSs to support this, so the designer is told.
    const org = subManifest.organizations.find((o) => o.identifier === subManifest.defaultOrganization);
    if (org && item.children.length === 0) item.children = structuredClone(org.items);
    ctx.report.warning(
      el.line,
      `Item "${item.identifier}" references the sub-manifest "${ref}"; its default organization was placed under the item.`,
      'Flatten the sub-manifest into the main manifest: many LMSs do not support sub-manifests.',
    );
    return;
  }
  ctx.report.error(
    el.line,
    `Item "${item.identifier}" has identifierref "${ref}", but no resource has that identifier.`,
    `Add a resource with identifier="${ref}" or correct the identifierref (identifiers are case-sensitive).`,
  );
}

/** An ADL CP element, matched by lower-cased local name because 1.2 and 2004 spell them differently. */
function adlcpChild(el: XmlElement, name: string): XmlElement | undefined {
  const lower = name.toLowerCase();
  return el.children.find((c) => ADLCP_NAMESPACES.has(c.ns) && c.name.toLowerCase() === lower);
}

function read12Extras(item: Item, el: XmlElement, ctx: ManifestContext): void {
  const { report } = ctx;
  const mastery = adlcpChild(el, 'masteryscore');
  if (mastery) {
    const v = parseDecimal(textOf(mastery));
    if (v === undefined || v < 0 || v > 100) {
      report.warning(
        mastery.line,
        `adlcp:masteryscore is "${textOf(mastery)}"; it must be a number from 0 to 100. It was ignored.`,
        'Write a number from 0 to 100, such as 80.',
      );
    } else {
      item.masteryScore = v;
    }
  }
  const prerequisites = adlcpChild(el, 'prerequisites');
  if (prerequisites) {
    const expression = textOf(prerequisites);
    const type = ctx.read.string(prerequisites, 'type') ?? 'aicc_script';
    if (type !== 'aicc_script') {
      report.warning(
        prerequisites.line,
        `adlcp:prerequisites has type "${type}"; SCORM 1.2 defines only "aicc_script".`,
        'Set type="aicc_script".',
      );
    }
    if (expression) item.prerequisites = { type, expression };
  }
  const maxTime = adlcpChild(el, 'maxtimeallowed');
  if (maxTime) {
    const v = textOf(maxTime);
    if (!CMI_TIMESPAN.test(v)) {
      report.warning(
        maxTime.line,
        `adlcp:maxtimeallowed is "${v}", not a CMITimespan (HHHH:MM:SS.SS). It was ignored.`,
        'Write the time as HH:MM:SS, such as 00:30:00.',
      );
    } else {
      item.maxTimeAllowed = v;
    }
  }
  readTimeLimitAction(item, adlcpChild(el, 'timelimitaction'), ctx);
  const data = adlcpChild(el, 'datafromlms');
  if (data) item.dataFromLms = textOf(data);
  for (const c of el.children) {
    if (c.ns === IMSSS || c.ns === ADLNAV_2004) {
      report.warning(
        c.line,
        `<${c.qname}> is a SCORM 2004 element in a SCORM 1.2 manifest; it is ignored.`,
        'Remove it, or declare schemaversion "2004 3rd Edition" / "2004 4th Edition" if the package is SCORM 2004.',
      );
      break;
    }
  }
}

function read2004Extras(item: Item, el: XmlElement, ctx: ManifestContext): void {
  const { report, read } = ctx;
  readTimeLimitAction(item, adlcpChild(el, 'timeLimitAction'), ctx);
  const data = adlcpChild(el, 'dataFromLMS');
  if (data) item.dataFromLms = textOf(data);

  const threshold = firstChild(el, ADLCP_2004, 'completionThreshold');
  if (threshold) {
    const parsed = readCompletionThreshold(threshold, ctx);
    if (parsed) item.completionThreshold = parsed;
  }

  const presentation = firstChild(el, ADLNAV_2004, 'presentation');
  const navInterface = presentation && firstChild(presentation, ADLNAV_2004, 'navigationInterface');
  if (navInterface) {
    const hide: HideLmsUi[] = [];
    for (const h of childElements(navInterface, ADLNAV_2004, 'hideLMSUI')) {
      const v = textOf(h);
      if ((HIDE_LMS_UI as readonly string[]).includes(v)) {
        if (!hide.includes(v as HideLmsUi)) hide.push(v as HideLmsUi);
      } else {
        report.warning(
          h.line,
          `adlnav:hideLMSUI "${v}" is not a known value; it is ignored.`,
          `Use one of: ${HIDE_LMS_UI.join(', ')}.`,
        );
      }
    }
    if (hide.length > 0) item.hideLmsUi = hide;
  }

  const dataEl = firstChild(el, ADLCP_2004, 'data');
  if (dataEl) {
    const maps: SharedDataMap[] = [];
    for (const m of childElements(dataEl, ADLCP_2004, 'map')) {
      const targetID = read.string(m, 'targetID');
      if (!targetID) {
        report.error(m.line, 'adlcp:map has no targetID.', 'Add targetID="…" naming the shared data store.');
        continue;
      }
      maps.push({
        targetID,
        readSharedData: read.boolean(m, 'readSharedData', true),
        writeSharedData: read.boolean(m, 'writeSharedData', true),
      });
    }
    if (maps.length > 0) item.sharedData = maps;
  }

  const sequencing = readSequencing(el, ctx);
  if (sequencing) item.sequencing = sequencing;

  for (const name of ['masteryscore', 'prerequisites', 'maxtimeallowed']) {
    const old = adlcpChild(el, name);
    if (old) {
      report.warning(
        old.line,
        `adlcp:${name} is a SCORM 1.2 element; SCORM 2004 ignores it.`,
        name === 'masteryscore'
          ? 'Use imsss:primaryObjective satisfiedByMeasure="true" with imsss:minNormalizedMeasure.'
          : name === 'prerequisites'
            ? 'Express the prerequisite as an imsss:preConditionRule.'
            : 'Use imsss:limitConditions attemptAbsoluteDurationLimit.',
      );
    }
  }
}

function readTimeLimitAction(item: Item, el: XmlElement | undefined, ctx: ManifestContext): void {
  if (!el) return;
  const v = textOf(el);
  if ((TIME_LIMIT_ACTIONS as readonly string[]).includes(v)) item.timeLimitAction = v as TimeLimitAction;
  else {
    ctx.report.warning(
      el.line,
      `adlcp:timeLimitAction "${v}" is not a known value; it is ignored.`,
      `Use one of: ${TIME_LIMIT_ACTIONS.join(', ')}.`,
    );
  }
}

function readCompletionThreshold(el: XmlElement, ctx: ManifestContext): CompletionThreshold | undefined {
  const { read, report } = ctx;
  const text = textOf(el);
  if (el.attributes.length > 0) {
    // SCORM 2004 4th ed. CAM: attribute form.
    return {
      completedByMeasure: read.boolean(el, 'completedByMeasure', false),
      minProgressMeasure: read.decimal(el, 'minProgressMeasure', { min: 0, max: 1 }) ?? 1,
      progressWeight: read.decimal(el, 'progressWeight', { min: 0, max: 1 }) ?? 1,
    };
  }
  const v = parseDecimal(text);
  if (v === undefined || v < 0 || v > 1) {
    report.error(
      el.line,
      `adlcp:completionThreshold is "${text}"; it must be a decimal from 0 to 1.`,
      'Write a decimal such as 0.75.',
    );
    return undefined;
  }
  // 2nd/3rd ed.: the element's value is cmi.completion_threshold, always compared with progress_measure.
  return { completedByMeasure: true, minProgressMeasure: v, progressWeight: 1 };
}

function readSequencing(el: XmlElement, ctx: ManifestContext) {
  const seqEls = childElements(el, IMSSS, 'sequencing');
  const seqEl = seqEls[0];
  if (!seqEl) return undefined;
  if (seqEls.length > 1) {
    ctx.report.error(
      seqEls[1]!.line,
      'An element has more than one imsss:sequencing.',
      'Merge them into one imsss:sequencing element.',
    );
  }
  let parsed: ParsedSequencing = parseSequencing(seqEl, ctx.read, ctx.report);
  const ref = parsed.sequencing.idRef;
  if (ref) {
    const base = ctx.collection.get(ref);
    if (base) parsed = mergeSequencing(base, parsed);
    else {
      ctx.report.error(
        seqEl.line,
        `imsss:sequencing IDRef="${ref}" names no sequencing in the manifest's imsss:sequencingCollection.`,
        `Add <imsss:sequencing ID="${ref}"> to imsss:sequencingCollection, or correct the IDRef.`,
      );
    }
  }
  return finishSequencing(parsed, ctx.report);
}

/** Warns about 1.2 prerequisites that name no item, once every item is known. */
export function checkPrerequisites(organizations: readonly Organization[], ctx: ManifestContext): void {
  const walk = (items: readonly Item[]) => {
    for (const item of items) {
      if (item.prerequisites) {
        for (const id of prerequisiteIdentifiers(item.prerequisites.expression)) {
          if (ctx.ids.get(id)?.what !== 'item') {
            ctx.report.warning(
              ctx.ids.get(item.identifier)?.line,
              `The prerequisites of item "${item.identifier}" name "${id}", which is not an item identifier; the prerequisite can never be met.`,
              'Use the identifier of an item in the same organization (identifiers are case-sensitive).',
            );
          }
        }
      }
      walk(item.children);
    }
  };
  for (const org of organizations) walk(org.items);
}
