import { expect } from 'chai';
import type { DistributedCacheSpec } from '../../../operator/api/distributed-cache.js';
import { childKey, desiredChildren } from '../../../operator/resources/desired-state.js';
import { ANNOTATION } from '../../../operator/resources/names.js';
import { aCache, resolved } from '../../support/operator-fixtures.js';

const children = (spec: DistributedCacheSpec = {}) => desiredChildren(aCache(spec), resolved(spec));

describe('operator resources: everything a DistributedCache should have', () => {
  const cases: Array<[string, DistributedCacheSpec, string[]]> = [
    [
      'the defaults',
      {},
      [
        'NetworkPolicy/demo-zookeeper',
        'Service/demo-zookeeper-headless',
        'Service/demo-zookeeper',
        'StatefulSet/demo-zookeeper',
        'NetworkPolicy/demo-server',
        'Deployment/demo-server',
        'PodDisruptionBudget/demo-server',
        'NetworkPolicy/demo-client',
        'Deployment/demo-client',
        'Service/demo-client',
      ],
    ],
    [
      'a 3-member ensemble and both autoscalers',
      { zookeeper: { replicas: 3 }, autoscaling: { enabled: true }, clients: { autoscaling: { enabled: true } } },
      [
        'NetworkPolicy/demo-zookeeper',
        'Service/demo-zookeeper-headless',
        'Service/demo-zookeeper',
        'StatefulSet/demo-zookeeper',
        'PodDisruptionBudget/demo-zookeeper',
        'NetworkPolicy/demo-server',
        'Deployment/demo-server',
        'PodDisruptionBudget/demo-server',
        'NetworkPolicy/demo-client',
        'Deployment/demo-client',
        'Service/demo-client',
        'HorizontalPodAutoscaler/demo-server',
        'HorizontalPodAutoscaler/demo-client',
      ],
    ],
    [
      'an existing ZooKeeper',
      { zookeeper: { connectString: 'zk:2181' } },
      ['NetworkPolicy/demo-server', 'Deployment/demo-server', 'PodDisruptionBudget/demo-server', 'NetworkPolicy/demo-client', 'Deployment/demo-client', 'Service/demo-client'],
    ],
    [
      'NetworkPolicies turned off',
      { networkPolicy: { enabled: false } },
      [
        'Service/demo-zookeeper-headless',
        'Service/demo-zookeeper',
        'StatefulSet/demo-zookeeper',
        'Deployment/demo-server',
        'PodDisruptionBudget/demo-server',
        'Deployment/demo-client',
        'Service/demo-client',
      ],
    ],
  ];
  for (const [what, spec, expected] of cases) {
    it(`for ${what}: ${expected.length} children, ZooKeeper first`, () => {
      expect(children(spec).map(childKey)).to.deep.equal(expected);
    });
  }

  it('puts every child in the cache namespace, with its labels and a controller reference to the cache', () => {
    for (const child of children({ zookeeper: { replicas: 3 }, autoscaling: { enabled: true }, clients: { autoscaling: { enabled: true } } })) {
      expect(child.metadata.namespace, childKey(child)).to.equal('shop');
      expect(child.metadata.labels, childKey(child)).to.include({
        'app.kubernetes.io/name': 'distributed-cache',
        'app.kubernetes.io/instance': 'demo',
        'app.kubernetes.io/managed-by': 'distributed-cache-operator',
      });
      expect(child.metadata.ownerReferences, childKey(child)).to.deep.equal([
        {
          apiVersion: 'cache.distributed.dev/v1alpha1',
          kind: 'DistributedCache',
          name: 'demo',
          uid: '11111111-2222-3333-4444-555555555555',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
  });

  it('marks each child with a hash of itself: the same for the same spec, new when its part of the spec changes', () => {
    const hashes = (spec: DistributedCacheSpec) =>
      Object.fromEntries(children(spec).map((child) => [childKey(child), child.metadata.annotations?.[ANNOTATION.appliedHash]]));
    const before = hashes({});
    expect(Object.values(before).every((hash) => /^[0-9a-f]{16}$/.test(hash ?? ''))).to.equal(true);
    expect(hashes({})).to.deep.equal(before);
    const scaled = hashes({ servers: { replicas: 5 } });
    expect(scaled['Deployment/demo-server']).to.not.equal(before['Deployment/demo-server']);
    expect({ ...scaled, 'Deployment/demo-server': undefined }).to.deep.equal({ ...before, 'Deployment/demo-server': undefined });
  });
});
