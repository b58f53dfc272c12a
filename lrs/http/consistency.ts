/**
 * X-Experience-API-Consistent-Through (xAPI 2.0 Part Three §2.1.3): every statement stored before this
 * instant is visible to queries. Writes are acknowledged only after commit, so the only statements
 * not yet visible are those in transactions still open; their `stored` times are tracked here and the
 * header reports just before the oldest. This is exact for one process; with several processes behind
 * a load balancer the others' open transactions are not seen (they last milliseconds).
 */
const open = new Map<number, number>();
let nextToken = 0;

export function beginWrite(storedMs: number): () => void {
  const token = nextToken++;
  open.set(token, storedMs);
  return () => open.delete(token);
}

export function consistentThrough(now = Date.now()): string {
  let oldest = now;
  for (const t of open.values()) if (t - 1 < oldest) oldest = t - 1;
  return new Date(oldest).toISOString();
}
