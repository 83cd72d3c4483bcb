import { expect } from 'chai';
import type { V1Container } from '@kubernetes/client-node';
import type { DistributedCacheSpec } from '../../../operator/api/distributed-cache.js';
import { desiredServerDeployment, desiredServerHpa, desiredServerPdb } from '../../../operator/resources/server-workload.js';
import { ANNOTATION } from '../../../operator/resources/names.js';
import { contextFor, envOf } from '../../support/operator-fixtures.js';

const deployment = (spec: DistributedCacheSpec = {}) => desiredServerDeployment(contextFor(spec));
const container = (spec: DistributedCacheSpec = {}) => deployment(spec).spec?.template.spec?.containers[0] as V1Container;
const checksum = (spec: DistributedCacheSpec) => deployment(spec).spec?.template.metadata?.annotations?.[ANNOTATION.configChecksum];

describe('operator resources: the cache servers', () => {
  for (const replicas of [0, 1, 3, 10]) {
    it(`runs spec.servers.replicas (${replicas}) servers, the field kubectl scale and the HPA write`, () => {
      expect(deployment({ servers: { replicas } }).spec?.replicas).to.equal(replicas);
    });
  }

  it('is a Deployment named N-server, labelled and owned by the cache, whose selector matches its pods', () => {
    const d = deployment();
    expect(d.metadata.name).to.equal('demo-server');
    expect(d.metadata.labels).to.deep.equal({
      'app.kubernetes.io/name': 'distributed-cache',
      'app.kubernetes.io/instance': 'demo',
      'app.kubernetes.io/component': 'server',
      'app.kubernetes.io/managed-by': 'distributed-cache-operator',
    });
    expect(d.metadata.ownerReferences).to.have.length(1);
    expect(d.metadata.ownerReferences?.[0]).to.deep.include({ kind: 'DistributedCache', name: 'demo', controller: true });
    expect(d.spec?.template.metadata?.labels).to.deep.include(d.spec?.selector.matchLabels);
  });

  it('runs `node dist/dataplane/main.js server` from spec.image, else the operator default', () => {
    expect(container().args).to.deep.equal(['node', 'dist/dataplane/main.js', 'server']);
    expect(container().image).to.equal('distributed-cache:test');
    expect(container({ image: 'registry.example/cache:2' }).image).to.equal('registry.example/cache:2');
  });

  it('passes the data plane its settings: the process contract (docs/operator.md, "What it creates")', () => {
    const { values, fields } = envOf(container({ replicationFactor: 3, servers: { maxMemory: '1Gi', maxEntries: 5000, drainTimeoutSeconds: 45 }, logLevel: 'debug' }));
    expect(fields).to.deep.equal({
      NODE_ID: 'metadata.name',
      POD_IP: 'status.podIP',
      NODE_NAME: 'spec.nodeName',
      ZONE: "metadata.labels['topology.kubernetes.io/zone']",
    });
    expect(values).to.deep.include({
      PORT: '8080',
      ZK_CONNECT: 'demo-zookeeper-0.demo-zookeeper-headless.shop.svc:2181',
      CACHE_NAME: 'shop.demo',
      REPLICATION_FACTOR: '3',
      MAX_MEMORY: '1Gi',
      MAX_ENTRIES: '5000',
      DRAIN_TIMEOUT: '45s',
      LEAVE_NOTICE: '3s',
      LOG_LEVEL: 'debug',
    });
  });

  describe('placement: where the copies of a key go', () => {
    const placements: Array<[string, DistributedCacheSpec, string]> = [
      ['the default, zone', {}, 'zone'],
      ['spec.servers.placement node', { servers: { placement: 'node' } }, 'node'],
      ['spec.servers.placement none', { servers: { placement: 'none' } }, 'none'],
    ];
    for (const [what, spec, expected] of placements) {
      it(`runs PLACEMENT ${expected} for ${what}, with nothing held back`, () => {
        expect(envOf(container(spec)).values['PLACEMENT']).to.equal(expected);
      });
    }

    it('runs the placement the reconciler decided, which may be weaker than the spec (routers of an earlier release)', () => {
      const held = desiredServerDeployment(contextFor({}, {}, 'none'));
      expect(envOf(held.spec?.template.spec?.containers[0] as V1Container).values['PLACEMENT']).to.equal('none');
    });

    it('rolls the servers when the placement changes (the checksum covers it)', () => {
      expect(checksum({ servers: { placement: 'node' } })).to.not.equal(checksum({}));
      expect(checksum({ servers: { placement: 'none' } })).to.not.equal(checksum({ servers: { placement: 'node' } }));
    });

    it("takes its zone and node from the downward API: the pod's zone label and spec.nodeName, never a Node read", () => {
      const env = container().env ?? [];
      expect(env.find((e) => e.name === 'ZONE')).to.deep.equal({
        name: 'ZONE',
        valueFrom: { fieldRef: { fieldPath: "metadata.labels['topology.kubernetes.io/zone']" } },
      });
      expect(env.find((e) => e.name === 'NODE_NAME')).to.deep.equal({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    });
  });

  it('lists every member of the ensemble it runs in ZK_CONNECT, so a client moves off a dead member to a live one', () => {
    const { values } = envOf(container({ zookeeper: { replicas: 3 } }));
    expect(values['ZK_CONNECT']).to.equal([0, 1, 2].map((i) => `demo-zookeeper-${i}.demo-zookeeper-headless.shop.svc:2181`).join(','));
  });

  it('points ZK_CONNECT at an existing ensemble when connectString is set, and leaves MAX_ENTRIES out unless set', () => {
    const { values } = envOf(container({ zookeeper: { connectString: 'zk-a:2181,zk-b:2181/apps' } }));
    expect(values['ZK_CONNECT']).to.equal('zk-a:2181,zk-b:2181/apps');
    expect(values).to.not.have.property('MAX_ENTRIES');
  });

  const drains: Array<[number, number]> = [
    [30, 45],
    [1, 16],
    [600, 615],
  ];
  for (const [drain, grace] of drains) {
    it(`gives pods ${grace}s to terminate when the drain takes up to ${drain}s`, () => {
      const pod = deployment({ servers: { drainTimeoutSeconds: drain } }).spec?.template.spec;
      expect(pod?.terminationGracePeriodSeconds).to.equal(grace).and.be.greaterThan(drain);
    });
  }

  it('probes readiness on /readyz (200 while it serves and sees every key replicated) and liveness on /healthz', () => {
    const c = container();
    expect(c.readinessProbe?.httpGet).to.deep.equal({ path: '/readyz', port: 'http' });
    // Every second, and one answer counts: a hand-off must show before the operator takes the next step.
    expect(c.readinessProbe).to.deep.include({ periodSeconds: 1, failureThreshold: 1, successThreshold: 1 });
    expect(c.livenessProbe?.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
    expect(c.ports).to.deep.equal([
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9464, protocol: 'TCP' },
    ]);
  });

  it('runs as non-root with a read-only root filesystem', () => {
    const pod = deployment().spec?.template.spec;
    expect(pod?.securityContext).to.deep.include({ runAsNonRoot: true, runAsUser: 1000 });
    expect(pod?.containers[0]?.securityContext).to.deep.equal({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
    });
  });

  it('sizes memory from maxMemory and caps the V8 heap below the limit, unless resources are given', () => {
    expect(container({ servers: { maxMemory: '1Gi' } }).resources).to.deep.equal({
      requests: { cpu: '250m', memory: '1664Mi' },
      limits: { memory: '1664Mi' },
    });
    expect(envOf(container({ servers: { maxMemory: '1Gi' } })).values['NODE_OPTIONS']).to.equal('--max-old-space-size=1248');
    const given = { requests: { cpu: '2', memory: '4Gi' }, limits: { memory: '4Gi' } };
    expect(container({ servers: { resources: given } }).resources).to.deep.equal(given);
  });

  it('adds one new server before an old one leaves when it rolls', () => {
    expect(deployment().spec?.strategy).to.deep.equal({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  });

  describe('the config checksum on the pod template', () => {
    const changes: Array<[string, DistributedCacheSpec]> = [
      ['maxMemory', { servers: { maxMemory: '512Mi' } }],
      ['replicationFactor', { replicationFactor: 3 }],
      ['image', { image: 'other:1' }],
      ['the ZooKeeper ensemble', { zookeeper: { connectString: 'zk:2181' } }],
      ['resources', { servers: { resources: { requests: { cpu: '1' } } } }],
      ['the drain timeout', { servers: { drainTimeoutSeconds: 60 } }],
    ];
    for (const [what, spec] of changes) {
      it(`changes (and so rolls the servers) with ${what}`, () => {
        expect(checksum(spec)).to.match(/^[0-9a-f]{16}$/).and.not.equal(checksum({}));
      });
    }
    it('does not change with the replica count or the clients', () => {
      expect(checksum({ servers: { replicas: 7 }, clients: { replicas: 4 } })).to.equal(checksum({}));
    });
  });

  it('keeps a PodDisruptionBudget of one server at a time', () => {
    const pdb = desiredServerPdb(contextFor());
    expect(pdb.metadata.name).to.equal('demo-server');
    expect(pdb.spec).to.deep.equal({
      maxUnavailable: 1,
      selector: { matchLabels: deployment().spec?.selector.matchLabels },
    });
  });

  describe('the HPA', () => {
    it('does not exist while spec.autoscaling is off', () => {
      expect(desiredServerHpa(contextFor({}))).to.equal(undefined);
    });

    it('scales the DistributedCache itself through its scale subresource, on server CPU', () => {
      const hpa = desiredServerHpa(contextFor({ autoscaling: { enabled: true, minReplicas: 4, maxReplicas: 12, targetCPUUtilizationPercentage: 65 } }));
      expect(hpa?.metadata.name).to.equal('demo-server');
      expect(hpa?.spec?.scaleTargetRef).to.deep.equal({ apiVersion: 'cache.distributed.dev/v1alpha1', kind: 'DistributedCache', name: 'demo' });
      expect(hpa?.spec?.minReplicas).to.equal(4);
      expect(hpa?.spec?.maxReplicas).to.equal(12);
      expect(hpa?.spec?.metrics).to.deep.equal([
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 65 } } },
      ]);
    });

    it('adds a memory Utilization metric beside CPU when targetMemoryUtilizationPercentage is set', () => {
      const hpa = desiredServerHpa(contextFor({ autoscaling: { enabled: true, targetMemoryUtilizationPercentage: 75 } }));
      expect(hpa?.spec?.metrics).to.deep.equal([
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 75 } } },
      ]);
    });

    it('scales on CPU alone when no memory target is set', () => {
      const metrics = desiredServerHpa(contextFor({ autoscaling: { enabled: true } }))?.spec?.metrics ?? [];
      expect(metrics.map((m) => m.resource?.name)).to.deep.equal(['cpu']);
    });

    it('removes servers one at a time after a stabilization window, so hand-offs do not pile up', () => {
      const scaleDown = desiredServerHpa(contextFor({ autoscaling: { enabled: true } }))?.spec?.behavior?.scaleDown;
      expect(scaleDown?.stabilizationWindowSeconds).to.equal(300);
      expect(scaleDown?.policies).to.deep.equal([{ type: 'Pods', value: 1, periodSeconds: 60 }]);
      const shorter = desiredServerHpa(contextFor({ autoscaling: { enabled: true, scaleDownStabilizationWindowSeconds: 30 } }));
      expect(shorter?.spec?.behavior?.scaleDown?.stabilizationWindowSeconds).to.equal(30);
    });
  });

  it('never mounts the client tokens: only routers check them', () => {
    const spec = { auth: { secretRef: { name: 'shop-clients' } } };
    expect(deployment(spec).spec?.template.spec?.volumes?.map((v) => v.name)).to.deep.equal(['cluster-token']);
    expect(envOf(container(spec)).values).to.not.have.property('CLIENT_TOKENS_FILE');
  });
});

