// Which placement servers run with: the spec's, held at none while a router of
// an earlier release may still run (resources/server-placement.ts).
import { expect } from 'chai';
import type { V1Deployment, V1PodSpec } from '@kubernetes/client-node';
import { PLACEMENT_MODES, type PlacementMode } from '../../../operator/api/distributed-cache.js';
import { PLACEMENT_MODES as DATAPLANE_PLACEMENT_MODES } from '../../../dataplane/ring/member.js';
import { placementOf, routerFleet, serverPlacement } from '../../../operator/resources/server-placement.js';
import { desiredRouterDeployment } from '../../../operator/resources/router-workload.js';
import { desiredServerDeployment } from '../../../operator/resources/server-workload.js';
import { contextFor } from '../../support/operator-fixtures.js';

/** A server pod spec as some release rendered it: PLACEMENT as given, or none at all (undefined). */
const serverPod = (placement?: string): V1PodSpec => ({
  containers: [{ name: 'server', env: [{ name: 'PORT', value: '8080' }, ...(placement !== undefined ? [{ name: 'PLACEMENT', value: placement }] : [])] }],
});

/** The server Deployment as this operator renders it for `placement`, or as an earlier release did (no PLACEMENT). */
const servers = (placement: PlacementMode | 'earlier release'): V1Deployment =>
  placement === 'earlier release'
    ? { metadata: { generation: 1 }, spec: { selector: {}, template: { spec: serverPod() } } }
    : desiredServerDeployment(contextFor({}, {}, placement));

interface RouterState {
  marked?: boolean;
  generation?: number;
  observedGeneration?: number;
  replicas?: number;
  updated?: number;
  available?: number;
  terminating?: number;
}

/** The client Deployment with the status the Deployment controller would report. */
function routers({ marked = true, generation = 2, observedGeneration = generation, replicas = 2, updated = replicas, available = replicas, terminating }: RouterState = {}): V1Deployment {
  const rendered = desiredRouterDeployment(contextFor());
  const annotations = { ...rendered.spec?.template.metadata?.annotations };
  if (!marked) delete annotations['cache.distributed.dev/placement-aware'];
  return {
    ...rendered,
    metadata: { ...rendered.metadata, generation },
    spec: { ...rendered.spec, selector: rendered.spec?.selector ?? {}, template: { ...rendered.spec?.template, metadata: { ...rendered.spec?.template.metadata, annotations } } },
    status: {
      observedGeneration,
      replicas,
      updatedReplicas: updated,
      availableReplicas: available,
      readyReplicas: available,
      ...(terminating !== undefined ? { terminatingReplicas: terminating } : {}),
    },
  };
}

describe('operator resources: the placement servers run with', () => {
  it("offers the data plane's placements, in its order (weakest first)", () => {
    expect(PLACEMENT_MODES).to.deep.equal(DATAPLANE_PLACEMENT_MODES);
  });

  describe('placementOf: what a server pod runs with', () => {
    const table: Array<[string, V1PodSpec | undefined, PlacementMode]> = [
      ['PLACEMENT zone', serverPod('zone'), 'zone'],
      ['PLACEMENT node', serverPod('node'), 'node'],
      ['PLACEMENT none', serverPod('none'), 'none'],
      ['no PLACEMENT: a server of an earlier release, which advertises none', serverPod(), 'none'],
      ['a value the data plane would refuse', serverPod('region'), 'none'],
      ['no server container', { containers: [{ name: 'client', env: [{ name: 'PLACEMENT', value: 'zone' }] }] }, 'none'],
      ['no pod spec', undefined, 'none'],
    ];
    for (const [what, pod, expected] of table) {
      it(`${what}: ${expected}`, () => expect(placementOf(pod)).to.equal(expected));
    }
  });

  describe('routerFleet: whether every router runs a template of this release', () => {
    const table: Array<[string, V1Deployment | undefined, boolean, RegExp]> = [
      ['no client Deployment: no router runs, the first ones are of this release', undefined, true, /no router runs/],
      ['every router updated and available', routers(), true, /all 2 routers/],
      ['scaled to none', routers({ replicas: 0 }), true, /all 0 routers/],
      ["a template without the mark: an earlier release's", routers({ marked: false }), false, /earlier release/],
      ['the latest template not yet seen by the Deployment controller', routers({ generation: 3, observedGeneration: 2 }), false, /not acted/],
      ['one of two routers still on the old template', routers({ updated: 1 }), false, /1\/2 routers run this release's template/],
      ['every router updated, one not yet available', routers({ available: 1 }), false, /1 available/],
      ['an old router still terminating (Kubernetes 1.35+)', routers({ terminating: 1 }), false, /1 terminating/],
    ];
    for (const [what, deployment, follow, message] of table) {
      it(`${what}: ${follow ? 'they follow' : 'not yet'}`, () => {
        const fleet = routerFleet(deployment);
        expect(fleet.follow).to.equal(follow);
        expect(fleet.message).to.match(message);
      });
    }
  });

  describe('serverPlacement: what the server template gets', () => {
    // [what, wanted, server Deployment, client Deployment, rendered, held back]
    const table: Array<[string, PlacementMode, V1Deployment | undefined, V1Deployment | undefined, PlacementMode, boolean]> = [
      ['a new cache: nothing runs yet', 'zone', undefined, undefined, 'zone', false],
      ['an upgrade: servers and routers of an earlier release', 'zone', servers('earlier release'), routers({ marked: false }), 'none', true],
      ['routers rolling to this release', 'zone', servers('none'), routers({ updated: 1 }), 'none', true],
      ['routers rolled, not yet all available', 'zone', servers('none'), routers({ available: 1 }), 'none', true],
      ['routers rolled, an old one still terminating', 'zone', servers('none'), routers({ terminating: 1 }), 'none', true],
      ['the new router template not yet seen', 'zone', servers('none'), routers({ generation: 5, observedGeneration: 4 }), 'none', true],
      ['every router of this release', 'zone', servers('earlier release'), routers(), 'zone', false],
      ['every router of this release, node asked for', 'node', servers('none'), routers(), 'node', false],
      ['none asked for: at once, whatever runs', 'none', servers('zone'), routers({ marked: false }), 'none', false],
      ['zone to node: weaker, at once', 'node', servers('zone'), routers({ updated: 1 }), 'node', false],
      ['servers already run zone, routers roll for another change: no trip back to none', 'zone', servers('zone'), routers({ updated: 1 }), 'zone', false],
      ['servers run node, zone asked for while routers roll: routers are of this release already', 'zone', servers('node'), routers({ updated: 1 }), 'zone', false],
      ['back from none to zone once every router is of this release', 'zone', servers('none'), routers(), 'zone', false],
      ['no server Deployment yet, routers of an earlier release (a Deployment deleted by hand)', 'zone', undefined, routers({ marked: false }), 'none', true],
    ];
    for (const [what, wanted, serverDeployment, routerDeployment, rendered, heldBack] of table) {
      it(`${what}: ${rendered}`, () => {
        const decision = serverPlacement(wanted, serverDeployment, routerDeployment);
        expect(decision.wanted).to.equal(wanted);
        expect(decision.rendered).to.equal(rendered);
        expect(decision.heldBack !== undefined, 'held back').to.equal(heldBack);
      });
    }

    it('says what it waits for when it holds the servers back', () => {
      const decision = serverPlacement('zone', servers('none'), routers({ replicas: 3, updated: 1, available: 2 }));
      expect(decision.heldBack).to.equal(
        "servers run placement none until every router runs this operator's release, whose routers follow placement zone (1/3 routers run this release's template, 2 available)",
      );
    });
  });
});
