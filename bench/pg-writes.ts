import type pg from 'pg';

export interface WriteShare {
  /** WAL written by the whole cluster over the run (the scratch database is the only busy one). */
  walBytes: number;
  /** Full-page images in it: a page's first change after a checkpoint logs the whole page. */
  fullPageImages: number;
  checkpoints: number;
  /** Per table of the scratch database's tenant: updates, and how many of them were HOT (no index entries). */
  updates: { table: string; updates: number; hot: number }[];
}

const TABLES = ['sco_states', 'documents', 'attempts'];

async function readWrites(client: pg.Client, schema: string) {
  const wal = await client.query<{ bytes: string; fpi: string; checkpoints: string }>(
    `SELECT w.wal_bytes::text AS bytes, w.wal_fpi::text AS fpi,
            (b.checkpoints_timed + b.checkpoints_req)::text AS checkpoints
       FROM pg_stat_wal w, pg_stat_bgwriter b`,
  );
  const tables = await client.query<{ table: string; upd: string; hot: string }>(
    `SELECT relname AS table, n_tup_upd::text AS upd, n_tup_hot_upd::text AS hot
       FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = ANY($2)`,
    [schema, TABLES],
  );
  const row = wal.rows[0]!;
  return {
    bytes: Number(row.bytes),
    fpi: Number(row.fpi),
    checkpoints: Number(row.checkpoints),
    tables: new Map(tables.rows.map((t) => [t.table, { upd: Number(t.upd), hot: Number(t.hot) }])),
  };
}

/**
 * What a run wrote, read from PostgreSQL's cumulative statistics before and after (PostgreSQL 14+): WAL volume
 * drives fsync time, checkpoint frequency and, through full-page images, more WAL again; a non-HOT update
 * also writes an entry into every index of its table. Table statistics reach the shared counters up to a
 * second late, so the reading waits that long.
 */
export async function writeAccount(client: pg.Client, schema: string): Promise<() => Promise<WriteShare>> {
  const before = await readWrites(client, schema);
  return async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const after = await readWrites(client, schema);
    return {
      walBytes: after.bytes - before.bytes,
      fullPageImages: after.fpi - before.fpi,
      checkpoints: after.checkpoints - before.checkpoints,
      updates: TABLES.map((table) => {
        const a = after.tables.get(table) ?? { upd: 0, hot: 0 };
        const b = before.tables.get(table) ?? { upd: 0, hot: 0 };
        return { table, updates: a.upd - b.upd, hot: a.hot - b.hot };
      }),
    };
  };
}

/** One line: WAL per commit, full-page images, checkpoints, and the HOT share of each table's updates. */
export function formatWrites(w: WriteShare, commits: number): string {
  const per = Math.max(1, commits);
  const hot = w.updates
    .filter((u) => u.updates > 0)
    .map((u) => `${u.table} ${((u.hot / u.updates) * 100).toFixed(0)}%`)
    .join(', ');
  return (
    `WAL ${(w.walBytes / per / 1024).toFixed(1)} KB per commit (${(w.fullPageImages / per).toFixed(2)} full-page images per commit), ` +
    `${w.checkpoints} checkpoint${w.checkpoints === 1 ? '' : 's'}; HOT updates: ${hot || 'none'}`
  );
}
