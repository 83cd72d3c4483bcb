// reconcile(key) against an in-memory cluster: what it writes, and when it
// writes nothing. (The integration suite runs it against a real API server.)
import { expect } from 'chai';
import { pino } from 'pino';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { DistributedCache, DistributedCacheSpec, DistributedCacheStatus } from '../../../operator/api/distributed-cache.js';
import { KubeApiError } from '../../../operator/kube/api-error.js';
import type { ClusterState, ClusterWriter, EventRecorder, EventType, PodMonitorLookup, SecretPresence } from '../../../operator/reconcile/ports.js';
import { MISSING_POD_MONITOR_CRD_RECHECK_MS, MISSING_SECRET_RECHECK_MS, Reconciler, ReconcileError } from '../../../operator/reconcile/reconciler.js';
import type { ChildObject } from '../../../operator/resources/child-kinds.js';
import { childKey } from '../../../operator/resources/desired-state.js';
import { aCache, TEST_DEFAULTS } from '../../support/operator-fixtures.js';

/** A cluster that stores what is applied (as the API server would, minus defaulting) and counts writes. */
class MemoryCluster implements ClusterState, ClusterWriter, SecretPresence, PodMonitorLookup, EventRecorder {
  readonly caches = new Map<string, DistributedCache>();
  readonly objects = new Map<string, ChildObject>();
  readonly writes: string[] = [];
  readonly events: Array<{ type: EventType; reason: string; note: string }> = [];
  failApplyOf: string | undefined;
  failure: (key: string) => Error = (key) => new Error(`${key} is forbidden`);
  private version = 0;

  cache(namespace: string, name: string): DistributedCache | undefined {
    return this.caches.get(`${namespace}/${name}`);
  }

  childrenOf(cache: DistributedCache): ChildObject[] {
    return [...this.objects.values()].filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === cache.metadata.uid));
  }

  /** The server pods a kubelet and the scheduler would have made (a test puts them here). */
  serverPods: V1Pod[] = [];

  serverPodsOf(_cache: DistributedCache): V1Pod[] {
    return this.serverPods;
  }

  async apply(object: ChildObject): Promise<{ object: ChildObject; created: boolean }> {
    const key = childKey(object);
    if (this.failApplyOf === key) throw this.failure(key);
    this.writes.push(`apply ${key}`);
    const store = this.storeOf(object);
    const created = !store.has(key);
    const stored = { ...structuredClone(object), metadata: { ...object.metadata, resourceVersion: String(++this.version) } };
    store.set(key, stored);
    return { object: stored, created };
  }

  /** Apart from `objects`: PodMonitors are not among the children (ClusterState) but behind PodMonitorLookup. */
  readonly podMonitors = new Map<string, ChildObject>();
  /** Whether the "cluster" serves monitoring.coreos.com/v1 PodMonitors. */
  podMonitorCrd = false;
  podMonitorLookups = 0;

  private storeOf(object: ChildObject): Map<string, ChildObject> {
    return object.kind === 'PodMonitor' ? this.podMonitors : this.objects;
  }

  async served(): Promise<boolean> {
    this.podMonitorLookups++;
    return this.podMonitorCrd;
  }

  async get(_namespace: string, name: string): Promise<ChildObject | undefined> {
    this.podMonitorLookups++;
    return this.podMonitors.get(`PodMonitor/${name}`);
  }

  /** Kept apart from `objects`: the operator never reads them back (no informer watches Secrets). */
  readonly createdOnly = new Map<string, ChildObject>();

  async createIfMissing(object: ChildObject): Promise<boolean> {
    const key = childKey(object);
    if (this.failApplyOf === key) throw this.failure(key);
    if (this.createdOnly.has(key)) return false;
    this.writes.push(`create ${key}`);
    this.createdOnly.set(key, structuredClone(object));
    return true;
  }

  /** Secrets the user made, by namespace/name; the operator can only ask whether one exists. */
  readonly userSecrets = new Set<string>();
  secretLookups = 0;

  async secretExists(namespace: string, name: string): Promise<boolean> {
    this.secretLookups++;
    return this.userSecrets.has(`${namespace}/${name}`) || this.createdOnly.has(`Secret/${name}`);
  }

  async delete(object: ChildObject): Promise<void> {
    this.writes.push(`delete ${childKey(object)}`);
    this.storeOf(object).delete(childKey(object));
  }

  async applyStatus(cache: DistributedCache, status: DistributedCacheStatus): Promise<void> {
    this.writes.push('status');
    const key = `${cache.metadata.namespace}/${cache.metadata.name}`;
    const current = this.caches.get(key);
    if (current !== undefined) this.caches.set(key, { ...current, status: structuredClone(status) });
  }

  record(_cache: DistributedCache, type: EventType, reason: string, note: string): void {
    this.events.push({ type, reason, note });
  }

  /** What a kubelet and the workload controllers would report once every pod runs and is ready. */
  allPodsReady(): void {
    for (const object of this.objects.values()) {
      const spec = object['spec'] as { replicas?: number } | undefined;
      if (object.kind !== 'Deployment' && object.kind !== 'StatefulSet') continue;
      const replicas = spec?.replicas ?? 1;
      object['status'] = { observedGeneration: 1, replicas, readyReplicas: replicas, updatedReplicas: replicas, availableReplicas: replicas };
      object.metadata.generation = 1;
    }
  }

  setSpec(spec: DistributedCacheSpec): void {
    const cache = this.caches.get('shop/demo') as DistributedCache;
    this.caches.set('shop/demo', { ...cache, spec, metadata: { ...cache.metadata, generation: (cache.metadata.generation ?? 1) + 1 } });
  }

  takeWrites(): string[] {
    return this.writes.splice(0);
  }
}

