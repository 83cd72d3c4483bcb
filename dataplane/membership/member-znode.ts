// Where members live in ZooKeeper and how a member is written into its
// ephemeral znode: `/distributed-cache/<CACHE_NAME>/members/<NODE_ID>`
// holding `{id, address, state, zone?, node?, placement?}` as JSON (a release
// before placement reads the first three and ignores the rest).
import { toMember, type Member } from '../ring/member.js';

/** The znode root of one cache; every process of that cache agrees on it. */
export function cacheRootPath(cacheName: string): string {
  return `/distributed-cache/${cacheName}`;
}

export function membersPath(cacheName: string): string {
  return `${cacheRootPath(cacheName)}/members`;
}

export function encodeMember(member: Member): Buffer {
  const { id, address, state, zone, node, placement } = member;
  return Buffer.from(JSON.stringify({ id, address, state, zone, node, placement }));
}

/** Reads a member znode; returns undefined for data that is not a member (never throws). */
export function decodeMember(data: Buffer | undefined): Member | undefined {
  if (!data) return undefined;
  try {
    return toMember(JSON.parse(data.toString('utf8')));
  } catch {
    return undefined;
  }
}
