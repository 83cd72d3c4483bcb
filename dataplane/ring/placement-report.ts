// What the placement in force gives (pure): whether the cache survives the
// loss of a zone, and how the keyspace falls on members, zones and nodes.
// /api/ring and the metrics report these; docs/architecture.md "Placement".
import type { Member } from './member.js';
import { nodeOf, zoneOf } from './placement.js';
import type { Ring } from './ring.js';

export const ZONE_SAFETY_REASONS = ['ZoneSpread', 'OneCopy', 'PlacementNotZone', 'PlacementSwitching', 'ZoneUnknown', 'TooFewZones'] as const;
export type ZoneSafetyReason = (typeof ZONE_SAFETY_REASONS)[number];

export interface ZoneSafety {
  /** Every key's copies are in R distinct zones, in the rings that hold keys now and will: a zone can be lost with no key. */
  zoneSafe: boolean;
  reason: ZoneSafetyReason;
  message: string;
}

function ringSafety(ring: Ring, replicationFactor: number): ZoneSafety | undefined {
  if (ring.placement !== 'zone') {
    return { zoneSafe: false, reason: 'PlacementNotZone', message: `placement ${ring.placement} is in force, which ignores zones` };
  }
  const unzoned = ring.members.filter((m) => m.zone === undefined).map((m) => m.id);
  if (unzoned.length > 0) return { zoneSafe: false, reason: 'ZoneUnknown', message: `no zone known for ${unzoned.join(', ')}` };
  const zones = new Set(ring.members.map(zoneOf)).size;
  if (zones < replicationFactor) {
    return { zoneSafe: false, reason: 'TooFewZones', message: `${zones} zone(s) hold servers, fewer than the ${replicationFactor} copies of each key` };
  }
  return undefined;
}

/**
 * Whether a zone can be lost with no key: R ≥ 2 copies, placement `zone` in
 * force in both rings (the holding ring keeps an old rule until a switch is
 * done), every member's zone known, and at least R zones with members.
 */
export function zoneSafety(placement: Ring, holding: Ring, replicationFactor: number): ZoneSafety {
  if (replicationFactor < 2) return { zoneSafe: false, reason: 'OneCopy', message: 'each key has one copy' };
  const future = ringSafety(placement, replicationFactor);
  if (future) return future;
  if (holding !== placement) {
    const now = ringSafety(holding, replicationFactor);
    if (now?.reason === 'PlacementNotZone') {
      return { zoneSafe: false, reason: 'PlacementSwitching', message: `keys are moving from placement ${holding.placement} to zone` };
    }
    if (now) return now;
  }
  return { zoneSafe: true, reason: 'ZoneSpread', message: `every key's ${replicationFactor} copies are in ${replicationFactor} distinct zones` };
}

export interface KeyspaceReport {
  /** Each member's share: the fraction of keys of which it holds a copy (they sum to R). */
  shares: Map<string, number>;
  /** The fraction of keys whose copies are all in one zone: lost with that zone. */
  inOneZone: number;
  /** The same for one node. */
  onOneNode: number;
}

/** How many sample keys a report hashes: each fraction within about ±1 % (two standard errors at 1/6). */
export const KEYSPACE_SAMPLES = 8192;

/** Estimates the keyspace's spread over a ring from sample keys (the same keys in every process). */
export function keyspaceReport(ring: Ring, replicationFactor: number, samples = KEYSPACE_SAMPLES): KeyspaceReport {
  const counts = new Map<string, number>(ring.members.map((m) => [m.id, 0]));
  let inOneZone = 0;
  let onOneNode = 0;
  const allIn = (owners: Member[], domainOf: (m: Member) => string): boolean => owners.every((m) => domainOf(m) === domainOf(owners[0] as Member));
  for (let i = 0; i < samples; i++) {
    const owners = ring.ownersOf(`keyspace-sample-${i}`, replicationFactor);
    for (const owner of owners) counts.set(owner.id, (counts.get(owner.id) ?? 0) + 1);
    if (owners.length > 0 && allIn(owners, zoneOf)) inOneZone++;
    if (owners.length > 0 && allIn(owners, nodeOf)) onOneNode++;
  }
  return {
    shares: new Map([...counts].map(([id, count]) => [id, count / samples])),
    inOneZone: inOneZone / samples,
    onOneNode: onOneNode / samples,
  };
}