let tokensMade = 0;

function setUp(spec: DistributedCacheSpec = {}): { cluster: MemoryCluster; reconciler: Reconciler } {
  const cluster = new MemoryCluster();
  cluster.caches.set('shop/demo', aCache(spec));
  const reconciler = new Reconciler({
    state: cluster,
    writer: cluster,
    secrets: cluster,
    podMonitors: cluster,
    events: cluster,
    defaults: TEST_DEFAULTS,
    logger: pino({ level: 'silent' }),
    now: () => new Date('2026-11-25T12:00:00Z'),
    newToken: () => `token-${++tokensMade}`,
  });
  return { cluster, reconciler };
}

describe('operator reconcile: one DistributedCache', () => {
  it('creates every child, then writes the status, and records what it created', async () => {
    const { cluster, reconciler } = setUp();
    await reconciler.reconcile('shop/demo');
    expect(cluster.takeWrites()).to.deep.equal([
      'create Secret/demo-cluster-token',
      'apply NetworkPolicy/demo-zookeeper',
      'apply Service/demo-zookeeper-headless',
      'apply Service/demo-zookeeper',
      'apply StatefulSet/demo-zookeeper',
      'apply NetworkPolicy/demo-server',
      'apply Deployment/demo-server',
      'apply PodDisruptionBudget/demo-server',
      'apply NetworkPolicy/demo-client',
      'apply Deployment/demo-client',
      'apply Service/demo-client',
      'status',
    ]);
    expect(cluster.events.filter((e) => e.reason === 'Created')).to.have.length(11);
    const status = cluster.cache('shop', 'demo')?.status;
    expect(status?.observedGeneration).to.equal(1);
    expect(status?.conditions?.map((c) => [c.type, c.status])).to.deep.equal([['Ready', 'False'], ['Replicated', 'False'], ['Progressing', 'True'], ['Degraded', 'False'], ['ZoneSafe', 'False']]);
  });

  it('creates the cluster token Secret once, and never writes it again, even from a new operator', async () => {
    const { cluster, reconciler } = setUp();
    await reconciler.reconcile('shop/demo');
    const secret = cluster.createdOnly.get('Secret/demo-cluster-token');
    expect(secret?.['stringData']).to.deep.equal({ token: `token-${tokensMade}\n` });
    const restarted = new Reconciler({
      state: cluster, writer: cluster, secrets: cluster, podMonitors: cluster, events: cluster, defaults: TEST_DEFAULTS, logger: pino({ level: 'silent' }), newToken: () => 'another-token',
    });
    cluster.takeWrites();
    await restarted.reconcile('shop/demo');
    await reconciler.reconcile('shop/demo');
    expect(cluster.takeWrites().filter((w) => w.includes('Secret'))).to.deep.equal([]);
    expect(cluster.createdOnly.get('Secret/demo-cluster-token')).to.deep.equal(secret);
  });

  it('writes nothing at all when nothing changed', async () => {
    const { cluster, reconciler } = setUp();
    await reconciler.reconcile('shop/demo');
    cluster.takeWrites();
    await reconciler.reconcile('shop/demo');
    await reconciler.reconcile('shop/demo');
    expect(cluster.takeWrites()).to.deep.equal([]);
  });

  it('reports Ready once the pods are, with an Event', async () => {
    const { cluster, reconciler } = setUp();
    await reconciler.reconcile('shop/demo');
    cluster.allPodsReady();
    await reconciler.reconcile('shop/demo');
    expect(cluster.takeWrites()).to.deep.equal([
      'create Secret/demo-cluster-token',
      ...[
        'NetworkPolicy/demo-zookeeper', 'Service/demo-zookeeper-headless', 'Service/demo-zookeeper', 'StatefulSet/demo-zookeeper',
        'NetworkPolicy/demo-server', 'Deployment/demo-server', 'PodDisruptionBudget/demo-server',
        'NetworkPolicy/demo-client', 'Deployment/demo-client', 'Service/demo-client',
      ].map((k) => `apply ${k}`),
      'status',
      'status',
    ]);
    const ready = cluster.cache('shop', 'demo')?.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).to.deep.include({ status: 'True', reason: 'Available' });
    expect(cluster.events.map((e) => e.reason)).to.include('Available');
  });

  it('puts back a child that was deleted', async () => {
    const { cluster, reconciler } = setUp();
    await reconciler.reconcile('shop/demo');
    cluster.takeWrites();
    cluster.objects.delete('Service/demo-client');
    await reconciler.reconcile('shop/demo');
    expect(cluster.takeWrites()).to.deep.equal(['apply Service/demo-client']);
  });

  it('applies only the children a spec change touches', async () => {
    const { cluster, reconciler } = setUp();
    await reconciler.reconcile('shop/demo');
    cluster.takeWrites();
    cluster.setSpec({ servers: { replicas: 5 } });
    await reconciler.reconcile('shop/demo');
    expect(cluster.takeWrites()).to.deep.equal(['apply Deployment/demo-server', 'status']);
    expect(cluster.cache('shop', 'demo')?.status?.observedGeneration).to.equal(2);
  });

  it('deletes the HPAs when autoscaling is turned off, and the ensemble when connectString takes over', async () => {
    const { cluster, reconciler } = setUp({ autoscaling: { enabled: true }, clients: { autoscaling: { enabled: true } } });
    await reconciler.reconcile('shop/demo');
    expect(cluster.objects.has('HorizontalPodAutoscaler/demo-server')).to.equal(true);
    cluster.takeWrites();
    cluster.setSpec({ zookeeper: { connectString: 'zk:2181' } });
    await reconciler.reconcile('shop/demo');
    const writes = cluster.takeWrites();
    expect(writes.filter((w) => w.startsWith('delete')).sort()).to.deep.equal([
      'delete HorizontalPodAutoscaler/demo-client',
      'delete HorizontalPodAutoscaler/demo-server',
      'delete NetworkPolicy/demo-zookeeper',
      'delete Service/demo-zookeeper',
      'delete Service/demo-zookeeper-headless',
      'delete StatefulSet/demo-zookeeper',
    ]);
    expect(writes).to.include('apply Deployment/demo-server');
  });

  it('reports a failed apply as Degraded, goes on with the other children, and fails so that it is retried', async () => {
    const { cluster, reconciler } = setUp();
    cluster.failApplyOf = 'Deployment/demo-server';
    const failure = await reconciler.reconcile('shop/demo').then(() => undefined, (error: unknown) => error);
    expect(failure).to.be.instanceOf(ReconcileError);
    expect(cluster.objects.has('Deployment/demo-client')).to.equal(true);
    const degraded = cluster.cache('shop', 'demo')?.status?.conditions?.find((c) => c.type === 'Degraded');
    expect(degraded).to.deep.include({ status: 'True', reason: 'ReconcileError', message: 'Deployment/demo-server is forbidden' });
    expect(cluster.events.some((e) => e.type === 'Warning' && e.reason === 'ReconcileError')).to.equal(true);

    cluster.failApplyOf = undefined;
    await reconciler.reconcile('shop/demo');
    expect(cluster.cache('shop', 'demo')?.status?.conditions?.find((c) => c.type === 'Degraded')?.status).to.equal('False');
  });

  it("quotes the API server's own words for a failure it explained, not the whole request", async () => {
    const { cluster, reconciler } = setUp();
    cluster.failApplyOf = 'Deployment/demo-server';
    cluster.failure = () => new KubeApiError(403, 'Forbidden', 'deployments.apps "demo-server" is forbidden: exceeded quota', 'PATCH', '/apis/apps/v1/namespaces/shop/deployments/demo-server');
    await reconciler.reconcile('shop/demo').catch(() => undefined);
    const degraded = cluster.cache('shop', 'demo')?.status?.conditions?.find((c) => c.type === 'Degraded');
    expect(degraded?.message).to.equal('deployments.apps "demo-server" is forbidden: exceeded quota');
  });

  const degradedOf = (cluster: MemoryCluster) => cluster.cache('shop', 'demo')?.status?.conditions?.find((c) => c.type === 'Degraded');

  it('reports Degraded (SecretMissing) while the TLS Secret does not exist, applies the routers all the same, and asks to look again', async () => {
    const { cluster, reconciler } = setUp({ tls: { secretName: 'shop-tls' } });
    const result = await reconciler.reconcile('shop/demo');
    expect(result).to.deep.equal({ requeueAfterMs: MISSING_SECRET_RECHECK_MS });
    expect(cluster.objects.has('Deployment/demo-client'), 'the routers wait for the Secret rather than not exist').to.equal(true);
    expect(degradedOf(cluster)).to.deep.include({
      status: 'True',
      reason: 'SecretMissing',
      message: 'Secret "shop-tls" (spec.tls.secretName) does not exist in namespace "shop": router pods cannot start until it is created',
    });
    expect(cluster.events.some((e) => e.type === 'Warning' && e.reason === 'SecretMissing')).to.equal(true);

    cluster.userSecrets.add('shop/shop-tls');
    expect(await reconciler.reconcile('shop/demo')).to.deep.equal({});
    expect(degradedOf(cluster)).to.deep.include({ status: 'False', reason: 'AsExpected' });
  });

  it('names every missing Secret the spec refers to, the client tokens too', async () => {
    const { cluster, reconciler } = setUp({ tls: { secretName: 'shop-tls' }, auth: { secretRef: { name: 'shop-clients' } } });
    cluster.userSecrets.add('shop/shop-tls');
    await reconciler.reconcile('shop/demo');
    expect(degradedOf(cluster)?.message).to.equal('Secret "shop-clients" (spec.auth.secretRef.name) does not exist in namespace "shop": router pods cannot start until it is created');
  });

  it('asks about no Secret, and never asks to look again, when the spec names none', async () => {
    const { cluster, reconciler } = setUp();
    expect(await reconciler.reconcile('shop/demo')).to.deep.equal({});
    expect(cluster.secretLookups).to.equal(0);
  });

  const monitoringReadyOf = (cluster: MemoryCluster) =>
    cluster.cache('shop', 'demo')?.status?.conditions?.find((c) => c.type === 'MonitoringReady');

  it('asks nothing about PodMonitors, and sets no MonitoringReady, while spec.monitoring is off', async () => {
    const { cluster, reconciler } = setUp();
    cluster.podMonitorCrd = true;
    await reconciler.reconcile('shop/demo');
    expect(cluster.podMonitorLookups).to.equal(0);
    expect(monitoringReadyOf(cluster)).to.equal(undefined);
  });

  it('without the PodMonitor CRD: MonitoringReady False (PodMonitorCRDMissing), every other child as usual, no failure, and a look again later', async () => {
    const { cluster, reconciler } = setUp({ monitoring: { enabled: true } });
    const result = await reconciler.reconcile('shop/demo');
    expect(result).to.deep.equal({ requeueAfterMs: MISSING_POD_MONITOR_CRD_RECHECK_MS });
    expect(cluster.podMonitors.size).to.equal(0);
    expect(cluster.objects.has('Deployment/demo-server') && cluster.objects.has('Deployment/demo-client')).to.equal(true);
    expect(monitoringReadyOf(cluster)).to.deep.include({ status: 'False', reason: 'PodMonitorCRDMissing' });
    expect(degradedOf(cluster)).to.deep.include({ status: 'False', reason: 'AsExpected' });
    // A missing Secret looks again sooner; the shorter delay wins.
    cluster.setSpec({ monitoring: { enabled: true }, tls: { secretName: 'shop-tls' } });
    expect(await reconciler.reconcile('shop/demo')).to.deep.equal({ requeueAfterMs: Math.min(MISSING_SECRET_RECHECK_MS, MISSING_POD_MONITOR_CRD_RECHECK_MS) });
  });

  it('creates the PodMonitor once the CRD is served, marks MonitoringReady True, and then writes nothing', async () => {
    const { cluster, reconciler } = setUp({ monitoring: { enabled: true } });
    await reconciler.reconcile('shop/demo');
    cluster.podMonitorCrd = true;
    cluster.takeWrites();
    expect(await reconciler.reconcile('shop/demo')).to.deep.equal({});
    expect(cluster.takeWrites()).to.deep.equal(['apply PodMonitor/demo', 'status']);
    expect(cluster.podMonitors.get('PodMonitor/demo')?.metadata.ownerReferences?.[0]).to.deep.include({ kind: 'DistributedCache', uid: cluster.cache('shop', 'demo')?.metadata.uid });
    expect(monitoringReadyOf(cluster)).to.deep.include({ status: 'True', reason: 'PodMonitorApplied' });
    expect(cluster.events.some((e) => e.reason === 'Created' && e.note === 'created PodMonitor demo')).to.equal(true);
    await reconciler.reconcile('shop/demo');
    expect(cluster.takeWrites()).to.deep.equal([]);
  });

  it('puts back a PodMonitor that was deleted or edited by hand', async () => {
    const { cluster, reconciler } = setUp({ monitoring: { enabled: true } });
    cluster.podMonitorCrd = true;
    await reconciler.reconcile('shop/demo');
    cluster.takeWrites();
    const podMonitor = cluster.podMonitors.get('PodMonitor/demo') as ChildObject;
    cluster.podMonitors.set('PodMonitor/demo', { ...podMonitor, spec: { ...(podMonitor['spec'] as object), podTargetLabels: [] } });
    await reconciler.reconcile('shop/demo');
    cluster.podMonitors.clear();
    await reconciler.reconcile('shop/demo');
    expect(cluster.takeWrites()).to.deep.equal(['apply PodMonitor/demo', 'apply PodMonitor/demo']);
  });

  it('deletes the PodMonitor and drops MonitoringReady when monitoring is turned off, then asks no more', async () => {
    const { cluster, reconciler } = setUp({ monitoring: { enabled: true } });
    cluster.podMonitorCrd = true;
    await reconciler.reconcile('shop/demo');
    cluster.setSpec({ monitoring: { enabled: false } });
    cluster.takeWrites();
    await reconciler.reconcile('shop/demo');
    expect(cluster.takeWrites()).to.deep.equal(['delete PodMonitor/demo', 'status']);
    expect(monitoringReadyOf(cluster)).to.equal(undefined);
    const lookups = cluster.podMonitorLookups;
    await reconciler.reconcile('shop/demo');
    expect(cluster.podMonitorLookups).to.equal(lookups);
  });

  it("leaves a PodMonitor of the same name that another owner controls when monitoring is off", async () => {
    const { cluster, reconciler } = setUp({ monitoring: { enabled: true } });
    cluster.podMonitorCrd = true;
    await reconciler.reconcile('shop/demo');
    const ours = cluster.podMonitors.get('PodMonitor/demo') as ChildObject;
    cluster.podMonitors.set('PodMonitor/demo', { ...ours, metadata: { ...ours.metadata, ownerReferences: [] } });
    cluster.setSpec({});
    cluster.takeWrites();
    await reconciler.reconcile('shop/demo');
    expect(cluster.takeWrites()).to.deep.equal(['status']);
    expect(cluster.podMonitors.size).to.equal(1);
  });

  it('keeps MonitoringReady (PodMonitorFailed) and fails when the PodMonitor cannot be removed, so that the retry removes it', async () => {
    const { cluster, reconciler } = setUp({ monitoring: { enabled: true } });
    cluster.podMonitorCrd = true;
    await reconciler.reconcile('shop/demo');
    cluster.setSpec({});
    const lookup = cluster.get.bind(cluster);
    cluster.get = async () => {
      throw new Error('podmonitors is forbidden');
    };
    const error = await reconciler.reconcile('shop/demo').then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(ReconcileError);
    expect(monitoringReadyOf(cluster)).to.deep.include({ status: 'False', reason: 'PodMonitorFailed', message: 'podmonitors is forbidden' });
    cluster.get = lookup;
    await reconciler.reconcile('shop/demo');
    expect(cluster.podMonitors.size).to.equal(0);
    expect(monitoringReadyOf(cluster)).to.equal(undefined);
  });

  describe('placement: servers follow spec.servers.placement once every router can', () => {
    const deployment = (cluster: MemoryCluster, name: string) => cluster.objects.get(`Deployment/${name}`) as ChildObject & V1Deployment;
    const serverEnv = (cluster: MemoryCluster) => deployment(cluster, 'demo-server').spec?.template.spec?.containers[0]?.env ?? [];
    const placementOfServers = (cluster: MemoryCluster) => serverEnv(cluster).find((e) => e.name === 'PLACEMENT')?.value;
    const zoneSafe = (cluster: MemoryCluster) => cluster.cache('shop', 'demo')?.status?.conditions?.find((c) => c.type === 'ZoneSafe');

    /** What an operator of an earlier release left: servers with no PLACEMENT, ZONE or NODE_NAME, routers with no mark. */
    function asEarlierRelease(cluster: MemoryCluster): void {
      const server = deployment(cluster, 'demo-server').spec?.template.spec?.containers[0];
      if (server !== undefined) server.env = server.env?.filter((e) => !['PLACEMENT', 'ZONE', 'NODE_NAME'].includes(e.name));
      delete deployment(cluster, 'demo-client').spec?.template.metadata?.annotations?.['cache.distributed.dev/placement-aware'];
      for (const name of ['demo-server', 'demo-client']) {
        const object = deployment(cluster, name);
        object.metadata.annotations = { ...object.metadata.annotations, 'cache.distributed.dev/applied-hash': 'earlier-release' };
      }
    }

    it('gives a new cache its placement at once: no router of an earlier release can run', async () => {
      const { cluster, reconciler } = setUp();
      await reconciler.reconcile('shop/demo');
      expect(placementOfServers(cluster)).to.equal('zone');
    });

    it('holds the servers of an upgraded cache at none until every router runs this release, then gives them zone, and keeps it through later router rollouts', async () => {
      const { cluster, reconciler } = setUp();
      await reconciler.reconcile('shop/demo');
      asEarlierRelease(cluster);
      cluster.allPodsReady();
      cluster.takeWrites();

      await reconciler.reconcile('shop/demo');
      expect(cluster.takeWrites()).to.include.members(['apply Deployment/demo-server', 'apply Deployment/demo-client']);
      expect(placementOfServers(cluster)).to.equal('none');
      expect(deployment(cluster, 'demo-client').spec?.template.metadata?.annotations).to.include({ 'cache.distributed.dev/placement-aware': 'true' });
      expect(zoneSafe(cluster)).to.deep.include({ status: 'False', reason: 'PlacementSwitching' });

      // The Deployment controller rolls the routers: the new template seen, the one router not replaced yet.
      const routers = deployment(cluster, 'demo-client');
      routers.metadata.generation = 2;
      routers.status = { observedGeneration: 2, replicas: 1, updatedReplicas: 0, availableReplicas: 1 };
      await reconciler.reconcile('shop/demo');
      expect(placementOfServers(cluster), 'while the old router runs').to.equal('none');
      expect(zoneSafe(cluster)?.message).to.contain('0/1 routers run this release');

      cluster.allPodsReady();
      await reconciler.reconcile('shop/demo');
      expect(placementOfServers(cluster), 'once every router runs this release').to.equal('zone');

      // A later change rolls the routers again (TLS on): the servers stay at zone, their keys stay put.
      cluster.setSpec({ tls: { secretName: 'shop-tls' } });
      await reconciler.reconcile('shop/demo');
      const rolling = deployment(cluster, 'demo-client');
      rolling.metadata.generation = 3;
      rolling.status = { observedGeneration: 3, replicas: 1, updatedReplicas: 0, availableReplicas: 1 };
      await reconciler.reconcile('shop/demo');
      expect(placementOfServers(cluster)).to.equal('zone');
    });

    it('applies a weaker placement at once, whatever the routers are doing', async () => {
      const { cluster, reconciler } = setUp();
      await reconciler.reconcile('shop/demo');
      const routers = deployment(cluster, 'demo-client');
      routers.metadata.generation = 2;
      routers.status = { observedGeneration: 1, replicas: 1, updatedReplicas: 0, availableReplicas: 0 };
      cluster.setSpec({ servers: { placement: 'node' } });
      await reconciler.reconcile('shop/demo');
      expect(placementOfServers(cluster)).to.equal('node');
      expect(zoneSafe(cluster)).to.deep.include({ status: 'False', reason: 'PlacementNotZone' });
    });

    it('reports ZoneSafe from the server pods, and a Warning when the cluster takes it away', async () => {
      const { cluster, reconciler } = setUp();
      await reconciler.reconcile('shop/demo');
      cluster.allPodsReady();
      const pod = (name: string, zone: string): V1Pod => ({
        metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } },
        spec: { containers: [{ name: 'server', env: [{ name: 'PLACEMENT', value: 'zone' }] }] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      });
      cluster.serverPods = [pod('demo-server-a', 'eu-1a'), pod('demo-server-b', 'eu-1b'), pod('demo-server-c', 'eu-1c')];
      await reconciler.reconcile('shop/demo');
      expect(zoneSafe(cluster)).to.deep.include({ status: 'True', reason: 'ZoneSpread' });

      cluster.events.splice(0);
      cluster.serverPods = [pod('demo-server-a', 'eu-1a'), pod('demo-server-d', 'eu-1a'), pod('demo-server-e', 'eu-1a')];
      await reconciler.reconcile('shop/demo');
      expect(zoneSafe(cluster)).to.deep.include({ status: 'False', reason: 'TooFewZones' });
      expect(cluster.events).to.deep.include({
        type: 'Warning',
        reason: 'TooFewZones',
        note: 'ZoneSafe is False: ready servers are in 1 zone (eu-1a=3), fewer than the 2 copies of each key',
      });
    });
  });

  it('does nothing for a cache that is gone or being deleted', async () => {
    const { cluster, reconciler } = setUp();
    await reconciler.reconcile('shop/other');
    const cache = cluster.caches.get('shop/demo') as DistributedCache;
    cluster.caches.set('shop/demo', { ...cache, metadata: { ...cache.metadata, deletionTimestamp: '2026-11-25T12:00:00Z' } });
    await reconciler.reconcile('shop/demo');
    expect(cluster.takeWrites()).to.deep.equal([]);
  });
});
