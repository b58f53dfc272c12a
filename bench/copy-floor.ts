import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { indexStatement } from '../lrs/model/statement-index.ts';
import type { Statement } from './statements.ts';

/** COPY text format: backslash, newline, CR and tab are escaped; `\N` is NULL. */
function esc(v: string | null): string {
  if (v === null) return '\\N';
  return v.replace(/[\\\n\r\t]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t',
  );
}

async function copy(client: pg.Client, sql: string, rows: Iterable<string>): Promise<void> {
  function* chunks() {
    let buf: string[] = [];
    for (const r of rows) {
      buf.push(r);
      if (buf.length === 500) {
        yield buf.join('');
        buf = [];
      }
    }
    if (buf.length > 0) yield buf.join('');
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(sql)));
}

/**
 * Creates `<schema>` with tables built `LIKE` the tenant's, INCLUDING ALL (same columns, defaults,
 * CHECK constraints, primary keys and indexes), so COPY pays the same index and constraint maintenance
 * Crest's INSERTs do. (The index tables have no foreign keys since tenant migration 004.) RLS is not copied: the admin login bypasses it anyway.
 */
export async function createFloorSchema(
  client: pg.Client,
  schema: string,
  tenantSchema: string,
  withIndexTables: boolean,
) {
  const sql = [
    `CREATE SCHEMA ${schema}`,
    `CREATE TABLE ${schema}.statements (LIKE ${tenantSchema}.statements INCLUDING ALL)`,
  ];
  if (withIndexTables) {
    for (const t of ['statement_agents', 'statement_activities']) {
      sql.push(`CREATE TABLE ${schema}.${t} (LIKE ${tenantSchema}.${t} INCLUDING ALL)`);
    }
  }
  for (const s of sql) await client.query(s);
}

/**
 * The floor: the rows Crest would store for these (already prepared) statements, COPYed in one
 * transaction. Timed from statement objects in memory to COMMIT, so it includes serialising the JSON
 * and deriving the agent/activity index rows with Crest's own `indexStatement`.
 */
export async function copyStatements(
  client: pg.Client,
  schema: string,
  statements: Statement[],
  credential: string,
  withIndexTables: boolean,
): Promise<number> {
  const t0 = performance.now();
  await client.query('BEGIN');
  await copy(
    client,
    `COPY ${schema}.statements (seq, tenant_id, id, stored, verb_iri, registration, voided, ref_id, is_voiding, credential, statement, attachment_hashes) FROM STDIN`,
    (function* () {
      for (const [i, s] of statements.entries()) {
        yield `${i + 1}\tdemo\t${s.id}\t${s.stored}\t${esc(s.verb.id)}\t${s.context?.registration ?? '\\N'}\tf\t\\N\tf\t${esc(credential)}\t${esc(JSON.stringify(s))}\t\\N\n`;
      }
    })(),
  );
  if (withIndexTables) {
    const agents: string[] = [];
    const activities: string[] = [];
    for (const [i, s] of statements.entries()) {
      const idx = indexStatement(s);
      const copied = `${esc(s.verb.id)}\t${s.stored}`;
      for (const a of idx.agents)
        agents.push(`${i + 1}\tdemo\t${esc(a.key)}\t${a.related ? 't' : 'f'}\t${copied}\n`);
      for (const a of idx.activities)
        activities.push(`${i + 1}\tdemo\t${esc(a.iri)}\t${a.related ? 't' : 'f'}\t${copied}\n`);
    }
    await copy(
      client,
      `COPY ${schema}.statement_agents (seq, tenant_id, agent_key, related, verb_iri, stored) FROM STDIN`,
      agents,
    );
    await copy(
      client,
      `COPY ${schema}.statement_activities (seq, tenant_id, activity_iri, related, verb_iri, stored) FROM STDIN`,
      activities,
    );
  }
  await client.query('COMMIT');
  return (performance.now() - t0) / 1000;
}
