import { AppError } from '../../core/errors.ts';

/** An Agent or Group object as it arrives; validated elsewhere. */
export interface AgentLike {
  objectType?: string;
  name?: string;
  mbox?: string;
  mbox_sha1sum?: string;
  openid?: string;
  account?: { homePage?: string; name?: string };
  member?: AgentLike[];
}

/**
 * A stable key for an agent's inverse functional identifier (xAPI 2.0 Part Two §2.4.2.3 "Inverse
 * Functional Identifier"), so queries filter by an indexed column instead of scanning JSON. An agent
 * has exactly one IFI; an anonymous group has none and returns undefined.
 */
export function agentKey(agent: AgentLike): string | undefined {
  if (agent.mbox !== undefined) return `mbox:${agent.mbox}`;
  if (agent.mbox_sha1sum !== undefined) return `sha1:${agent.mbox_sha1sum.toLowerCase()}`;
  if (agent.openid !== undefined) return `openid:${agent.openid}`;
  if (agent.account !== undefined)
    return `account:${agent.account.homePage ?? ''}|${agent.account.name ?? ''}`;
  return undefined;
}

/** Parses the `agent` query parameter (a JSON Agent/Group) into its key, with a 400 naming the parameter. */
export function agentKeyFromParam(raw: string, param = 'agent'): { agent: AgentLike; key: string } {
  let agent: AgentLike;
  try {
    agent = JSON.parse(raw) as AgentLike;
  } catch {
    throw new AppError('BAD_REQUEST', `The ${param} parameter is not valid JSON.`, { param });
  }
  if (typeof agent !== 'object' || agent === null || Array.isArray(agent)) {
    throw new AppError('BAD_REQUEST', `The ${param} parameter must be a JSON Agent object.`, { param });
  }
  const ifis = ['mbox', 'mbox_sha1sum', 'openid', 'account'].filter((k) => k in agent);
  if (ifis.length !== 1) {
    throw new AppError(
      'BAD_REQUEST',
      `The ${param} parameter must have exactly one inverse functional identifier (mbox, mbox_sha1sum, openid or account); it has ${ifis.length}.`,
      { param },
    );
  }
  if (agent.mbox !== undefined && !/^mailto:[^@\s]+@[^@\s]+$/i.test(agent.mbox)) {
    throw new AppError('BAD_REQUEST', `The ${param} parameter's mbox must be a mailto: IRI.`, { param });
  }
  if (
    agent.account !== undefined &&
    (typeof agent.account.homePage !== 'string' || typeof agent.account.name !== 'string')
  ) {
    throw new AppError('BAD_REQUEST', `The ${param} parameter's account needs homePage and name.`, { param });
  }
  return { agent, key: agentKey(agent)! };
}
