// A router's `GET /api/ring` answer (README "HTTP API"), checked. Pure.
import { sortMembers, toMember, type Member } from '../../dataplane/ring/member.js';
import type { RingDescription } from '../../dataplane/ring/ring-view.js';

/** The ring a router described, or undefined when the body is not a ring description. */
export function parseRingAnswer(body: unknown): RingDescription | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { epoch, replicationFactor, members } = body as Record<string, unknown>;
  if (typeof epoch !== 'number' || !Number.isInteger(replicationFactor) || (replicationFactor as number) < 1) return undefined;
  if (!Array.isArray(members)) return undefined;
  const checked = members.map(toMember);
  if (checked.some((m) => m === undefined)) return undefined;
  // The placement description is for people; the client computes ownership from the members, as a router does.
  return { epoch, replicationFactor: replicationFactor as number, members: sortMembers(checked as Member[]) };
}
