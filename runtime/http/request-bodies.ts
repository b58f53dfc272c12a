import { createHash } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import type { Json } from '../../lrs/model/statement-index.ts';
import type { Learner } from '../model.ts';
import type { CommitInput } from '../ops/judge-commit.ts';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function bad(message: string, field: string): AppError {
  return new AppError('VALIDATION_FAILED', message, { field });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function rejectUnknown(body: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(body))
    if (!allowed.includes(k))
      throw bad(`Unknown field "${k}" in ${where}; allowed: ${allowed.join(', ')}.`, k);
}

const HTTP_URL = /^https?:\/\/[^\s/$.?#][^\s]*$/i;

/**
 * The learner: an xAPI Agent with a name and exactly one of account {homePage, name} or mbox (xAPI 2.0 Part
 * Two §2.4.2.1; the runtime takes only these two IFIs, the ones the SCORM Profile recommends, §3.2 "Actor").
 */
export function parseLearner(raw: unknown): Learner {
  if (!isObject(raw)) throw bad('learner must be an object with name and account or mbox.', 'learner');
  rejectUnknown(raw, ['objectType', 'name', 'account', 'mbox'], 'learner');
  if (raw.objectType !== undefined && raw.objectType !== 'Agent')
    throw bad('learner.objectType must be "Agent".', 'learner.objectType');
  if (typeof raw.name !== 'string' || raw.name.trim() === '' || raw.name.length > 255)
    throw bad('learner.name must be a non-empty string of at most 255 characters.', 'learner.name');
  const hasAccount = raw.account !== undefined;
  const hasMbox = raw.mbox !== undefined;
  if (hasAccount === hasMbox) throw bad('learner needs exactly one of account or mbox.', 'learner');
  if (hasAccount) {
    const a = raw.account;
    if (!isObject(a) || typeof a.homePage !== 'string' || typeof a.name !== 'string' || a.name === '')
      throw bad('learner.account needs homePage (a URL) and name.', 'learner.account');
    rejectUnknown(a, ['homePage', 'name'], 'learner.account');
    if (!HTTP_URL.test(a.homePage))
      throw bad('learner.account.homePage must be an http(s) URL.', 'learner.account');
    return { objectType: 'Agent', name: raw.name, account: { homePage: a.homePage, name: a.name } };
  }
  if (typeof raw.mbox !== 'string' || !/^mailto:[^@\s]+@[^@\s]+$/.test(raw.mbox))
    throw bad('learner.mbox must be a mailto: IRI with one address.', 'learner.mbox');
  return { objectType: 'Agent', name: raw.name, mbox: raw.mbox };
}

export interface RegistrationBody {
  courseId: string;
  learner: Learner;
  version?: number;
  forceNew?: boolean;
  maxAttempts?: number;
}

export function parseRegistrationBody(raw: unknown): RegistrationBody {
  if (!isObject(raw)) throw bad('The body must be a JSON object.', 'body');
  rejectUnknown(raw, ['courseId', 'learner', 'version', 'forceNew', 'maxAttempts'], 'the registration');
  if (typeof raw.courseId !== 'string' || !UUID.test(raw.courseId))
    throw bad('courseId must be the UUID of a course.', 'courseId');
  const body: RegistrationBody = { courseId: raw.courseId, learner: parseLearner(raw.learner) };
  if (raw.version !== undefined) {
    if (!Number.isInteger(raw.version) || (raw.version as number) < 1)
      throw bad('version must be a positive integer.', 'version');
    body.version = raw.version as number;
  }
  if (raw.forceNew !== undefined) {
    if (typeof raw.forceNew !== 'boolean') throw bad('forceNew must be true or false.', 'forceNew');
    body.forceNew = raw.forceNew;
  }
  if (raw.maxAttempts !== undefined) {
    if (
      !Number.isInteger(raw.maxAttempts) ||
      (raw.maxAttempts as number) < 1 ||
      (raw.maxAttempts as number) > 1000
    )
      throw bad('maxAttempts must be an integer from 1 to 1000.', 'maxAttempts');
    body.maxAttempts = raw.maxAttempts as number;
  }
  return body;
}

export interface LaunchLinkBody {
  ttlSeconds: number;
  exitUrl?: string;
}

/** Launch links live 8 hours unless asked otherwise (a working day); at most 30 days. */
export const DEFAULT_LAUNCH_TTL_SECONDS = 8 * 3600;

export function parseLaunchLinkBody(raw: unknown): LaunchLinkBody {
  const body = raw === undefined || raw === null || raw === '' ? {} : raw;
  if (!isObject(body)) throw bad('The body must be a JSON object.', 'body');
  rejectUnknown(body, ['ttlSeconds', 'exitUrl'], 'the launch link request');
  const out: LaunchLinkBody = { ttlSeconds: DEFAULT_LAUNCH_TTL_SECONDS };
  if (body.ttlSeconds !== undefined) {
    const t = body.ttlSeconds;
    if (!Number.isInteger(t) || (t as number) < 1 || (t as number) > 30 * 86400)
      throw bad('ttlSeconds must be an integer from 1 to 2592000 (30 days).', 'ttlSeconds');
    out.ttlSeconds = t as number;
  }
  if (body.exitUrl !== undefined) {
    if (typeof body.exitUrl !== 'string' || !HTTP_URL.test(body.exitUrl) || body.exitUrl.length > 2000)
      throw bad('exitUrl must be an http(s) URL of at most 2000 characters.', 'exitUrl');
    out.exitUrl = body.exitUrl;
  }
  return out;
}

/** A commit as the player sends it: the runtime's CommitInput without what the launch token supplies. */
export type CommitBody = Omit<CommitInput, 'tenant' | 'registrationId'>;

/**
 * A commit body: JSON, or the same JSON as text/plain (navigator.sendBeacon on Terminate/LMSFinish/unload
 * cannot send application/json without a CORS preflight, so scorm-again sends text/plain).
 */
export function parseCommitBody(raw: unknown): CommitBody {
  let body = raw;
  const text = typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString() : undefined;
  if (text !== undefined) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new AppError('BAD_REQUEST', 'The commit body is not valid JSON.');
    }
  }
  if (!isObject(body)) throw bad('The commit must be a JSON object.', 'body');
  if (typeof body.attemptId !== 'string' || !UUID.test(body.attemptId))
    throw bad('attemptId must be the attempt UUID from the launch.', 'attemptId');
  if (typeof body.sco !== 'string' || body.sco === '' || body.sco.length > 4000)
    throw bad('sco must be the item identifier of a SCO.', 'sco');
  if (!Number.isSafeInteger(body.seq) || (body.seq as number) < 1)
    throw bad('seq must be a positive integer, increasing with every commit of the SCO.', 'seq');
  if (!isObject(body.cmi)) throw bad('cmi must be the CMI tree as a JSON object.', 'cmi');
  if (body.terminated !== undefined && typeof body.terminated !== 'boolean')
    throw bad('terminated must be true or false.', 'terminated');
  const nav = body.navRequest ?? null;
  if (nav !== null && (typeof nav !== 'string' || nav.length > 4100))
    throw bad('navRequest must be a string or null.', 'navRequest');
  if (body.sequencingState !== undefined && body.sequencingState !== null && !isObject(body.sequencingState))
    throw bad('sequencingState must be an object.', 'sequencingState');
  const parsed = {
    sco: body.sco,
    seq: body.seq as number,
    cmi: body.cmi,
    terminated: body.terminated === true,
    navRequest: nav as string | null,
    sequencingState: (body.sequencingState ?? undefined) as Json | undefined,
  };
  // The text as sent: a retry (fetch with backoff, or the same commit again by sendBeacon) sends the same
  // bytes, and hashing them costs a fraction of re-serialising a 64 KB tree with sorted keys.
  const hash = createHash('sha256')
    .update(text ?? JSON.stringify(body))
    .digest('hex');
  return { attemptId: body.attemptId, ...parsed, hash };
}

/** PUT /api/v1/courses/:id/runtime-settings: `{maxAttempts: 1–1000 | null}`. */
export function parseCourseSettingsBody(raw: unknown): { maxAttempts: number | null } {
  if (!isObject(raw)) throw bad('The body must be a JSON object.', 'body');
  rejectUnknown(raw, ['maxAttempts'], 'the course runtime settings');
  const m = raw.maxAttempts;
  if (m === null) return { maxAttempts: null };
  if (!Number.isInteger(m) || (m as number) < 1 || (m as number) > 1000)
    throw bad('maxAttempts must be an integer from 1 to 1000, or null for the default.', 'maxAttempts');
  return { maxAttempts: m as number };
}
