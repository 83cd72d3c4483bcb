// Which members hold a key's copies (pure). The ring gives every member in
// clockwise order from the key's point; placement takes the first ones that
// spread the copies over distinct failure domains: zones, then nodes, then
// servers. The first owner is always the first member clockwise, so reads and
// the primary's share do not change with the mode. docs/architecture.md "Placement".
import { PLACEMENT_MODES, type Member, type PlacementMode } from './member.js';

/** A member's zone, or a zone of its own when it has none. Zone names never hold ':', so none collides. */
export function zoneOf(member: Member): string {
  return member.zone ?? `:${member.id}`;
}

/** A member's node, or a node of its own when it has none. */
export function nodeOf(member: Member): string {
  return member.node ?? `:${member.id}`;
}

/**
 * The placement a ring over these members uses: the weakest any of them runs
 * with (a member of a release before placement counts as `none`). A ring that
 * still holds a member of the old release or the old mode keeps the old rule;
 * once the last one leaves, the rings of that change differ in their rule, and
 * the keys move by the hand-off every ring change runs.
 */
export function placementInForce(members: readonly Member[]): PlacementMode {
  let weakest = PLACEMENT_MODES.length - 1;
  for (const member of members) weakest = Math.min(weakest, PLACEMENT_MODES.indexOf(member.placement ?? 'none'));
  return PLACEMENT_MODES[weakest] as PlacementMode;
}

/** zoneOf(a) === zoneOf(b), without building a string on a router's every request. */
const sameZone = (a: Member, b: Member): boolean => a.id === b.id || (a.zone !== undefined && a.zone === b.zone);
const sameNode = (a: Member, b: Member): boolean => a.id === b.id || (a.node !== undefined && a.node === b.node);

type Accepts = (candidate: Member, chosen: readonly Member[]) => boolean;
const distinctZone: Accepts = (candidate, chosen) => chosen.every((m) => !sameZone(m, candidate));
const distinctNode: Accepts = (candidate, chosen) => chosen.every((m) => !sameNode(m, candidate));
const anyServer: Accepts = () => true;

/** The passes over the ring, strictest first: each takes members the earlier ones could not place. */
const PASSES: Record<PlacementMode, readonly Accepts[]> = {
  zone: [distinctZone, distinctNode, anyServer],
  node: [distinctNode, anyServer],
  none: [anyServer],
};

/**
 * A key's `count` owners from every member in clockwise order from its point:
 * in distinct zones while there are zones to spare, then on distinct nodes,
 * then any distinct servers. A member without a zone (node) has one of its own.
 */
export function chooseOwners(clockwise: readonly Member[], count: number, mode: PlacementMode): Member[] {
  const chosen: Member[] = [];
  for (const accepts of PASSES[mode]) {
    for (const member of clockwise) {
      if (chosen.length >= count) return chosen;
      if (!chosen.includes(member) && accepts(member, chosen)) chosen.push(member);
    }
  }
  return chosen;
}

/**
 * Whether the first members clockwise are already spread as the mode's first
 * pass wants, so that chooseOwners would take exactly them: the common case,
 * and the whole of it for members without zones, which costs no walk of the ring.
 */
export function alreadySpread(first: readonly Member[], mode: PlacementMode): boolean {
  if (mode === 'none') return true;
  const same = mode === 'zone' ? sameZone : sameNode;
  for (let i = 1; i < first.length; i++) {
    for (let j = 0; j < i; j++) if (same(first[i] as Member, first[j] as Member)) return false;
  }
  return true;
}
