import type { Tx } from '../../db/database.ts';
import type { Json } from '../model/statement-index.ts';

/**
 * One statement by id (xAPI 2.0 Part Three §2.1.3): `statementId` never returns a voided statement,
 * `voidedStatementId` returns only a voided one. Either way a miss is undefined (404).
 */
export async function getStatement(
  tx: Tx,
  input: { id: string; voided: boolean; credential?: string },
): Promise<Json | undefined> {
  const res = await tx.query<{ statement: Json }>(
    `SELECT statement FROM statements WHERE id = $1::uuid AND voided = $2${input.credential ? ' AND credential = $3' : ''}`,
    input.credential ? [input.id, input.voided, input.credential] : [input.id, input.voided],
  );
  return res.rows[0]?.statement;
}
