// A cache server as every process sees it: its id, where to reach it, its
// state, its failure domains (zone and node) and the placement it runs with.
// The ring is built from these; ZooKeeper only carries them.

export const MEMBER_STATES = ['joining', 'serving', 'leaving'] as const;
export type MemberState = (typeof MEMBER_STATES)[number];

/**
 * How a key's copies are spread, weakest first: `none` over distinct servers,
 * `node` over distinct nodes, `zone` over distinct zones (then nodes, then
 * servers). docs/architecture.md "Placement".
 */
export const PLACEMENT_MODES = ['none', 'node', 'zone'] as const;
export type PlacementMode = (typeof PLACEMENT_MODES)[number];

/** What a zone or node name may be: a Kubernetes label value or node name, so no ':' (placement.ts relies on it). */
export const FAILURE_DOMAIN_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;

export interface Member {
  id: string;
  address: string;
  state: MemberState;
  /** Its zone (`topology.kubernetes.io/zone`), when known. */
  zone?: string;
  /** Its machine (the Kubernetes node), when known. */
  node?: string;
  /** The placement it was started with; a member of a release before placement advertises none. */
  placement?: PlacementMode;
}

/**
 * The one check of a member that arrived from outside (a znode, a pull
 * request, a router's ring): a copy with exactly its fields, or undefined.
 * A zone, node or placement it cannot read counts as absent, the same in
 * every process, rather than dropping a member that serves keys.
 */
export function toMember(raw: unknown): Member | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { id, address, state, zone, node, placement } = raw as Record<string, unknown>;
  if (typeof id !== 'string' || typeof address !== 'string') return undefined;
  if (!(MEMBER_STATES as readonly unknown[]).includes(state)) return undefined;
  const member: Member = { id, address, state: state as MemberState };
  if (typeof zone === 'string' && FAILURE_DOMAIN_PATTERN.test(zone)) member.zone = zone;
  if (typeof node === 'string' && FAILURE_DOMAIN_PATTERN.test(node)) member.node = node;
  if ((PLACEMENT_MODES as readonly unknown[]).includes(placement)) member.placement = placement as PlacementMode;
  return member;
}

/** Members sorted by id: the canonical order used to compare two views. */
export function sortMembers(members: Iterable<Member>): Member[] {
  return [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function sameMembers(a: readonly Member[], b: readonly Member[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((m, i) => {
    const o = b[i] as Member;
    return m.id === o.id && m.address === o.address && m.state === o.state
      && m.zone === o.zone && m.node === o.node && m.placement === o.placement;
  });
}
