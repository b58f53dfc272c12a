import type { Tx } from '../../db/database.ts';
import {
  ATTEMPT_COLUMNS,
  type Attempt,
  REGISTRATION_COLUMNS,
  type Registration,
  toAttempt,
  toRegistration,
} from '../model.ts';

export interface RegistrationWithAttempts {
  registration: Registration;
  /** Oldest first; the last one is the current attempt. */
  attempts: Attempt[];
}

/** A registration and its attempts, for the tenant in scope; `lock` serialises launches and attempt changes. */
export async function getRegistration(
  tx: Tx,
  id: string,
  options: { lock?: boolean } = {},
): Promise<RegistrationWithAttempts | undefined> {
  const r = await tx.query(
    `SELECT ${REGISTRATION_COLUMNS} FROM registrations WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  if (!r.rows[0]) return undefined;
  const a = await tx.query(
    `SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE registration_id = $1 ORDER BY number`,
    [id],
  );
  return { registration: toRegistration(r.rows[0]), attempts: a.rows.map(toAttempt) };
}
