import { randomUUID } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import type { Tx } from '../../db/database.ts';
import { ATTEMPT_COLUMNS, type Attempt, toAttempt } from '../model.ts';
import type { RegistrationWithAttempts } from './get-registration.ts';

/**
 * Opens attempt n+1 of a registration (read with getRegistration(…, {lock: true}) in the same transaction).
 * Refused with MAX_ATTEMPTS_REACHED once the registration has used its limit. The previous attempt keeps its
 * data for the reports, but no longer takes commits (ATTEMPT_CLOSED).
 */
export async function startAttempt(tx: Tx, current: RegistrationWithAttempts): Promise<Attempt> {
  const { registration, attempts } = current;
  const last = attempts.at(-1)?.number ?? 0;
  if (last >= registration.maxAttempts) {
    throw new AppError(
      'MAX_ATTEMPTS_REACHED',
      `Registration ${registration.id} has used all ${registration.maxAttempts} attempts; reset it to start over.`,
      { maxAttempts: registration.maxAttempts },
    );
  }
  const res = await tx.query(
    `INSERT INTO attempts (id, registration_id, number) VALUES ($1, $2, $3) RETURNING ${ATTEMPT_COLUMNS}`,
    [randomUUID(), registration.id, last + 1],
  );
  await tx.query('UPDATE registrations SET updated_at = now() WHERE id = $1', [registration.id]);
  return toAttempt(res.rows[0]!);
}
