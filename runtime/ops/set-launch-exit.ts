import type { Tx } from '../../db/database.ts';

/**
 * Records the exit URL of a new launch link on its registration (launch tokens stay short enough for a path
 * segment, so they carry no URL). Without one, the registration keeps the last exit URL it was given.
 * Returns false when the registration does not exist in this tenant.
 */
export async function setLaunchExit(
  tx: Tx,
  registrationId: string,
  exitUrl: string | undefined,
): Promise<boolean> {
  const res =
    exitUrl === undefined
      ? await tx.query('SELECT 1 FROM registrations WHERE id = $1', [registrationId])
      : await tx.query(
          'UPDATE registrations SET exit_url = $2, updated_at = now() WHERE id = $1 RETURNING 1',
          [registrationId, exitUrl],
        );
  return res.rows.length > 0;
}
