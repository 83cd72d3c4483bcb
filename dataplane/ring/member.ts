// A cache server as every process sees it: its id, where to reach it, and
// its state. The ring is built from these; ZooKeeper only carries them.

export const MEMBER_STATES = ['joining', 'serving', 'leaving'] as const;
export type MemberState = (typeof MEMBER_STATES)[number];

export interface Member {
  id: string;
  address: string;
  state: MemberState;
}

/**
 * The one check of a member that arrived from outside (a znode, a pull
 * request): a copy with exactly its three fields, or undefined.
 */
export function toMember(raw: unknown): Member | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { id, address, state } = raw as Record<string, unknown>;
  if (typeof id !== 'string' || typeof address !== 'string') return undefined;
  if (!(MEMBER_STATES as readonly unknown[]).includes(state)) return undefined;
  return { id, address, state: state as MemberState };
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
