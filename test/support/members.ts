// Members and fixed ownership tables for unit tests of the ring's decisions.
import type { Member, MemberState } from '../../dataplane/ring/member.js';
import type { Ownership } from '../../dataplane/ring/ring.js';

export const member = (id: string, state: MemberState = 'serving'): Member => ({ id, address: `${id}:8080`, state });

/** Members from short specs: 'a' serves; 'a:joining' and 'a:leaving' are in that state. */
export function members(...specs: string[]): Member[] {
  return specs.map((spec) => {
    const [id, state] = spec.split(':') as [string, MemberState | undefined];
    return member(id, state);
  });
}

export const ids = (list: readonly Member[]): string[] => list.map((m) => m.id);

/**
 * A ring that is a fixed table of key → owners in ring order, the way
 * groupcache's consistenthash tests pin their hash: a decision is checked
 * against owners a reader can see, without md5 in the way. `ringMembers` are
 * the members on this ring.
 */
export function ownersTable(table: Record<string, string[]>, ringMembers: readonly Member[]): Ownership {
  const byId = new Map(ringMembers.map((m) => [m.id, m]));
  return {
    has: (id) => byId.has(id),
    ownersOf: (key, count) => (table[key] ?? []).slice(0, count).map((id) => {
      const owner = byId.get(id);
      if (!owner) throw new Error(`owner ${id} of ${key} is not on this ring`);
      return owner;
    }),
  };
}
