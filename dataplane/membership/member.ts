// A cache server as the ring sees it: the JSON held in its ephemeral znode.

export const MEMBER_STATES = ['joining', 'serving', 'leaving'] as const;
export type MemberState = (typeof MEMBER_STATES)[number];

export interface Member {
  id: string;
  address: string;
  state: MemberState;
}

/** The znode root of one cache; every process of that cache agrees on it. */
export function cacheRootPath(cacheName: string): string {
  return `/distributed-cache/${cacheName}`;
}

export function membersPath(cacheName: string): string {
  return `${cacheRootPath(cacheName)}/members`;
}

export function encodeMember(member: Member): Buffer {
  return Buffer.from(JSON.stringify({ id: member.id, address: member.address, state: member.state }));
}

/** Reads a member znode; returns undefined for data that is not a member (never throws). */
export function decodeMember(data: Buffer | undefined): Member | undefined {
  if (!data) return undefined;
  try {
    const parsed: unknown = JSON.parse(data.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { id, address, state } = parsed as Record<string, unknown>;
    if (typeof id !== 'string' || typeof address !== 'string') return undefined;
    if (!(MEMBER_STATES as readonly unknown[]).includes(state)) return undefined;
    return { id, address, state: state as MemberState };
  } catch {
    return undefined;
  }
}

/** Members sorted by id: the canonical order used to compare two views. */
export function sortMembers(members: Iterable<Member>): Member[] {
  return [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function sameMembers(a: readonly Member[], b: readonly Member[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((m, i) => {
    const o = b[i] as Member;
    return m.id === o.id && m.address === o.address && m.state === o.state;
  });
}
