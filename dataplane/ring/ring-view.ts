// One process's view of the ring: the members it last saw, the ring built
// from them, and an epoch that counts the views. Pure state, no I/O.
import type { RingDescription } from '../api/backend.js';
import { sameMembers, sortMembers, type Member } from '../membership/member.js';
import { Ring } from './ring.js';

/**
 * Which members own keys. A leaving member hands its keys off and takes no
 * new ones, unless every member is leaving: then they keep serving what they hold.
 */
export function placementMembers(members: readonly Member[]): Member[] {
  const staying = members.filter((m) => m.state !== 'leaving');
  return staying.length > 0 ? staying : [...members];
}

export class RingView {
  private view: { epoch: number; members: Member[]; ring: Ring } = { epoch: 0, members: [], ring: new Ring([]) };

  constructor(readonly replicationFactor: number) {}

  get epoch(): number {
    return this.view.epoch;
  }

  get ring(): Ring {
    return this.view.ring;
  }

  get members(): readonly Member[] {
    return this.view.members;
  }

  /** Adopts a new member list; returns false (and keeps the epoch) when nothing changed. */
  update(members: readonly Member[]): boolean {
    const sorted = sortMembers(members);
    if (this.view.epoch > 0 && sameMembers(sorted, this.view.members)) return false;
    this.view = { epoch: this.view.epoch + 1, members: sorted, ring: new Ring(placementMembers(sorted)) };
    return true;
  }

  /** The owners of a key: R distinct members, or all of them when there are fewer. */
  ownersOf(key: string): Member[] {
    return this.view.ring.ownersOf(key, this.replicationFactor);
  }

  describe(): RingDescription {
    return { epoch: this.view.epoch, replicationFactor: this.replicationFactor, members: [...this.view.members] };
  }
}
