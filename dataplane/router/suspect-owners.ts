// Owners a router could not reach lately, and so may have missed writes that
// the others took (a partition, a stall past the upstream timeout). Until
// anti-entropy has surely compared them with their peers, a read of a key they
// own asks every owner and takes the newest version, instead of trusting the
// first owner in ring order (docs/consistency.md, "An owner that missed
// writes"). Pure state: time is passed in.
import { convergenceBoundMs } from '../ring/antientropy-plan.js';
import { DEFAULT_ANTI_ENTROPY_INTERVAL_MS } from '../config/contract.js';

/**
 * How long after its last failure an owner stays suspect: the time in which
 * two reachable owners agree at the default anti-entropy interval (47.5 s),
 * plus a cycle's own run.
 */
export const SUSPECT_HOLD_MS = convergenceBoundMs(DEFAULT_ANTI_ENTROPY_INTERVAL_MS) + 12_500;

export class SuspectOwners {
  /** Member id → when it last failed to answer. */
  private readonly failedAt = new Map<string, number>();

  constructor(private readonly holdMs = SUSPECT_HOLD_MS) {}

  /** The owner did not answer (timeout, connection refused or reset); true when it was not suspect before. */
  failed(id: string, now: number): boolean {
    const fresh = !this.isSuspect(id, now);
    this.failedAt.set(id, now);
    return fresh;
  }

  isSuspect(id: string, now: number): boolean {
    const at = this.failedAt.get(id);
    if (at === undefined) return false;
    if (now - at < this.holdMs) return true;
    this.failedAt.delete(id);
    return false;
  }

  anyOf(owners: ReadonlyArray<{ id: string }>, now: number): boolean {
    return owners.some((owner) => this.isSuspect(owner.id, now));
  }
}
