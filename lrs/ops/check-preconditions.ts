import { AppError } from '../../core/errors.ts';
import type { ConcurrencyRule, EntityTags, Preconditions } from '../input/document-params.ts';

export interface CheckPreconditionsInput {
  preconditions: Preconditions;
  /** The stored document's ETag (bare lower-case hex), or undefined when there is no document. */
  currentEtag: string | undefined;
  rule: ConcurrencyRule;
}

function matches(tags: EntityTags, current: string, strong: boolean): boolean {
  if (tags === '*') return true;
  return tags.some((t) => t.tag === current && !(strong && t.weak));
}

/**
 * Evaluates If-Match / If-None-Match against the document as it is inside the writing transaction
 * (the caller holds its row lock), so check and write are one atomic step.
 *
 * - RFC 7232 §3.1: If-Match is false when no document exists, and compares strongly (a weak tag
 *   never matches); §3.2: If-None-Match compares weakly, and `*` is false when a document exists.
 * - xAPI 1.0.3 Communication §3.1 / xAPI 2.0 LRS §4.1.4: a failed precondition is 412 and the document
 *   is left untouched; a PUT without either header on an existing document is 409 with an explanation.
 */
export function checkPreconditions(input: CheckPreconditionsInput): void {
  const { preconditions: p, currentEtag, rule } = input;
  if (p.ifMatch === undefined && p.ifNoneMatch === undefined) {
    if (rule === 'none') return;
    if (currentEtag !== undefined) {
      throw new AppError(
        'CONFLICT',
        'The document already exists. Fetch it (GET) to check its current state, then send If-Match with its ETag to replace it (or If-None-Match: * to write only when no document exists).',
      );
    }
    if (rule === 'always') {
      throw new AppError(
        'BAD_REQUEST',
        'A PUT to a profile document must carry If-Match (with the ETag of the document it replaces) or If-None-Match: * (to create it).',
      );
    }
    return;
  }
  if (p.ifMatch !== undefined && (currentEtag === undefined || !matches(p.ifMatch, currentEtag, true))) {
    throw new AppError(
      'PRECONDITION_FAILED',
      currentEtag === undefined
        ? 'If-Match failed: the document does not exist.'
        : 'If-Match failed: the document has changed since that ETag; GET it again and retry with the current ETag.',
      { header: 'If-Match' },
    );
  }
  if (
    p.ifNoneMatch !== undefined &&
    currentEtag !== undefined &&
    matches(p.ifNoneMatch, currentEtag, false)
  ) {
    throw new AppError(
      'PRECONDITION_FAILED',
      p.ifNoneMatch === '*'
        ? 'If-None-Match: * failed: the document already exists.'
        : 'If-None-Match failed: the document still has that ETag.',
      { header: 'If-None-Match' },
    );
  }
}
