/**
 * Activity IRIs by the xAPI SCORM Profile's construction guidelines (§3.2 "Activity IRI"): SCO IRIs extend the
 * course IRI, interactions extend the SCO IRI, and each attempt has an IRI of its own. With CREST_PUBLIC_URL
 * they are URLs under it; without one they are URNs, because an IRI must not change with the Host header a
 * request happened to use (the same course would become two activities).
 */
export function courseIri(base: string | undefined, courseId: string): string {
  return base ? `${base.replace(/\/$/, '')}/courses/${courseId}` : `urn:crest:course:${courseId}`;
}

export function scoIri(course: string, sco: string): string {
  return `${course}/sco/${encodeURIComponent(sco)}`;
}

export function attemptIri(sco: string, attemptId: string): string {
  return `${sco}/attempt/${attemptId}`;
}

export function interactionIri(sco: string, interactionId: string): string {
  return `${sco}/interactions/${encodeURIComponent(interactionId)}`;
}

/**
 * A SCO's local objective (cmi.objectives.n.id). Profile §6 "Objectives": "Local objective (SCO or activity
 * level): `<courseIRI>/<SCOID>/objective/<objectiveID>`"; the SCO IRI here is `<courseIRI>/sco/<SCO id>`, so this is
 * `<scoIRI>/objective/<id>`, as in that section's example (…/lesson01/01/objective/obj-if-else). §3.2 "Activity
 * IRI" writes `<scoIRI>/objectives/…` instead; §6 is the section about objectives and its example agrees with it.
 */
export function objectiveIri(sco: string, objectiveId: string): string {
  return `${sco}/objective/${encodeURIComponent(objectiveId)}`;
}

/** xAPI SCORM Profile §3.2 "Context Activities": every statement carries this category. */
export const PROFILE_CATEGORY = {
  id: 'https://w3id.org/xapi/scorm',
  definition: { type: 'http://adlnet.gov/expapi/activities/profile' },
};

/** xAPI SCORM Profile Appendix "SCORM Activity State": the SCO's list of attempt IRIs. */
export const ACTIVITY_STATE_ID = 'https://w3id.org/xapi/scorm/activity-state';

/**
 * xAPI SCORM Profile Appendix "SCORM Activity Attempt State" (and "Set xAPI SCORM Activity Attempt State": stored
 * under the attempt IRI and the learner's agent, no registration).
 */
export const ATTEMPT_STATE_ID = 'https://w3id.org/xapi/scorm/attempt-state';

/** xAPI SCORM Profile §6 "Suspend Data": the State document's stateId. */
export const SUSPEND_DATA_STATE_ID = 'https://w3id.org/xapi/scorm/types/adl-suspend-data';

export const ACTIVITY_TYPES = {
  course: 'http://adlnet.gov/expapi/activities/course',
  lesson: 'http://adlnet.gov/expapi/activities/lesson',
  attempt: 'http://adlnet.gov/expapi/activities/attempt',
  interaction: 'http://adlnet.gov/expapi/activities/cmi.interaction',
  // Profile §3.2 "Activity Types": objective.
  objective: 'http://adlnet.gov/expapi/activities/objective',
} as const;
