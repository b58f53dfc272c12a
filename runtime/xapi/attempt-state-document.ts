import type { CmiTree } from '../cmi/data-model.ts';
import { isoDuration } from '../cmi/sco-status.ts';
import { valueAt } from '../cmi/tree.ts';
import { scormTimeToIso } from './scorm-time.ts';

/**
 * What the attempt state needs beyond the stored CMI tree: the read-only elements the LMS sets at launch, which the
 * runtime never takes back from the browser and so are not in the stored tree.
 */
export interface AttemptStateInput {
  /** cmi.credit / cmi.core.credit as launched. */
  credit: 'credit' | 'no-credit';
  /** cmi.mode / cmi.core.lesson_mode as launched. */
  mode: 'browse' | 'normal' | 'review';
  /** cmi.total_time / cmi.core.total_time: the attempt's time on the SCO, this commit's session included. */
  totalSeconds: number;
  /** cmi.comments_from_lms (a collection in 2004, one string in 1.2), when the LMS gives any. */
  commentsFromLms?: readonly { comment: string; location?: string; timestamp?: string }[];
}

/** Profile Appendix "SCORM Activity Comment Object". */
export interface AttemptStateComment {
  comment: string;
  location?: string;
  timestamp?: string;
}

/** Profile Appendix "Preferences Object". */
export interface AttemptStatePreferences {
  audio_level?: number;
  language?: string;
  delivery_speed?: number;
  audio_captioning?: -1 | 0 | 1;
}

/** Profile Appendix "SCORM Activity Attempt State" (document-schemas/scorm.profile.attempt.state.schema.json). */
export interface AttemptStateDocument {
  comments_from_lms?: AttemptStateComment[];
  credit: 'credit' | 'no-credit';
  mode: 'browse' | 'normal' | 'review';
  location?: string;
  preferences?: AttemptStatePreferences;
  total_time: string;
}

/** The profile schema's `language` pattern (document-schemas/scorm.profile.attempt.state.schema.json). */
const LANGUAGE = /^[a-z]{2,3}(?:-[A-Z]{2,3}(?:-[a-zA-Z]{4})?)?$/;

function number(v: string, ok: (n: number) => boolean): number | undefined {
  if (v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && ok(n) ? n : undefined;
}

/**
 * Profile §6 "Learner Preferences", "Content Specific Values": SCORM 2004 cmi.learner_preference.audio_level,
 * language, delivery_speed, audio_captioning; SCORM 1.2 cmi.student_preference.audio, language, speed, text, each
 * mapped to the property of the same meaning with no conversion (the profile names none). A value outside the
 * profile's range (audio_level and delivery_speed "0 to *", a 1.2 audio of -1 or a negative 1.2 speed, a language
 * that is not a language code) is left out rather than stored against the profile's schema.
 */
function preferencesOf(standard: 'scorm12' | 'scorm2004', cmi: CmiTree): AttemptStatePreferences | undefined {
  const at = (p12: string, p2004: string) =>
    valueAt(cmi, standard === 'scorm12' ? `student_preference.${p12}` : `learner_preference.${p2004}`);
  const prefs: AttemptStatePreferences = {};
  const audio = number(at('audio', 'audio_level'), (n) => n >= 0);
  if (audio !== undefined) prefs.audio_level = audio;
  const language = at('language', 'language');
  if (LANGUAGE.test(language)) prefs.language = language;
  const speed = number(at('speed', 'delivery_speed'), (n) => n >= 0);
  if (speed !== undefined) prefs.delivery_speed = speed;
  const captioning = number(at('text', 'audio_captioning'), (n) => n === -1 || n === 0 || n === 1);
  if (captioning !== undefined) prefs.audio_captioning = captioning as -1 | 0 | 1;
  return Object.keys(prefs).length > 0 ? prefs : undefined;
}

/**
 * The body of the xAPI SCORM Profile's Activity Attempt State document (stateId ATTEMPT_STATE_ID), built from a
 * SCO's CMI tree and what the LMS set at launch. Profile Appendix "SCORM Activity Attempt State", with §6 naming the
 * SCORM element behind each property: "Comments From LMS" (comments_from_lms), "Credit" (credit), "Mode" (mode),
 * "Location" (location: cmi.location / cmi.core.lesson_location), "Learner Preferences" (preferences), "Total Time"
 * (total_time, an ISO 8601 duration with 0.01 s precision). adl_data ("ADL Data", SCORM 2004 adl.data) is left out:
 * the runtime keeps no ADL data stores to point at. Properties with no value are absent (the schema requires none).
 * Pure and with a fixed key order, so the same inputs always give the same JSON text (and ETag).
 */
export function attemptStateDocument(
  standard: 'scorm12' | 'scorm2004',
  cmi: CmiTree,
  input: AttemptStateInput,
): AttemptStateDocument {
  const doc: Partial<AttemptStateDocument> = {};
  const comments = (input.commentsFromLms ?? [])
    .filter((c) => c.comment !== '')
    .map((c) => {
      const out: AttemptStateComment = { comment: c.comment };
      if (c.location) out.location = c.location;
      const when = c.timestamp ? scormTimeToIso(c.timestamp) : undefined;
      if (when) out.timestamp = when;
      return out;
    });
  if (comments.length > 0) doc.comments_from_lms = comments;
  doc.credit = input.credit;
  doc.mode = input.mode;
  const location = valueAt(cmi, standard === 'scorm12' ? 'core.lesson_location' : 'location');
  if (location !== '') doc.location = location;
  const preferences = preferencesOf(standard, cmi);
  if (preferences) doc.preferences = preferences;
  doc.total_time = isoDuration(input.totalSeconds);
  return doc as AttemptStateDocument;
}
