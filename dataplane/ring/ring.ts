// Key ownership: a consistent-hash ring over member ids, and placement over
// it (placement.ts). Pure and deterministic: every process that sees the same
// members computes the same owners, whatever order it learned them in.
import { hash } from 'node:crypto';
import HashRing from 'hashring';
import type { Member, PlacementMode } from './member.js';
import { alreadySpread, chooseOwners, placementInForce } from './placement.js';

/**
 * hashring's own md5, computed with the one-shot crypto.hash(): the same
 * digest (so every version places keys alike) without a Hash object per
 * lookup, about 1.8x faster. Hashing was ~14% of a server's time in a hand-off.
 */
const md5Uncached = (key: string): Buffer => hash('md5', key, 'buffer');

/**
 * The last key's digest: a hand-off asks two rings (placement and holding)
 * about the same key in a row, and hashing was 60% of that (issue 17).
 * Buffers are not mutated by hashring, so sharing one is safe.
 */
let lastKey: string | undefined;
let lastDigest: Buffer = Buffer.alloc(0);
const md5 = (key: string): Buffer => {
  if (key !== lastKey) {
    lastDigest = md5Uncached(key);
    lastKey = key;
  }
  return lastDigest;
};

/** Points per member on the ring; more points spread keys more evenly. */
export const VIRTUAL_NODES_PER_MEMBER = 160;

/** What ownership decisions ask of a ring (tests stand in a fixed table of owners). */
export interface Ownership {
  has(id: string): boolean;
  /** A key's `count` owners: distinct members clockwise from the key's point, spread by the placement in force. */
  ownersOf(key: string, count: number): Member[];
}

export class Ring implements Ownership {
  private readonly byId: ReadonlyMap<string, Member>;
  private readonly hashRing: HashRing | undefined;
  /** The placement this ring's members agree on (placementInForce). */
  readonly placement: PlacementMode;

  constructor(readonly members: readonly Member[]) {
    this.byId = new Map(members.map((m) => [m.id, m]));
    this.placement = placementInForce(members);
    const ids = [...this.byId.keys()].sort();
    // hashring's "vnode count" times its 4 "replicas" gives the points per member.
    this.hashRing = ids.length === 0
      ? undefined
      : new HashRing(ids, md5, { 'vnode count': VIRTUAL_NODES_PER_MEMBER / 4, 'max cache size': 0 });
  }

  get size(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /**
   * A key's `count` owners (fewer when there are fewer members): the first
   * distinct members clockwise that the placement takes. Only when the first
   * ones share a zone (node) does it walk on round the ring.
   */
  ownersOf(key: string, count: number): Member[] {
    if (!this.hashRing || count <= 0) return [];
    const wanted = Math.min(count, this.byId.size);
    const first = this.membersOf(this.hashRing.range(key, wanted, true));
    if (this.placement === 'none' || alreadySpread(first, this.placement)) return first;
    return chooseOwners(this.membersOf(this.hashRing.range(key, this.byId.size, true)), wanted, this.placement);
  }

  private membersOf(ids: readonly string[]): Member[] {
    return ids.map((id) => this.byId.get(id) as Member);
  }

  /** The member that owns a key first; reads go there before anywhere else. */
  primaryOf(key: string): Member | undefined {
    return this.ownersOf(key, 1)[0];
  }
}
