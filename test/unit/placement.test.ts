// Placement (dataplane/ring/placement.ts): which members hold a key's copies
// when members carry zones and nodes, pinned for several layouts, and what
// the placement report says of it (dataplane/ring/placement-report.ts).
import { expect } from 'chai';
import type { Member, PlacementMode } from '../../dataplane/ring/member.js';
import { keyspaceReport, zoneSafety } from '../../dataplane/ring/placement-report.js';
import { chooseOwners, placementInForce, zoneOf } from '../../dataplane/ring/placement.js';
import { Ring } from '../../dataplane/ring/ring.js';
import { ids } from '../support/members.js';

/** A member; one of a release before placement advertises no placement at all. */
const placed = (id: string, zone?: string, node?: string, placement: PlacementMode | 'older release' = 'zone'): Member => {
  const member: Member = { id, address: `${id}:8080`, state: 'serving' };
  if (zone !== undefined) member.zone = zone;
  if (node !== undefined) member.node = node;
  if (placement !== 'older release') member.placement = placement;
  return member;
};
/** Six servers s1..s6 on nodes n1..n6, in the zones given in order. */
const layout = (...zones: Array<string | undefined>): Member[] => zones.map((zone, i) => placed(`s${i + 1}`, zone, zone && `n${i + 1}`));

const LAYOUTS = {
  '2-2-2': layout('a', 'a', 'b', 'b', 'c', 'c'),
  '1-2-3': layout('a', 'b', 'b', 'c', 'c', 'c'),
  'one zone': layout('a', 'a', 'a', 'a'),
  'one zone, two servers a node': [placed('s1', 'a', 'n1'), placed('s2', 'a', 'n1'), placed('s3', 'a', 'n2'), placed('s4', 'a', 'n2')],
  'no zones': layout(undefined, undefined, undefined, undefined, undefined, undefined),
  '2-2-2, one member of an older release': [placed('s1', undefined, undefined, 'older release'), ...layout('a', 'a', 'b', 'b', 'c', 'c').slice(1)],
};
const PINNED_KEYS = ['a', 'b', 'user:1', 'user:2', 'session/42', 'ключ'];
const sampleKeys = Array.from({ length: 3000 }, (_, i) => `key-${i}`);

describe('placement', () => {
  it('places these keys on these owners in each layout (R = 2)', () => {
    // Pinned: a change here re-homes keys across a rolling upgrade. 'no zones' is today's ring, as ring.test pins it.
    const table: Record<keyof typeof LAYOUTS, string> = {
      '2-2-2': 's4,s5 s3,s6 s5,s4 s4,s5 s3,s6 s2,s5',
      '1-2-3': 's4,s2 s3,s6 s5,s3 s4,s3 s3,s4 s2,s5',
      'one zone': 's4,s2 s3,s4 s4,s3 s4,s3 s3,s4 s2,s1',
      'one zone, two servers a node': 's4,s2 s3,s1 s4,s1 s4,s2 s3,s2 s2,s3',
      'no zones': 's4,s5 s3,s6 s5,s6 s4,s3 s3,s4 s2,s5',
      '2-2-2, one member of an older release': 's4,s5 s3,s6 s5,s6 s4,s3 s3,s4 s2,s5',
    };
    for (const [name, members] of Object.entries(LAYOUTS)) {
      const ring = new Ring(members);
      const owners = PINNED_KEYS.map((key) => ids(ring.ownersOf(key, 2)).join(',')).join(' ');
      expect(owners, name).to.equal(table[name as keyof typeof LAYOUTS]);
    }
  });

  it('puts a key\'s R copies in R distinct zones whenever R zones have members', () => {
    for (const [name, members, replicationFactor] of [['2-2-2', LAYOUTS['2-2-2'], 2], ['2-2-2', LAYOUTS['2-2-2'], 3], ['1-2-3', LAYOUTS['1-2-3'], 3]] as const) {
      const ring = new Ring(members);
      for (const key of sampleKeys) {
        expect(new Set(ring.ownersOf(key, replicationFactor).map(zoneOf)).size, `${name} R=${replicationFactor} ${key}`).to.equal(replicationFactor);
      }
    }
  });

  it('falls back to distinct nodes within too few zones, and to distinct servers on too few nodes', () => {
    const sharedNodes = new Ring(LAYOUTS['one zone, two servers a node']);
    for (const key of sampleKeys) {
      const owners = sharedNodes.ownersOf(key, 3);
      expect(new Set(owners.map((m) => m.node)).size, key).to.equal(2);
      expect(new Set(ids(owners)).size, key).to.equal(3);
    }
    // Two zones, R = 3: two zones first, the third copy on another node.
    const twoZones = new Ring(layout('a', 'a', 'b', 'b'));
    for (const key of sampleKeys) expect(new Set(twoZones.ownersOf(key, 3).map(zoneOf)).size, key).to.equal(2);
  });

  it('keeps the first member clockwise as the first owner in every mode', () => {
    const spread = new Ring(LAYOUTS['2-2-2']);
    const plain = new Ring(LAYOUTS['no zones']);
    for (const key of sampleKeys) expect(spread.ownersOf(key, 2)[0]?.id, key).to.equal(plain.ownersOf(key, 1)[0]?.id);
  });

  it('places keys without zones exactly as the ring of a release before placement, in every mode', () => {
    const plain = LAYOUTS['no zones'];
    const none = new Ring(plain.map((m) => ({ ...m, placement: 'none' as const })));
    const node = new Ring(plain.map((m) => ({ ...m, placement: 'node' as const })));
    const zone = new Ring(plain);
    for (const key of sampleKeys) {
      const expected = ids(none.ownersOf(key, 3));
      expect(ids(zone.ownersOf(key, 3)), key).to.deep.equal(expected);
      expect(ids(node.ownersOf(key, 3)), key).to.deep.equal(expected);
    }
  });

  it('uses the weakest placement any member runs with, a member of an older release counting as none', () => {
    expect(placementInForce(LAYOUTS['2-2-2'])).to.equal('zone');
    expect(placementInForce(LAYOUTS['2-2-2, one member of an older release'])).to.equal('none');
    expect(placementInForce([placed('s1', 'a', 'n1', 'zone'), placed('s2', 'b', 'n2', 'node')])).to.equal('node');
    expect(new Ring(LAYOUTS['2-2-2, one member of an older release']).placement).to.equal('none');
  });

  it('chooses the same owners whatever order the members were learned in', () => {
    const forward = new Ring(LAYOUTS['1-2-3']);
    const backward = new Ring([...LAYOUTS['1-2-3']].reverse());
    for (const key of sampleKeys) expect(ids(backward.ownersOf(key, 2)), key).to.deep.equal(ids(forward.ownersOf(key, 2)));
  });

  it('takes as many owners as there are members when there are fewer than R', () => {
    expect(ids(chooseOwners(layout('a', 'a'), 3, 'zone'))).to.deep.equal(['s1', 's2']);
    expect(new Ring([]).ownersOf('k', 2)).to.deep.equal([]);
  });
});

