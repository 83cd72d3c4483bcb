// The internal pull route a joining server uses to fetch its keys from the
// members that hold them. The answer is NDJSON: one entry per line, streamed.
import { toMember, type Member } from '../ring/member.js';
import { isVersion, type Version } from '../version/hlc.js';
import { BadRequestError } from './errors.js';

export const HANDOFF_PULL_PATH = '/internal/v1/handoff/pull';

/**
 * Time for a state change in ZooKeeper to reach every writer before data
 * moves: a joiner waits this long before it pulls, so that every router and
 * smart client writes to it by then (docs/consistency.md).
 */
export const HANDOFF_SETTLE_MS = 500;

export interface PullRequest {
  /** The joining member asking. */
  requester: string;
  /** The placement ring's members as the requester sees them (it is among them). */
  members: Member[];
  /** The members holding keys now (the holding ring), as the requester sees them. */
  holders: Member[];
  /** Holders the requester could not pull from: the next holder of their keys sends them instead. */
  skip: string[];
  replicationFactor: number;
}

export interface HandoffEntry {
  key: string;
  value: string | null;
  version: Version;
  expiresAt: number;
}

export function parsePullRequest(body: unknown): PullRequest {
  const raw = body as Partial<Record<keyof PullRequest, unknown>> | null;
  if (typeof raw?.requester !== 'string' || !Array.isArray(raw.members) || !Array.isArray(raw.holders) ||
      !Array.isArray(raw.skip) || typeof raw.replicationFactor !== 'number') {
    throw new BadRequestError('pull body must be {"requester", "members", "holders", "skip", "replicationFactor"}');
  }
  return {
    requester: raw.requester,
    members: parseMembers(raw.members, 'members'),
    holders: parseMembers(raw.holders, 'holders'),
    skip: raw.skip.filter((id): id is string => typeof id === 'string'),
    replicationFactor: raw.replicationFactor,
  };
}

function parseMembers(list: unknown[], field: string): Member[] {
  return list.map((raw: unknown, i): Member => {
    const member = toMember(raw);
    if (!member) throw new BadRequestError(`${field}[${i}] must be {"id", "address", "state"}`);
    return member;
  });
}

export function isHandoffEntry(raw: unknown): raw is HandoffEntry {
  const entry = raw as Partial<HandoffEntry> | null;
  return typeof entry?.key === 'string' && (entry.value === null || typeof entry.value === 'string') &&
    isVersion(entry.version) && typeof entry.expiresAt === 'number';
}
