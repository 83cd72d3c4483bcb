// One process's view of the cache's members and the rings built from them.
// Pure state (time is passed in); the processes feed it from ZooKeeper.
//
// Two rings exist while membership changes (after Infinispan's read-old /
// write-all phases):
//   placement ring: members that will hold keys (serving + joining);
//   holding ring:   members that hold keys now (serving + leaving).
// Writes go to the owners in both (never to a member that said it is
// leaving); reads ask both and take the newest version until the view has
// settled.
import { sameMembers, sortMembers, type Member, type PlacementMode } from './member.js';
import { zoneSafety, type ZoneSafety } from './placement-report.js';
import { Ring } from './ring.js';

/** The placement in force, as `GET /api/ring` shows it. */
export interface PlacementDescription extends ZoneSafety {
  /** The rule of the ring that decides ownership once the current change completes (placementInForce). */
  mode: PlacementMode;
}

/** A view as `GET /api/ring` shows it. */
export interface RingDescription {
  epoch: number;
  replicationFactor: number;
  /** Absent from a router of a release before placement. */
  placement?: PlacementDescription;
  members: Member[];
}

export interface RingViewOptions {
  replicationFactor: number;
  /** How long after a change reads keep asking every candidate owner. */
  settleGraceMs?: number;
  /** How long a member that vanished from ZooKeeper is still read from (as leaving). 0 drops it at once. */
  departedGraceMs?: number;
}

/** Members that will own keys once the change completes. */
export function placementMembers(members: readonly Member[]): Member[] {
  const staying = members.filter((m) => m.state !== 'leaving');
  // If everyone is leaving, they keep serving what they hold rather than nothing.
  return staying.length > 0 ? staying : [...members];
}

/** Members that hold keys now: a joining member may not have its keys yet. */
export function holdingMembers(members: readonly Member[]): Member[] {
  return members.filter((m) => m.state !== 'joining');
}

function union(first: readonly Member[], second: readonly Member[]): Member[] {
  const seen = new Set(first.map((m) => m.id));
  return [...first, ...second.filter((m) => !seen.has(m.id))];
}

export class RingView {
  readonly replicationFactor: number;
  private readonly settleGraceMs: number;
  private readonly departedGraceMs: number;

  private reported: Member[] = [];
  /** `unannounced`: it vanished without saying it was leaving, so it may still serve routers whose view lags. */
  private readonly departed = new Map<string, { member: Member; until: number; unannounced: boolean }>();
  private readonly hintedLeaving = new Set<string>();

  private effective: Member[] = [];
  private placement = new Ring([]);
  private holding = new Ring([]);
  private epochCount = 0;
  private changedAt = -Infinity;

  constructor(options: RingViewOptions | number) {
    const { replicationFactor, settleGraceMs = 5000, departedGraceMs = 0 } =
      typeof options === 'number' ? { replicationFactor: options } : options;
    this.replicationFactor = replicationFactor;
    this.settleGraceMs = settleGraceMs;
    this.departedGraceMs = departedGraceMs;
  }

  get epoch(): number {
    return this.epochCount;
  }

  /** The members as this process sees them, with their effective states. */
  get members(): readonly Member[] {
    return this.effective;
  }

  /** The ring that decides ownership once the current change completes. */
  get ring(): Ring {
    return this.placement;
  }

  get holdingRing(): Ring {
    return this.holding;
  }

  /** Adopts the member list ZooKeeper reports; returns whether the effective view changed. */
  update(reported: readonly Member[], now: number): boolean {
    const next = sortMembers(reported);
    const nextIds = new Set(next.map((m) => m.id));
    if (this.departedGraceMs > 0) {
      for (const member of this.reported) {
        if (nextIds.has(member.id)) continue;
        const unannounced = member.state !== 'leaving' && !this.hintedLeaving.has(member.id);
        this.departed.set(member.id, { member: { ...member, state: 'leaving' }, until: now + this.departedGraceMs, unannounced });
      }
    }
    for (const id of nextIds) this.departed.delete(id);
    // A hint stands until ZooKeeper agrees (or the member is gone).
    for (const id of this.hintedLeaving) {
      const member = next.find((m) => m.id === id);
      if (!member || member.state === 'leaving') this.hintedLeaving.delete(id);
    }
    this.reported = next;
    return this.rebuild(now);
  }

