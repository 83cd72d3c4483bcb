// Zones on a real control plane, with the operator as its own ServiceAccount:
// spec.servers.placement in the schema, the servers' PLACEMENT, ZONE and
// NODE_NAME wiring, and the ZoneSafe condition following the zone labels the
// API server copies onto server pods when they are bound to zoned Nodes
// (docs/operator.md "Zones"). No kubelets: the test binds the pods, as the
// scheduler would, and reports them ready, as a kubelet would.
import { expect } from 'chai';
import type { V1Container, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { DistributedCache } from '../../../operator/api/distributed-cache.js';
import { createTestNamespace, deleteTestNamespace, kubectl } from '../../support/control-plane.js';
import { Admin, installOperator, operatorKubeconfig } from '../../support/operator-cluster.js';
import { OperatorProcess } from '../../support/operator-process.js';
import { waitFor } from '../../support/wait.js';
import { bindPod, createNode, deleteNodes, nodeName, podBoundInZone, ZONE_LABEL } from '../../support/zones.js';

// The image most operator tests run with, so that an operator of a later test finds these caches as it would render them.
const IMAGE = 'registry.invalid/distributed-cache:it';
const QUICK = { timeoutMs: 30_000, intervalMs: 200 };
const NAME = 'zoned';
const ZONE_A = 'it-zone-a';
const ZONE_B = 'it-zone-b';
const SERVERS = `app.kubernetes.io/instance=${NAME},app.kubernetes.io/component=server`;

const zoneSafe = (cache: DistributedCache) => cache.status?.conditions?.find((c) => c.type === 'ZoneSafe');
const serverContainer = (deployment: V1Deployment) => deployment.spec?.template.spec?.containers[0] as V1Container;

describe('operator: zones on a real control plane', function () {
  let namespace: string;
  let admin: Admin;
  let operator: OperatorProcess;
  const nodeA = nodeName('zone-a');
  const nodeB = nodeName('zone-b');

  const cacheWhere = (what: string, test: (cache: DistributedCache) => boolean) => admin.cacheWhere(namespace, NAME, what, test, QUICK);
  const serverDeployment = (what: string, test: (deployment: V1Deployment) => boolean) =>
    waitFor(`the server Deployment: ${what}`, async () => {
      const deployment = await admin.apps.readNamespacedDeployment({ namespace, name: `${NAME}-server` }).catch(() => undefined);
      return deployment !== undefined && test(deployment) ? deployment : undefined;
    }, QUICK);
  const serverPods = async (): Promise<V1Pod[]> => (await admin.core.listNamespacedPod({ namespace, labelSelector: SERVERS })).items;

  before(async function () {
    await installOperator();
    namespace = await createTestNamespace('dcache-zones');
    admin = new Admin();
    await createNode(admin.core, nodeA, { [ZONE_LABEL]: ZONE_A });
    await createNode(admin.core, nodeB, { [ZONE_LABEL]: ZONE_B });
    // Both nodes known to the admission plugin before any server is bound.
    await podBoundInZone(admin.core, namespace, nodeA, ZONE_A);
    await podBoundInZone(admin.core, namespace, nodeB, ZONE_B);
    operator = await OperatorProcess.start({ kubeconfig: (await operatorKubeconfig()).path, name: 'zones', env: { DATAPLANE_IMAGE: IMAGE } });
    await operator.waitLeading();
    await admin.createCache(namespace, NAME, { servers: { replicas: 3 } });
  });

  after(async function () {
    await operator?.stop();
    if (namespace !== undefined) await deleteTestNamespace(namespace);
    if (admin !== undefined) await deleteNodes(admin.core, [nodeA, nodeB]);
  });

  it('explains spec.servers.placement, defaults it to zone, and refuses a mode it does not know', async function () {
    // kubectl's discovery of a CRD installed a moment ago is eventually consistent.
    const explained = await waitFor('kubectl explain to know dcache', () => kubectl(['explain', 'dcache.spec.servers.placement']), QUICK);
    expect(explained).to.include('zone').and.include('node').and.include('none').and.include('ZoneSafe');
    const cache = await admin.readCache(namespace, NAME);
    expect(cache.spec?.servers?.placement, 'the API server applies the default').to.equal('zone');
    const refused = await admin.validate(namespace, 'bad-placement', { servers: { placement: 'region' } });
    expect(refused?.code).to.equal(422);
    expect(refused?.message).to.include('spec.servers.placement').and.include('supported values: "none", "node", "zone"');
  });

  it("runs the servers with PLACEMENT zone, ZONE from the pod's zone label and NODE_NAME from its node, and marks the routers", async function () {
    const deployment = await serverDeployment('rendered', () => true);
    const env = serverContainer(deployment).env ?? [];
    expect(env.find((e) => e.name === 'PLACEMENT')).to.deep.equal({ name: 'PLACEMENT', value: 'zone' });
    expect(env.find((e) => e.name === 'ZONE')).to.deep.equal({ name: 'ZONE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.labels['${ZONE_LABEL}']` } } });
    expect(env.find((e) => e.name === 'NODE_NAME')).to.deep.equal({ name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } });
    const spread = deployment.spec?.template.spec?.topologySpreadConstraints ?? [];
    expect(spread.map((c) => [c.topologyKey, c.whenUnsatisfiable, c.matchLabelKeys])).to.deep.equal([
      [ZONE_LABEL, 'ScheduleAnyway', ['pod-template-hash']],
      ['kubernetes.io/hostname', 'ScheduleAnyway', ['pod-template-hash']],
    ]);
    // The reconciler may apply the client Deployment a moment after the server's.
    const routers = await waitFor('the client Deployment', () => admin.apps.readNamespacedDeployment({ namespace, name: `${NAME}-client` }).catch(() => undefined), QUICK);
    expect(routers.spec?.template.metadata?.annotations).to.include({ 'cache.distributed.dev/placement-aware': 'true' });
  });

  it('says ZoneUnknown while a ready server pod has no zone label, naming it', async function () {
    const pods = await waitFor('three server pods', async () => ((await serverPods()).length === 3 ? serverPods() : undefined), QUICK);
    const [first, second, third] = pods.map((pod) => pod.metadata?.name ?? '');
    const boundA = await bindPod(admin.core, namespace, first ?? '', nodeA);
    const boundB = await bindPod(admin.core, namespace, second ?? '', nodeB);
    expect([boundA.metadata?.labels?.[ZONE_LABEL], boundB.metadata?.labels?.[ZONE_LABEL]], 'the API server copied the zones').to.deep.equal([ZONE_A, ZONE_B]);
    await admin.markPodsReady(namespace, `app.kubernetes.io/instance=${NAME}`);
    const cache = await cacheWhere('ZoneSafe False (ZoneUnknown)', (c) => zoneSafe(c)?.reason === 'ZoneUnknown');
    expect(zoneSafe(cache)).to.deep.include({ status: 'False', observedGeneration: cache.metadata.generation });
    expect(zoneSafe(cache)?.message).to.include(`no zone known for server pod ${third}`);
  });

  it('turns ZoneSafe True (ZoneSpread) once the last server is bound in a zone, and shows it in kubectl get', async function () {
    const unbound = (await serverPods()).find((pod) => pod.spec?.nodeName === undefined);
    await bindPod(admin.core, namespace, unbound?.metadata?.name ?? '', nodeA);
    const cache = await cacheWhere('ZoneSafe True', (c) => zoneSafe(c)?.status === 'True');
    expect(zoneSafe(cache)).to.deep.include({
      reason: 'ZoneSpread',
      message: `every key's 2 copies are in 2 distinct zones (ready servers per zone: ${ZONE_A}=2, ${ZONE_B}=1)`,
    });
    const table = await kubectl(['get', '-n', namespace, 'dcache', NAME]);
    const [header, row] = table.trim().split('\n');
    const column = header?.split(/\s+/).indexOf('ZONESAFE') ?? -1;
    expect(column, header).to.be.greaterThan(0);
    expect(row?.split(/\s+/)[column]).to.equal('True');
  });

  it('says PlacementNotZone once the spec asks for node, and rolls the servers to PLACEMENT node', async function () {
    await admin.patchCacheSpec(namespace, NAME, { servers: { placement: 'node' } });
    await serverDeployment('PLACEMENT node', (d) => serverContainer(d).env?.find((e) => e.name === 'PLACEMENT')?.value === 'node');
    const cache = await cacheWhere('ZoneSafe PlacementNotZone', (c) => zoneSafe(c)?.reason === 'PlacementNotZone');
    expect(zoneSafe(cache)).to.deep.include({ status: 'False', message: "spec.servers.placement is node: each key's copies are on distinct nodes, whatever their zones" });
  });
});

describe('operator: an upgrade from a release before placement, on a real control plane', function () {
  const CACHE = 'upgraded';
  const INSTANCE = `app.kubernetes.io/instance=${CACHE}`;
  let namespace: string;
  let admin: Admin;
  let operator: OperatorProcess | undefined;

  const startOperator = async () => {
    operator = await OperatorProcess.start({ kubeconfig: (await operatorKubeconfig()).path, name: 'zones-upgrade', env: { DATAPLANE_IMAGE: IMAGE } });
    await operator.waitLeading();
  };
  const deployment = (component: 'server' | 'client') => admin.apps.readNamespacedDeployment({ namespace, name: `${CACHE}-${component}` });
  const placementOfServers = async () => serverContainer(await deployment('server')).env?.find((e) => e.name === 'PLACEMENT')?.value;
  /** Reports every pod ready, as kubelets would, until `done` holds. */
  const rollUntil = (what: string, done: () => Promise<boolean>) =>
    waitFor(what, async () => {
      await admin.markPodsReady(namespace, INSTANCE);
      return done();
    }, { timeoutMs: 60_000, intervalMs: 300 });
  const settled = async (component: 'server' | 'client') => {
    const { metadata, spec, status } = await deployment(component);
    const replicas = spec?.replicas ?? 0;
    return (status?.observedGeneration ?? 0) >= (metadata?.generation ?? 0) && status?.updatedReplicas === replicas &&
      status?.availableReplicas === replicas && status?.replicas === replicas;
  };

  before(async function () {
    await installOperator();
    namespace = await createTestNamespace('dcache-zones-upgrade');
    admin = new Admin();
    await startOperator();
    await admin.createCache(namespace, CACHE, { servers: { replicas: 2 } });
    await waitFor('the server and client Deployments', async () => (await deployment('server').catch(() => undefined)) !== undefined && (await deployment('client').catch(() => undefined)) !== undefined, QUICK);
  });

  after(async function () {
    await operator?.stop();
    if (namespace !== undefined) await deleteTestNamespace(namespace);
  });

  it('holds the servers at placement none until every router runs this release, then gives them zone', async function () {
    // What an operator of an earlier release left: no PLACEMENT, ZONE or NODE_NAME, routers unmarked, all rolled out.
    await operator?.stop();
    operator = undefined;
    // Read, change and replace again on a conflict: the Deployment controller writes status meanwhile.
    await waitFor('the servers of the earlier release', async () => {
      const servers = await deployment('server');
      const container = serverContainer(servers);
      container.env = container.env?.filter((e) => !['PLACEMENT', 'ZONE', 'NODE_NAME'].includes(e.name));
      return admin.apps.replaceNamespacedDeployment({ namespace, name: `${CACHE}-server`, body: servers });
    }, QUICK);
    await waitFor('the routers of the earlier release', async () => {
      const routers = await deployment('client');
      delete routers.spec?.template.metadata?.annotations?.['cache.distributed.dev/placement-aware'];
      return admin.apps.replaceNamespacedDeployment({ namespace, name: `${CACHE}-client`, body: routers });
    }, QUICK);
    await rollUntil('the earlier release rolled out', async () => (await settled('server')) && (await settled('client')));

    await startOperator();
    await waitFor('the routers marked', async () => (await deployment('client')).spec?.template.metadata?.annotations?.['cache.distributed.dev/placement-aware'] === 'true', QUICK);
    expect(await placementOfServers(), 'while a router of the earlier release runs').to.equal('none');
    const held = await admin.cacheWhere(namespace, CACHE, 'ZoneSafe PlacementSwitching', (c) => zoneSafe(c)?.reason === 'PlacementSwitching', QUICK);
    expect(zoneSafe(held)?.message).to.include("servers run placement none until every router runs this operator's release");

    await rollUntil('the servers given placement zone', async () => (await placementOfServers()) === 'zone');
    // The new routers rolled out first: the Deployment controller reported every one updated and available.
    expect(await settled('client')).to.equal(true);
    // Once every server runs zone, what is left is that these servers have no zone (no Node here).
    await rollUntil('the switch done: ZoneSafe says ZoneUnknown', async () => zoneSafe(await admin.readCache(namespace, CACHE))?.reason === 'ZoneUnknown');
  });
});
