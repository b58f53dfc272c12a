import test from 'ava';
import pg from 'pg';
import { createScratchPostgres, databaseTargets } from '../test/databases.ts';

// databaseTargets() fails in CI without TEST_DATABASE_URL and warns loudly elsewhere.
const base = databaseTargets().some((d) => d.name === 'postgres') ? process.env.TEST_DATABASE_URL : undefined;
const onPostgres = base ? test : test.skip;

async function shown(backendFlushAfter: string | undefined): Promise<string> {
  const { db, dispose } = await createScratchPostgres(base!, { backendFlushAfter });
  try {
    // Several sessions at once, so more than the pool's first connection is looked at.
    const rows = await Promise.all(
      Array.from({ length: 4 }, () =>
        db.ownerTransaction((tx) => tx.query<{ backend_flush_after: string }>('SHOW backend_flush_after')),
      ),
    );
    const values = new Set(rows.map((r) => r.rows[0]!.backend_flush_after));
    if (values.size !== 1) throw new Error(`sessions disagree: ${[...values].join(', ')}`);
    return [...values][0]!;
  } finally {
    await dispose();
  }
}

onPostgres("every session of Crest's pools runs with the backend_flush_after it was given", async (t) => {
  t.is(await shown('256kB'), '256kB');
  t.is(await shown('1MB'), '1MB');
});

onPostgres("without one, the sessions keep the server's own setting", async (t) => {
  const plain = new pg.Client({ connectionString: base });
  await plain.connect();
  const server = (await plain.query('SHOW backend_flush_after')).rows[0].backend_flush_after as string;
  await plain.end();
  t.is(await shown(undefined), server);
});
