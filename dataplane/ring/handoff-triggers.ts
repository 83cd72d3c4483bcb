// When a ring change calls for a hand-off, and with whom. Pure: the server's
// hand-off coordinator asks these and does the I/O; which keys then move
// where is in handoff-plan.ts.
import type { Member, MemberState } from './member.js';
import type { Ring } from './ring.js';

/** The ids of both rings: a change in them (not in states alone) can move keys, so a join pulls again. */
export function ringsFingerprint(placement: Ring, holding: Ring): string {
  return `${placement.members.map((m) => m.id).join(',')}|${holding.members.map((m) => m.id).join(',')}`;
}

/**
 * Whom a joining member pulls from: every other member, joiners too (they may
 * hold the only copy of a write, see sendsOnPull), unless it already pulled
 * for these rings. Empty when there is nothing (more) to pull.
 */
export function pullSources(members: readonly Member[], selfId: string, rings: string, pulledFor: string | undefined): Member[] {
  if (rings === pulledFor) return [];
  return members.filter((m) => m.id !== selfId);
}

/**
 * Whether a serving member must copy keys to new owners now: the placement
 * ring moved since its last hand-off, and no other member is still leaving.
 * A leaving member hands its keys off itself; copying them too would double
 * its receivers' work, so the others wait until it is gone (finished or
 * crashed) and then copy from the ring it left, which covers a drain cut short.
 */
export function rebalanceDue(state: MemberState, members: readonly Member[], selfId: string, handedOffFor: Ring | undefined, placement: Ring): boolean {
  if (state !== 'serving' || handedOffFor === placement) return false;
  return !members.some((m) => m.state === 'leaving' && m.id !== selfId);
}

/** The members a draining server hands its keys to: every other member that stays, joiners included. */
export function drainReceivers(members: readonly Member[], selfId: string): Member[] {
  return members.filter((m) => m.id !== selfId && m.state !== 'leaving');
}

export interface PruneFacts {
  state: MemberState;
  /** A join or rebalance is running: keys are still on the move. */
  handingOff: boolean;
  zkConnected: boolean;
  /** The view has been settled for its grace period (RingView.isSettled). */
  settled: boolean;
  members: readonly Member[];
  selfId: string;
}

/**
 * Whether a server may drop the keys it does not own now: it serves, nothing
 * is moving, it hears ZooKeeper, and the view is settled and shows it
 * serving (a view without it would make it drop everything).
 */
export function pruneDue(facts: PruneFacts): boolean {
  if (facts.state !== 'serving' || facts.handingOff || !facts.zkConnected || !facts.settled) return false;
  return facts.members.some((m) => m.id === facts.selfId && m.state === 'serving');
}
