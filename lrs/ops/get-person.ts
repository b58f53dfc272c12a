import type { Tx } from '../../db/database.ts';
import type { AgentLike } from '../input/agent-key.ts';

export interface GetPersonInput {
  /** The queried Agent, already validated (one IFI). */
  agent: AgentLike;
  /** Its IFI key, as stored in agents.agent_key. */
  key: string;
}

export interface PersonObject {
  objectType: 'Person';
  name?: string[];
  mbox?: string[];
  mbox_sha1sum?: string[];
  openid?: string[];
  account?: { homePage: string; name: string }[];
}

type Ifi = Pick<AgentLike, 'mbox' | 'mbox_sha1sum' | 'openid' | 'account'>;

/**
 * The Person object for GET /agents (xAPI 1.0.3 Communication §2.4; xAPI 2.0 LRS §4.1.6.3): every
 * name recorded for this IFI by the statements stored so far, plus the queried Agent's own name and
 * IFI, so an Agent the LRS has never seen still gets a Person with "only the information associated
 * with the requested Agent". Crest keeps no cross-IFI identity links, so each array holds the one
 * identifier that was asked about; each property appears at most once, and empty ones are left out.
 */
export async function getPerson(tx: Tx, input: GetPersonInput): Promise<PersonObject> {
  const res = await tx.query<{ names: string[]; ifi: Ifi }>(
    'SELECT names, ifi FROM agents WHERE agent_key = $1',
    [input.key],
  );
  const row = res.rows[0];
  const names = [
    ...new Set([...(input.agent.name !== undefined ? [input.agent.name] : []), ...(row?.names ?? [])]),
  ];
  const ifi: Ifi = row?.ifi ?? input.agent;
  const person: PersonObject = { objectType: 'Person' };
  if (names.length > 0) person.name = names;
  if (ifi.mbox !== undefined) person.mbox = [ifi.mbox];
  else if (ifi.mbox_sha1sum !== undefined) person.mbox_sha1sum = [ifi.mbox_sha1sum];
  else if (ifi.openid !== undefined) person.openid = [ifi.openid];
  else if (ifi.account !== undefined) {
    person.account = [{ homePage: String(ifi.account.homePage), name: String(ifi.account.name) }];
  }
  return person;
}
