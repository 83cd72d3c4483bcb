import { expect } from 'chai';
import type { V1Deployment, V1DeploymentCondition, V1StatefulSet } from '@kubernetes/client-node';
import type { Condition, DistributedCacheSpec } from '../../../operator/api/distributed-cache.js';
import { mergeConditions, transitions } from '../../../operator/status/conditions.js';
import { computeStatus, type ObservedWorkloads } from '../../../operator/status/status.js';
import { aCache, resolved } from '../../support/operator-fixtures.js';

const NOW = new Date('2026-11-25T12:00:00.000Z');
const EARLIER = '2026-11-25T11:00:00Z';

interface Counts {
  generation?: number;
  observedGeneration?: number;
  replicas: number;
  ready: number;
  updated?: number;
  conditions?: V1DeploymentCondition[];
  specReplicas?: number;
}

function workload({ generation = 1, observedGeneration, replicas, ready, updated, conditions, specReplicas }: Counts): V1Deployment & V1StatefulSet {
  return {
    metadata: { generation },
    spec: { replicas: specReplicas ?? replicas, selector: {}, template: {} },
    status: {
      observedGeneration: observedGeneration ?? generation,
      replicas,
      readyReplicas: ready,
      updatedReplicas: updated ?? replicas,
      ...(conditions !== undefined ? { conditions } : {}),
    },
  } as V1Deployment & V1StatefulSet;
}

const all = (zk: number, servers: number, clients: number): ObservedWorkloads => ({
  zookeeper: workload({ replicas: zk, ready: zk }),
  server: workload({ replicas: servers, ready: servers }),
  client: workload({ replicas: clients, ready: clients }),
});

function status(observed: ObservedWorkloads, spec: DistributedCacheSpec = {}, options: { reconcileError?: string; previous?: Condition[]; generation?: number } = {}) {
  const cache = aCache(spec, { generation: options.generation ?? 1 });
  if (options.previous !== undefined) cache.status = { conditions: options.previous };
  return computeStatus({
    cache,
    spec: resolved(spec),
    observed,
    ...(options.reconcileError !== undefined ? { reconcileError: options.reconcileError } : {}),
    now: NOW,
  });
}

const condition = (s: ReturnType<typeof status>, type: string) => {
  const found = s.conditions?.find((c) => c.type === type);
  return found === undefined ? undefined : [found.status, found.reason];
};

