// What placement costs a router per request: ring.ownersOf(key, 2) over six
// servers under placement none (the code path of the ring before placement,
// the baseline), under zone without zones, over three even zones and over
// three uneven ones, in one process and one run, each layout measured in
// interleaved rounds so that noise falls on all of them.
import type { Member, PlacementMode } from '../../dataplane/ring/member.js';
import { Ring } from '../../dataplane/ring/ring.js';

export interface PlacementRow {
  layout: string;
  /** Owner lookups per second, the median of the rounds. */
  lookups_per_s: number;
  /** Nanoseconds per lookup. */
  ns_per_lookup: number;
  /** Lookups per second against placement none. */
  ratio: number;
}

const KEYS = Array.from({ length: 50_000 }, (_, i) => `bench-key-${i}`);
const ROUNDS = 5;

function servers(zones: Array<string | undefined>, placement: PlacementMode = 'zone'): Member[] {
  return zones.map((zone, i) => {
    const member: Member = { id: `server-${i + 1}`, address: `10.0.0.${i + 1}:8080`, state: 'serving', placement, node: `node-${i + 1}` };
    if (zone !== undefined) member.zone = zone;
    return member;
  });
}

const LAYOUTS: Array<[string, Member[]]> = [
  ['6 servers, placement none (the ring before placement)', servers(['a', 'a', 'b', 'b', 'c', 'c'], 'none')],
  ['6 servers without zones', servers([undefined, undefined, undefined, undefined, undefined, undefined])],
  ['6 servers in 3 zones, 2-2-2', servers(['a', 'a', 'b', 'b', 'c', 'c'])],
  ['6 servers in 3 zones, 1-2-3', servers(['a', 'b', 'b', 'c', 'c', 'c'])],
];

function lookupsPerSecond(ring: Ring): number {
  const started = process.hrtime.bigint();
  let owners = 0;
  for (const key of KEYS) owners += ring.ownersOf(key, 2).length;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (owners !== 2 * KEYS.length) throw new Error('a lookup gave fewer than 2 owners');
  return KEYS.length / seconds;
}

export function measurePlacement(): PlacementRow[] {
  const rings = LAYOUTS.map(([, members]) => new Ring(members));
  for (const ring of rings) lookupsPerSecond(ring); // warm-up: the JIT
  const rounds = rings.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) rings.forEach((ring, i) => rounds[i]?.push(lookupsPerSecond(ring)));
  const medians = rounds.map((rates) => [...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)] as number);
  const baseline = medians[0] as number;
  return LAYOUTS.map(([layout], i) => {
    const rate = medians[i] as number;
    return { layout, lookups_per_s: Math.round(rate), ns_per_lookup: Math.round(1e9 / rate), ratio: rate / baseline };
  });
}
