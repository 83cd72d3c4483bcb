// When replicas compare what they hold, which keys each pair compares, and
// over which window of writes (docs/consistency.md, "Replicas converge by
// themselves"). Pure: every server computes the same answers from the same
// members, so two peers digest the same keys without telling each other which.
import type { DigestWindow } from '../store/version-digest.js';
import { pruneDue, type PruneFacts } from './handoff-triggers.js';
import type { Member } from './member.js';
import type { Ownership } from './ring.js';

/**
 * How long after a write its owners compare it. A router gives an owner 5 s
 * to answer (UPSTREAM_TIMEOUT_MS) and sends to the others once the decider
 * took the write, so a write older than this has reached every owner it will
 * reach by the write path; comparing it sooner would only find writes in flight.
 */
export const ANTI_ENTROPY_LAG_MS = 10_000;

/**
 * The window of the cycle that runs at `now`. Cycles are aligned to the wall
 * clock, `intervalMs` apart, so that two peers asked in the same interval
 * digest the same writes: those stamped before the interval began, less the lag.
 * Entries that expire within two intervals of the interval's start are left
 * out, since a replica may drop them before the other has digested them.
 */
export function antiEntropyWindow(now: number, intervalMs: number): DigestWindow & { startMs: number } {
  const startMs = Math.floor(now / intervalMs) * intervalMs;
  return { startMs, cutoffMs: startMs - ANTI_ENTROPY_LAG_MS, horizonMs: ANTI_ENTROPY_LAG_MS + 2 * intervalMs };
}

/** A cycle starts within this share of its interval, so that peers do not all digest at the same instant. */
const CYCLE_JITTER_SHARE = 0.25;

/** When the next cycle starts: early in the next interval, at a point `random` (in [0, 1)) picks. */
export function nextCycleAt(now: number, intervalMs: number, random: number): number {
  return (Math.floor(now / intervalMs) + 1) * intervalMs + Math.floor(random * CYCLE_JITTER_SHARE * intervalMs);
}

/**
 * The longest a difference between two reachable replicas lasts, less a
 * cycle's own run time: a write made at time t is in the window of the first
 * interval that begins after t + lag, and that interval's cycle starts within
 * its jitter. A partition that heals at time h is compared by the first cycle
 * after h, which starts within an interval and its jitter too.
 */
export function convergenceBoundMs(intervalMs: number): number {
  return ANTI_ENTROPY_LAG_MS + intervalMs + CYCLE_JITTER_SHARE * intervalMs;
}

/**
 * Whether a server compares with its peers now: what lets it prune (it serves,
 * nothing moves, it hears ZooKeeper, the view is settled), and every member
 * serves, so that both sides of a comparison own the same keys.
 */
export function antiEntropyDue(facts: PruneFacts): boolean {
  return pruneDue(facts) && facts.members.every((m) => m.state === 'serving');
}

/** The other owners of a key that `selfId` owns (none when it does not): the peers it compares the key with. */
export function sharersOf(key: string, ring: Ownership, selfId: string, replicationFactor: number): string[] {
  const owners = ring.ownersOf(key, replicationFactor);
  if (!owners.some((m) => m.id === selfId)) return [];
  return owners.filter((m) => m.id !== selfId).map((m) => m.id);
}

/**
 * What decides which keys two peers share: every member's id and failure
 * domains, and the placement it runs with. Peers whose fingerprints differ
 * would digest different keys, and every bucket would differ.
 */
export function placementFingerprint(members: readonly Member[]): string {
  return members.map((m) => `${m.id}@${m.zone ?? ''}/${m.node ?? ''}/${m.placement ?? ''}`).join(',');
}