describe('operator status: conditions from the observed workloads', () => {
  // [what, observed, spec, Ready, Progressing, Degraded]
  const table: Array<[string, ObservedWorkloads, DistributedCacheSpec, string[], string[], string[]]> = [
    ['nothing created yet', {}, {}, ['False', 'ZooKeeperNotReady'], ['True', 'Creating'], ['False', 'AsExpected']],
    ['every pod ready', all(1, 3, 1), {}, ['True', 'Available'], ['False', 'Complete'], ['False', 'AsExpected']],
    [
      'ZooKeeper ready, servers starting',
      { zookeeper: workload({ replicas: 1, ready: 1 }), server: workload({ replicas: 3, ready: 1 }), client: workload({ replicas: 1, ready: 0 }) },
      {},
      ['False', 'ServersNotReady'],
      ['True', 'WaitingForPods'],
      ['False', 'AsExpected'],
    ],
    [
      'servers ready, routers not',
      { ...all(1, 3, 1), client: workload({ replicas: 1, ready: 0 }) },
      {},
      ['False', 'ClientsNotReady'],
      ['True', 'WaitingForPods'],
      ['False', 'AsExpected'],
    ],
    [
      'scaled up to 5, two new servers not ready yet',
      { ...all(1, 3, 1), server: workload({ generation: 2, replicas: 5, ready: 3 }) },
      { servers: { replicas: 5 } },
      ['False', 'ServersNotReady'],
      ['True', 'WaitingForPods'],
      ['False', 'AsExpected'],
    ],
    [
      'a new spec the Deployment controller has not seen',
      { ...all(1, 3, 1), server: workload({ generation: 3, observedGeneration: 2, replicas: 3, ready: 3 }) },
      {},
      ['False', 'NotReplicated'],
      ['True', 'RollingOut'],
      ['False', 'AsExpected'],
    ],
    [
      'rolling: one of three servers updated, one surging',
      { ...all(1, 3, 1), server: workload({ replicas: 4, ready: 3, updated: 1 }) },
      {},
      ['False', 'NotReplicated'],
      ['True', 'RollingOut'],
      ['False', 'AsExpected'],
    ],
    [
      'scaling down: an old server still terminating',
      { ...all(1, 2, 1), server: workload({ replicas: 3, ready: 3, updated: 3 }) },
      { servers: { replicas: 2 } },
      ['True', 'Available'],
      ['True', 'Scaling'],
      ['False', 'AsExpected'],
    ],
    [
      'a rollout past its deadline',
      {
        ...all(1, 3, 1),
        server: workload({
          replicas: 4, ready: 3, updated: 1,
          conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "demo-server-x" has timed out progressing.' }],
        }),
      },
      {},
      ['False', 'NotReplicated'],
      ['False', 'ProgressDeadlineExceeded'],
      ['True', 'ProgressDeadlineExceeded'],
    ],
    [
      'pods that cannot be created (quota)',
      { ...all(1, 3, 1), client: workload({ replicas: 0, ready: 0, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'exceeded quota' }] }) },
      {},
      ['False', 'ClientsNotReady'],
      ['False', 'ReplicaFailure'],
      ['True', 'ReplicaFailure'],
    ],
    ['servers scaled to zero', all(1, 0, 1), { servers: { replicas: 0 } }, ['False', 'NoServers'], ['False', 'Complete'], ['False', 'AsExpected']],
    [
      'an existing ZooKeeper: no ensemble to wait for',
      { server: workload({ replicas: 3, ready: 3 }), client: workload({ replicas: 1, ready: 1 }) },
      { zookeeper: { connectString: 'zk:2181' } },
      ['True', 'Available'],
      ['False', 'Complete'],
      ['False', 'AsExpected'],
    ],
    [
      '3-member ensemble without a quorum yet',
      { ...all(3, 3, 1), zookeeper: workload({ replicas: 3, ready: 1 }) },
      { zookeeper: { replicas: 3 } },
      ['False', 'ZooKeeperNotReady'],
      ['True', 'WaitingForPods'],
      ['False', 'AsExpected'],
    ],
    [
      'routers autoscaled: the HPA set 3, all ready',
      { ...all(1, 3, 3), client: workload({ replicas: 3, ready: 3, specReplicas: 3 }) },
      { clients: { replicas: 1, autoscaling: { enabled: true } } },
      ['True', 'Available'],
      ['False', 'Complete'],
      ['False', 'AsExpected'],
    ],
  ];
  for (const [what, observed, spec, ready, progressing, degraded] of table) {
    it(`${what}: Ready ${ready.join('/')}, Progressing ${progressing.join('/')}, Degraded ${degraded.join('/')}`, () => {
      const s = status(observed, spec);
      expect(condition(s, 'Ready'), 'Ready').to.deep.equal(ready);
      expect(condition(s, 'Progressing'), 'Progressing').to.deep.equal(progressing);
      expect(condition(s, 'Degraded'), 'Degraded').to.deep.equal(degraded);
    });
  }

  it('reports a failed apply as Degraded/ReconcileError with the API server message', () => {
    const s = status(all(1, 3, 1), {}, { reconcileError: 'deployments.apps "demo-server" is forbidden' });
    const degraded = s.conditions?.find((c) => c.type === 'Degraded');
    expect(degraded).to.deep.include({ status: 'True', reason: 'ReconcileError', message: 'deployments.apps "demo-server" is forbidden' });
  });

  it('says how many of each tier are ready', () => {
    const ready = status(all(1, 3, 1)).conditions?.find((c) => c.type === 'Ready');
    expect(ready?.message).to.equal('1/1 ZooKeeper members, 3/3 servers, 1/1 clients ready');
    const waiting = status({ ...all(1, 3, 1), server: workload({ replicas: 3, ready: 2 }) }).conditions?.find((c) => c.type === 'Ready');
    expect(waiting?.message).to.equal('2/3 servers ready');
  });

  it('fills in the status fields: observedGeneration, replicas, selector, tiers, endpoint', () => {
    const s = status({ ...all(1, 3, 1), server: workload({ replicas: 4, ready: 2 }) }, { clients: { service: { port: 80 } } }, { generation: 7 });
    expect(s).to.deep.include({
      observedGeneration: 7,
      replicas: 4,
      readyReplicas: 2,
      selector: 'app.kubernetes.io/name=distributed-cache,app.kubernetes.io/instance=demo,app.kubernetes.io/component=server',
      clients: { readyReplicas: 1 },
      zookeeper: { readyReplicas: 1, connectString: 'demo-zookeeper-0.demo-zookeeper-headless.shop.svc:2181' },
      endpoint: 'http://demo-client.shop.svc:80',
    });
    expect(s.conditions?.map((c) => c.observedGeneration)).to.deep.equal([7, 7, 7, 7, 7]);
  });

  it('gives an https endpoint when the routers serve TLS', () => {
    expect(status(all(1, 3, 1), { tls: { secretName: 'shop-tls' } }).endpoint).to.equal('https://demo-client.shop.svc:5000');
  });

  it('reports a missing Secret the spec names as Degraded (SecretMissing), after a failed apply but before a stuck rollout', () => {
    const missing = [{ field: 'spec.tls.secretName', name: 'shop-tls' }];
    const stuck = workload({ replicas: 1, ready: 0, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'too slow' }] });
    const input = (reconcileError?: string) => ({
      cache: aCache({ tls: { secretName: 'shop-tls' } }),
      spec: resolved({ tls: { secretName: 'shop-tls' } }),
      observed: { ...all(1, 3, 1), client: stuck },
      missingSecrets: missing,
      ...(reconcileError !== undefined ? { reconcileError } : {}),
      now: NOW,
    });
    const degraded = (s: ReturnType<typeof computeStatus>) => s.conditions?.find((c) => c.type === 'Degraded');
    expect(degraded(computeStatus(input()))).to.deep.include({
      status: 'True',
      reason: 'SecretMissing',
      message: 'Secret "shop-tls" (spec.tls.secretName) does not exist in namespace "shop": router pods cannot start until it is created',
    });
    expect(degraded(computeStatus(input('quota exceeded')))?.reason).to.equal('ReconcileError');
    expect(degraded(computeStatus({ ...input(), missingSecrets: [] }))?.reason).to.equal('ProgressDeadlineExceeded');
  });

  it('omits ZooKeeper readiness for an existing ensemble', () => {
    expect(status(all(0, 3, 1), { zookeeper: { connectString: 'zk:2181' } }).zookeeper).to.deep.equal({ connectString: 'zk:2181' });
  });
});