  /** A member told us it is leaving before ZooKeeper did: stop writing to it now. */
  markLeaving(id: string, now: number): boolean {
    const member = this.reported.find((m) => m.id === id);
    if (!member || member.state === 'leaving' || this.hintedLeaving.has(id)) return false;
    this.hintedLeaving.add(id);
    return this.rebuild(now);
  }

  /** Forgets departed members whose grace has passed; returns whether the view changed. */
  expire(now: number): boolean {
    let changed = false;
    for (const [id, { until }] of this.departed) {
      if (until <= now) {
        this.departed.delete(id);
        changed = true;
      }
    }
    return changed ? this.rebuild(now) : false;
  }

  /** When the next departed member should be forgotten, if any. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const { until } of this.departed.values()) next = next === undefined ? until : Math.min(next, until);
    return next;
  }

  private rebuild(now: number): boolean {
    const members = sortMembers([
      ...this.reported.map((m) => (this.hintedLeaving.has(m.id) ? { ...m, state: 'leaving' as const } : m)),
      ...[...this.departed.values()].map((d) => d.member),
    ]);
    if (this.epochCount > 0 && sameMembers(members, this.effective)) return false;
    this.effective = members;
    const placing = placementMembers(members);
    const holding = holdingMembers(members);
    this.placement = new Ring(placing);
    // With nobody joining or leaving the two rings are one, and each key is looked up once.
    this.holding = sameMembers(placing, holding) ? this.placement : new Ring(holding);
    this.epochCount++;
    this.changedAt = now;
    return true;
  }

  /** No member is joining or leaving, and nothing changed for the grace period. */
  isSettled(now: number): boolean {
    return this.effective.every((m) => m.state === 'serving') && now - this.changedAt >= this.settleGraceMs;
  }

  /** The owners of a key once the change completes: R distinct members (fewer if there are fewer). */
  ownersOf(key: string): Member[] {
    return this.placement.ownersOf(key, this.replicationFactor);
  }

  /**
   * Where a write must land: the owners in both rings, except members that
   * said they are leaving. A holder that vanished from ZooKeeper without
   * saying so still gets writes for the departed grace: its session may have
   * ended while it still serves (a ZooKeeper outage, or a cut from ZooKeeper
   * alone), and a router whose view lags reads it first (docs/consistency.md,
   * "A member that vanished").
   */
  writeOwners(key: string): Member[] {
    const next = this.ownersOf(key);
    if (this.holding === this.placement) return next;
    const now = this.holding.ownersOf(key, this.replicationFactor).filter((m) => m.state !== 'leaving' || this.vanishedUnannounced(m.id));
    return union(next, now);
  }

  /** A member that vanished from ZooKeeper without saying it was leaving, still within its departed grace. */
  vanishedUnannounced(id: string): boolean {
    return this.departed.get(id)?.unannounced === true;
  }

  /**
   * The owners whose answer decides whether a write took effect, in order:
   * the key's holders that take writes and stay its owners. Every router
   * writes to them whatever its view of joins, so an acknowledged write is
   * always on them (docs/consistency.md). A holder that is not a future owner
   * may hold the key only by the holding ring's arithmetic: a joiner that
   * turned serving while others still join is a holder of their ranges too,
   * but pulled only its own. Empty when no holder stays an owner (every
   * holder leaving, or every owner new); then every answer counts.
   */
  decidingOwners(key: string): Member[] {
    const holders = this.holding.ownersOf(key, this.replicationFactor).filter((m) => m.state !== 'leaving');
    if (this.holding === this.placement) return holders;
    const owners = new Set(this.ownersOf(key).map((m) => m.id));
    return holders.filter((m) => owners.has(m.id));
  }

  /** Where a read may find the newest value: the holders first, then the future owners. */
  readOwners(key: string): Member[] {
    if (this.holding === this.placement) return this.ownersOf(key);
    return union(this.holding.ownersOf(key, this.replicationFactor), this.ownersOf(key));
  }

  /** Whether a zone can be lost with no key now, and why not. */
  zoneSafety(): ZoneSafety {
    return zoneSafety(this.placement, this.holding, this.replicationFactor);
  }

  describe(): RingDescription {
    return {
      epoch: this.epochCount,
      replicationFactor: this.replicationFactor,
      placement: { mode: this.placement.placement, ...this.zoneSafety() },
      members: [...this.effective],
    };
  }
}
