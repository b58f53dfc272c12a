import type { Tx } from '../../db/database.ts';
import { SCO_STATE_COLUMNS, type ScoState, toScoState } from '../model.ts';

/** The CMI state of every SCO of one attempt, by SCO id. */
export async function listScoStates(tx: Tx, attemptId: string): Promise<ScoState[]> {
  const res = await tx.query(
    `SELECT ${SCO_STATE_COLUMNS} FROM sco_states WHERE attempt_id = $1 ORDER BY sco`,
    [attemptId],
  );
  return res.rows.map(toScoState);
}
