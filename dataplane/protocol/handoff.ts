// The internal pull route a joining server uses to fetch its keys from the
// members that hold them. The answer is NDJSON: one entry per line, streamed.
import type { Member } from '../membership/member.js';
import { isVersion, type Version } from '../version/hlc.js';
import { BadRequestError } from './errors.js';
import { MEMBER_STATES } from '../membership/member.js';

export const HANDOFF_PULL_PATH = '/internal/v1/handoff/pull';

export interface PullRequest {
  /** The joining member asking. */
  requester: string;
  /** The placement ring's members as the requester sees them (it is among them). */
  members: Member[];
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
  if (typeof raw?.requester !== 'string' || !Array.isArray(raw.members) || typeof raw.replicationFactor !== 'number') {
    throw new BadRequestError('pull body must be {"requester", "members", "replicationFactor"}');
  }
  const members = raw.members.map((m: unknown, i): Member => {
    const member = m as Partial<Member> | null;
    if (typeof member?.id !== 'string' || typeof member.address !== 'string' || !MEMBER_STATES.includes(member.state as Member['state'])) {
      throw new BadRequestError(`members[${i}] must be {"id", "address", "state"}`);
    }
    return { id: member.id, address: member.address, state: member.state as Member['state'] };
  });
  return { requester: raw.requester, members, replicationFactor: raw.replicationFactor };
}

export function isHandoffEntry(raw: unknown): raw is HandoffEntry {
  const entry = raw as Partial<HandoffEntry> | null;
  return typeof entry?.key === 'string' && (entry.value === null || typeof entry.value === 'string') &&
    isVersion(entry.version) && typeof entry.expiresAt === 'number';
}