describe('placement report', () => {
  it('says a 2-2-2 cache is zone-safe at R = 2 and 3, and why not otherwise', () => {
    const reason = (members: Member[], replicationFactor: number): string => {
      const ring = new Ring(members);
      const safety = zoneSafety(ring, ring, replicationFactor);
      return safety.zoneSafe ? 'safe' : safety.reason;
    };
    expect(reason(LAYOUTS['2-2-2'], 2)).to.equal('safe');
    expect(reason(LAYOUTS['2-2-2'], 3)).to.equal('safe');
    expect(reason(LAYOUTS['2-2-2'], 1)).to.equal('OneCopy');
    expect(reason(layout('a', 'a', 'b', 'b'), 3)).to.equal('TooFewZones');
    expect(reason(LAYOUTS['one zone'], 2)).to.equal('TooFewZones');
    expect(reason(LAYOUTS['no zones'], 2)).to.equal('ZoneUnknown');
    expect(reason(LAYOUTS['2-2-2, one member of an older release'], 2)).to.equal('PlacementNotZone');
  });

  it('says a switch is under way while the holding ring keeps the old rule', () => {
    const holding = new Ring([...LAYOUTS['2-2-2, one member of an older release']]);
    const placement = new Ring(LAYOUTS['2-2-2'].slice(1));
    expect(zoneSafety(placement, holding, 2)).to.include({ zoneSafe: false, reason: 'PlacementSwitching' });
  });

  it('counts no key in one zone when zone-safe, and about 1 in 5 for placement none over 2-2-2', () => {
    expect(keyspaceReport(new Ring(LAYOUTS['2-2-2']), 2)).to.include({ inOneZone: 0, onOneNode: 0 });
    const none = keyspaceReport(new Ring(LAYOUTS['2-2-2'].map((m) => ({ ...m, placement: 'none' as const }))), 2);
    // The second copy shares the first's zone when the next member clockwise is its zone-mate: 1 in 5.
    expect(none.inOneZone).to.be.within(0.17, 0.23);
    expect(keyspaceReport(new Ring(LAYOUTS['one zone']), 2)).to.include({ inOneZone: 1, onOneNode: 0 });
  });

  it('gives shares that sum to R, even over 2-2-2 and uneven over 1-2-3 as docs/architecture.md works out', () => {
    const shares = (members: Member[], replicationFactor: number): number[] => [...keyspaceReport(new Ring(members), replicationFactor).shares.values()];
    const even = shares(LAYOUTS['2-2-2'], 2);
    expect(even.reduce((a, b) => a + b)).to.be.closeTo(2, 1e-9);
    for (const share of even) expect(share).to.be.closeTo(1 / 3, 0.04);
    // R = 2: a server in zone z holds 1/N + Σ over other zones z' of n(z') / (N (N − n(z'))).
    const [lone, b1, b2, c1, c2, c3] = shares(LAYOUTS['1-2-3'], 2) as [number, number, number, number, number, number];
    expect(lone).to.be.closeTo(5 / 12, 0.03);
    for (const share of [b1, b2]) expect(share).to.be.closeTo(11 / 30, 0.03);
    for (const share of [c1, c2, c3]) expect(share).to.be.closeTo(17 / 60, 0.03);
    // R = 3 over 3 zones: every zone holds a copy of every key, so the lone server holds all of them.
    expect(shares(LAYOUTS['1-2-3'], 3)[0]).to.equal(1);
  });
});
