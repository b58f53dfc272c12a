/**
 * The namespaces the specs write. Elements are matched by namespace URI and local name, never by prefix: a
 * manifest may bind `imsss` to any prefix (or make it the default namespace) and still be valid.
 */

/** IMS Content Packaging 1.1.2, as SCORM 1.2 ships it (the `imsproject.org` spelling is the official one). */
export const IMSCP_1_1_2 = 'http://www.imsproject.org/xsd/imscp_rootv1p1p2';
/** The same schema under the `imsglobal.org` host; several authoring tools write this spelling. */
export const IMSCP_1_1_2_ALT = 'http://www.imsglobal.org/xsd/imscp_rootv1p1p2';
/** IMS Content Packaging 1.1.4, as SCORM 2004 (all editions) ships it. */
export const IMSCP_1_1_4 = 'http://www.imsglobal.org/xsd/imscp_v1p1';

export const ADLCP_1_2 = 'http://www.adlnet.org/xsd/adlcp_rootv1p2';
export const ADLCP_2004 = 'http://www.adlnet.org/xsd/adlcp_v1p3';
export const ADLSEQ_2004 = 'http://www.adlnet.org/xsd/adlseq_v1p3';
export const ADLNAV_2004 = 'http://www.adlnet.org/xsd/adlnav_v1p3';
export const IMSSS = 'http://www.imsglobal.org/xsd/imsss';

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/** cmi5 §14.0: "The course package MUST conform to https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd". */
export const CMI5_COURSE_STRUCTURE = 'https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd';

/** Every IMS CP namespace a SCORM manifest may use; the empty string covers manifests that declare none. */
export const CONTENT_PACKAGING_NAMESPACES: ReadonlySet<string> = new Set([
  IMSCP_1_1_2,
  IMSCP_1_1_2_ALT,
  IMSCP_1_1_4,
  '',
]);

export const ADLCP_NAMESPACES: ReadonlySet<string> = new Set([ADLCP_1_2, ADLCP_2004]);

/**
 * Prefixes that hand-edited manifests sometimes use without declaring them. Binding them to the namespace the
 * prefix conventionally means lets such a manifest import with a warning instead of failing on an unbound prefix.
 */
export const CONVENTIONAL_PREFIXES: Readonly<Record<string, string>> = {
  adlcp: ADLCP_1_2,
  adlseq: ADLSEQ_2004,
  adlnav: ADLNAV_2004,
  imsss: IMSSS,
  imscp: IMSCP_1_1_4,
  imsmd: 'http://www.imsglobal.org/xsd/imsmd_rootv1p2p1',
  lom: 'http://ltsc.ieee.org/xsd/LOM',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
};
