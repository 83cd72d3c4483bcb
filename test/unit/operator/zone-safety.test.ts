// The ZoneSafe condition: can a whole zone be lost with no key? From the spec,
// the placement rendered and the server pods' zones (status/zone-safety.ts).
import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import type { PlacementMode } from '../../../operator/api/distributed-cache.js';
import type { PlacementDecision } from '../../../operator/resources/server-placement.js';
import { serverPodOf, ZONE_SAFE_REASON, zoneSafeCondition, type ServerPod } from '../../../operator/status/zone-safety.js';
import { ZONE_SAFETY_REASONS } from '../../../dataplane/ring/placement-report.js';

const zone: PlacementDecision = { wanted: 'zone', rendered: 'zone' };
const HELD: PlacementDecision = { wanted: 'zone', rendered: 'none', heldBack: 'servers run placement none until every router runs this release' };

/** Serving server pods in these zones (undefined: no zone label), running `placement`. */
const pods = (zones: Array<string | undefined>, placement: PlacementMode = 'zone'): ServerPod[] =>
  zones.map((z, i) => ({ name: `demo-server-${i}`, serving: true, placement, ...(z !== undefined ? { zone: z } : {}) }));

describe('operator status: ZoneSafe', () => {
  // [what, R, placement decision, server pods, status, reason]
  const table: Array<[string, number, PlacementDecision, ServerPod[], 'True' | 'False', string]> = [
    ['three zones, one server each, R=2', 2, zone, pods(['a', 'b', 'c']), 'True', 'ZoneSpread'],
    ['two zones, 2 and 1 servers: one apart, as maxSkew 1 allows', 2, zone, pods(['a', 'a', 'b']), 'True', 'ZoneSpread'],
    ['R=3 over three zones', 3, zone, pods(['a', 'b', 'c', 'a', 'b', 'c']), 'True', 'ZoneSpread'],
    ['zones 3, 1 and 1 apart by 2: safe, unevenly loaded', 2, zone, pods(['a', 'a', 'a', 'b', 'c']), 'True', 'ZoneSpreadUneven'],
    ['one copy of each key', 1, zone, pods(['a', 'b', 'c']), 'False', 'OneCopy'],
    ['one copy comes before anything else', 1, { wanted: 'none', rendered: 'none' }, [], 'False', 'OneCopy'],
    ['placement node asked for', 2, { wanted: 'node', rendered: 'node' }, pods(['a', 'b', 'c'], 'node'), 'False', 'PlacementNotZone'],
    ['placement none asked for', 2, { wanted: 'none', rendered: 'none' }, pods(['a', 'b', 'c'], 'none'), 'False', 'PlacementNotZone'],
    ['held at none for routers of an earlier release', 2, HELD, pods(['a', 'b', 'c'], 'none'), 'False', 'PlacementSwitching'],
    ['a server pod still runs none while the Deployment rolls', 2, zone, [...pods(['a', 'b']), ...pods(['c'], 'none')], 'False', 'PlacementSwitching'],
    ['a terminating server of the old placement is still in the ring', 2, zone, [...pods(['a', 'b']), { name: 'old', serving: false, zone: 'c', placement: 'node' }], 'False', 'PlacementSwitching'],
    ['a serving server without a zone label', 2, zone, pods(['a', 'b', undefined]), 'False', 'ZoneUnknown'],
    ['no server has a zone label (a cluster without PodTopologyLabels)', 2, zone, pods([undefined, undefined, undefined]), 'False', 'ZoneUnknown'],
    ['every server in one zone', 2, zone, pods(['a', 'a', 'a']), 'False', 'TooFewZones'],
    ['two zones for three copies', 3, zone, pods(['a', 'b', 'a', 'b']), 'False', 'TooFewZones'],
    ['no server ready yet', 2, zone, [], 'False', 'TooFewZones'],
    ['only the serving servers count: the one in zone c is not ready', 2, zone, [...pods(['a', 'a']), { name: 'c', serving: false, zone: 'c', placement: 'zone' }], 'False', 'TooFewZones'],
    ['a pod without a zone that is not ready yet does not count', 2, zone, [...pods(['a', 'b']), { name: 'new', serving: false, placement: 'zone' }], 'True', 'ZoneSpread'],
  ];
  for (const [what, replicationFactor, placement, serverPods, status, reason] of table) {
    it(`${what}: ${status} (${reason})`, () => {
      const condition = zoneSafeCondition({ replicationFactor, placement, pods: serverPods });
      expect(condition.type).to.equal('ZoneSafe');
      expect([condition.status, condition.reason]).to.deep.equal([status, reason]);
      expect(condition.message).to.be.a('string').that.is.not.empty;
    });
  }

  it("gives the data plane's reasons (dcache_ring_zone_safe{reason}) the same names, and adds only ZoneSpreadUneven", () => {
    const operator = Object.values(ZONE_SAFE_REASON);
    expect(operator).to.include.members([...ZONE_SAFETY_REASONS]);
    expect(operator.filter((reason) => !(ZONE_SAFETY_REASONS as readonly string[]).includes(reason))).to.deep.equal(['ZoneSpreadUneven']);
  });

  it('names the servers per zone when safe', () => {
    expect(zoneSafeCondition({ replicationFactor: 2, placement: zone, pods: pods(['b', 'a', 'b', 'a']) }).message).to.equal(
      "every key's 2 copies are in 2 distinct zones (ready servers per zone: a=2, b=2)",
    );
    expect(zoneSafeCondition({ replicationFactor: 2, placement: zone, pods: pods(['a', 'a', 'a', 'b']) }).message).to.equal(
      "every key's 2 copies are in 2 distinct zones, but zones hold uneven numbers of ready servers (a=3, b=1): the servers of the smaller zones carry more keys each",
    );
  });

  it('names the pods without a zone, and says where the label comes from', () => {
    const message = zoneSafeCondition({ replicationFactor: 2, placement: zone, pods: pods(['a', undefined, 'b', undefined]) }).message;
    expect(message).to.match(/^no zone known for server pods demo-server-1, demo-server-3: no topology\.kubernetes\.io\/zone label/);
    expect(message).to.contain('PodTopologyLabels');
  });

  it('names the pods in the same order however they are listed, so that a restarted operator writes the same status', () => {
    const listed = pods(['a', undefined, 'b', undefined, undefined]);
    const message = (order: ServerPod[]) => zoneSafeCondition({ replicationFactor: 2, placement: zone, pods: order }).message;
    expect(message([...listed].reverse())).to.equal(message(listed));
    expect(message(listed)).to.contain('demo-server-1, demo-server-3, demo-server-4:');
  });

  it('names at most five pods', () => {
    const message = zoneSafeCondition({ replicationFactor: 2, placement: zone, pods: pods(Array.from({ length: 8 }, () => undefined)) }).message;
    expect(message).to.contain('demo-server-0, demo-server-1, demo-server-2, demo-server-3, demo-server-4 and 3 more');
  });

  it('says how many zones hold servers when they are too few', () => {
    expect(zoneSafeCondition({ replicationFactor: 2, placement: zone, pods: pods(['a', 'a']) }).message).to.equal(
      'ready servers are in 1 zone (a=2), fewer than the 2 copies of each key',
    );
  });

  it('quotes why the placement is held back', () => {
    expect(zoneSafeCondition({ replicationFactor: 2, placement: HELD, pods: [] }).message).to.equal(HELD.heldBack);
  });

  describe('serverPodOf: a pod as the condition sees it', () => {
    const pod = (over: { ready?: boolean; phase?: string; zone?: string; deleting?: boolean; placement?: string }): V1Pod => ({
      metadata: {
        name: 'demo-server-x',
        labels: { 'app.kubernetes.io/component': 'server', ...(over.zone !== undefined ? { 'topology.kubernetes.io/zone': over.zone } : {}) },
        ...(over.deleting === true ? { deletionTimestamp: new Date('2026-11-25T12:00:00Z') } : {}),
      },
      spec: { containers: [{ name: 'server', env: over.placement !== undefined ? [{ name: 'PLACEMENT', value: over.placement }] : [] }] },
      status: { phase: over.phase ?? 'Running', conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }] },
    });
    const table: Array<[string, V1Pod, ServerPod | undefined]> = [
      ['ready, in zone a, PLACEMENT zone', pod({ zone: 'a', placement: 'zone' }), { name: 'demo-server-x', serving: true, zone: 'a', placement: 'zone' }],
      ['not ready', pod({ zone: 'a', placement: 'zone', ready: false }), { name: 'demo-server-x', serving: false, zone: 'a', placement: 'zone' }],
      ['terminating: leaving, no longer serving', pod({ zone: 'a', placement: 'zone', deleting: true }), { name: 'demo-server-x', serving: false, zone: 'a', placement: 'zone' }],
      ['no zone label', pod({ placement: 'zone' }), { name: 'demo-server-x', serving: true, placement: 'zone' }],
      ['an empty zone label', pod({ zone: '', placement: 'zone' }), { name: 'demo-server-x', serving: true, placement: 'zone' }],
      ['no PLACEMENT: an earlier release', pod({ zone: 'a' }), { name: 'demo-server-x', serving: true, zone: 'a', placement: 'none' }],
      ['Failed: no member of the ring', pod({ zone: 'a', phase: 'Failed' }), undefined],
      ['Succeeded: no member of the ring', pod({ zone: 'a', phase: 'Succeeded' }), undefined],
    ];
    for (const [what, given, expected] of table) {
      it(what, () => expect(serverPodOf(given)).to.deep.equal(expected));
    }
  });
});