describe('operator status: condition bookkeeping (API conventions)', () => {
  const previous: Condition[] = [
    { type: 'Ready', status: 'True', reason: 'Available', message: 'old', observedGeneration: 1, lastTransitionTime: EARLIER },
    { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '', observedGeneration: 1, lastTransitionTime: EARLIER },
  ];

  it('keeps lastTransitionTime while the status stays, even as reason and message change', () => {
    const [ready] = mergeConditions(previous, [{ type: 'Ready', status: 'True', reason: 'Available', message: 'new' }], 2, NOW);
    expect(ready).to.deep.equal({ type: 'Ready', status: 'True', reason: 'Available', message: 'new', observedGeneration: 2, lastTransitionTime: EARLIER });
  });

  it('moves lastTransitionTime to now when the status changes, or the condition is new', () => {
    const merged = mergeConditions(
      previous,
      [
        { type: 'Ready', status: 'False', reason: 'ServersNotReady', message: '' },
        { type: 'Progressing', status: 'True', reason: 'Scaling', message: '' },
      ],
      2,
      NOW,
    );
    expect(merged.map((c) => c.lastTransitionTime)).to.deep.equal(['2026-11-25T12:00:00Z', '2026-11-25T12:00:00Z']);
  });

  it('finds the transitions worth an Event', () => {
    const after = mergeConditions(previous, [
      { type: 'Ready', status: 'False', reason: 'ServersNotReady', message: '' },
      { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' },
    ], 2, NOW);
    expect(transitions(previous, after).map((c) => c.type)).to.deep.equal(['Ready']);
  });
});
