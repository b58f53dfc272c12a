import type { Tx } from '../../db/database.ts';

/**
 * Drops every attempt of a registration and, through ON DELETE CASCADE, their CMI state; the registration
 * itself stays, so its launch links keep working and the next launch starts attempt 1. Statements already in
 * the LRS stay: an LRS is a record of what happened (xAPI statements are immutable).
 */
export async function resetRegistration(tx: Tx, id: string): Promise<boolean> {
  const r = await tx.query('SELECT 1 FROM registrations WHERE id = $1 FOR UPDATE', [id]);
  if (r.rows.length === 0) return false;
  await tx.query('DELETE FROM attempts WHERE registration_id = $1', [id]);
  await tx.query('UPDATE registrations SET updated_at = now() WHERE id = $1', [id]);
  return true;
}
