// The operator, as a real process with its own ServiceAccount's RBAC, against a
// real control plane: DistributedCaches become children, status follows them,
// and the cluster's own controllers (HPA, garbage collector) do their part.
// There are no kubelets: Admin.markPodsReady reports pods ready as one would.
import { expect } from 'chai';
import type { V1Deployment, V1EnvVar, V1OwnerReference } from '@kubernetes/client-node';
import type { DistributedCache } from '../../../operator/api/distributed-cache.js';
import { createTestNamespace, deleteTestNamespace, kubectl } from '../../support/control-plane.js';
import { Admin, installOperator, operatorKubeconfig } from '../../support/operator-cluster.js';
import { OperatorProcess } from '../../support/operator-process.js';
import { waitFor } from '../../support/wait.js';

const CHECKSUM = 'cache.distributed.dev/config-checksum';
const IMAGE = 'registry.invalid/distributed-cache:it';
const SLOW = { timeoutMs: 90_000, intervalMs: 250 };
const QUICK = { timeoutMs: 20_000, intervalMs: 100 };

const selector = (name: string, component?: string) =>
  `app.kubernetes.io/instance=${name}${component !== undefined ? `,app.kubernetes.io/component=${component}` : ''}`;

function envMap(deployment: V1Deployment): Record<string, V1EnvVar> {
  const env = deployment.spec?.template.spec?.containers[0]?.env ?? [];
  return Object.fromEntries(env.map((variable) => [variable.name, variable]));
}

function condition(cache: DistributedCache, type: string) {
  return cache.status?.conditions?.find((c) => c.type === type);
}

describe('operator: reconciling DistributedCaches on a real control plane', function () {
  let namespace: string;
  let admin: Admin;
  let operator: OperatorProcess;

  before(async function () {
    await installOperator();
    namespace = await createTestNamespace('dcache-operator');
    // Pods the operator's workloads create must meet the restricted Pod Security Standard.
    await kubectl(['label', 'namespace', namespace, 'pod-security.kubernetes.io/enforce=restricted']);
    admin = new Admin();
    const account = await operatorKubeconfig();
    operator = await OperatorProcess.start({ kubeconfig: account.path, name: 'reconcile', env: { DATAPLANE_IMAGE: IMAGE } });
    await operator.waitLeading();
  });

  after(async function () {
    await operator?.stop();
    if (namespace !== undefined) await deleteTestNamespace(namespace);
  });

  const readDeployment = (name: string) => admin.apps.readNamespacedDeployment({ namespace, name });
  const cacheWhere = (name: string, what: string, test: (cache: DistributedCache) => boolean, options = QUICK) =>
    admin.cacheWhere(namespace, name, what, test, options);

  describe('a cache with the defaults', function () {
    const NAME = 'basic';
    let cache: DistributedCache;

    before(async function () {
      cache = await admin.createCache(namespace, NAME, { servers: { replicas: 3, maxMemory: '128Mi' } });
    });

    it('gets every child, named, labelled and owned as docs/operator.md "What it creates" says', async function () {
      const owner = (refs: V1OwnerReference[] | undefined) => refs?.find((ref) => ref.uid === cache.metadata.uid);
      const children = await waitFor('all seven children', async () => {
        const found = await Promise.all([
          admin.apps.readNamespacedStatefulSet({ namespace, name: `${NAME}-zookeeper` }),
          admin.core.readNamespacedService({ namespace, name: `${NAME}-zookeeper-headless` }),
          admin.core.readNamespacedService({ namespace, name: `${NAME}-zookeeper` }),
          readDeployment(`${NAME}-server`),
          admin.policy.readNamespacedPodDisruptionBudget({ namespace, name: `${NAME}-server` }),
          readDeployment(`${NAME}-client`),
          admin.core.readNamespacedService({ namespace, name: `${NAME}-client` }),
        ]);
        return found;
      }, QUICK);
      for (const child of children) {
        const where = `${child.kind ?? ''} ${child.metadata?.name}`;
        const component = child.metadata?.name?.includes('zookeeper') ? 'zookeeper' : child.metadata?.name?.endsWith('server') ? 'server' : 'client';
        expect(child.metadata?.labels, where).to.include({
          'app.kubernetes.io/name': 'distributed-cache',
          'app.kubernetes.io/instance': NAME,
          'app.kubernetes.io/component': component,
          'app.kubernetes.io/managed-by': 'distributed-cache-operator',
        });
        expect(owner(child.metadata?.ownerReferences), where).to.deep.include({
          apiVersion: 'cache.distributed.dev/v1alpha1',
          kind: 'DistributedCache',
          name: NAME,
          controller: true,
          blockOwnerDeletion: true,
        });
        expect(child.metadata?.managedFields?.map((m) => m.manager), where).to.include('distributed-cache-operator');
      }
      // No HPA and no ZooKeeper PDB for these settings.
      const hpas = await admin.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace, labelSelector: selector(NAME) });
      expect(hpas.items).to.deep.equal([]);
    });

    it('runs the data plane with the settings of its process contract', async function () {
      const server = await readDeployment(`${NAME}-server`);
      const env = envMap(server);
      expect(server.spec?.replicas).to.equal(3);
      expect(server.spec?.template.spec?.containers[0]?.image).to.equal(IMAGE);
      expect(server.spec?.template.spec?.containers[0]?.args).to.deep.equal(['node', 'dist/dataplane/main.js', 'server']);
      expect(env['NODE_ID']?.valueFrom?.fieldRef?.fieldPath).to.equal('metadata.name');
      expect(env['POD_IP']?.valueFrom?.fieldRef?.fieldPath).to.equal('status.podIP');
      expect(env['ZK_CONNECT']?.value, 'every member, by its name under the headless Service').to.equal(`${NAME}-zookeeper-0.${NAME}-zookeeper-headless.${namespace}.svc:2181`);
      expect(env['CACHE_NAME']?.value).to.equal(`${namespace}.${NAME}`);
      expect(env['MAX_MEMORY']?.value).to.equal('128Mi');
      expect(env['REPLICATION_FACTOR']?.value).to.equal('2');
      expect(env['DRAIN_TIMEOUT']?.value).to.equal('30s');
      expect(server.spec?.template.spec?.terminationGracePeriodSeconds).to.be.greaterThan(30);
      expect(server.spec?.template.spec?.containers[0]?.readinessProbe?.httpGet?.path).to.equal('/readyz');
      expect(server.spec?.template.spec?.securityContext?.runAsNonRoot).to.equal(true);

      const zookeeper = await admin.apps.readNamespacedStatefulSet({ namespace, name: `${NAME}-zookeeper` });
      expect(zookeeper.spec?.replicas).to.equal(1);
      expect(zookeeper.spec?.serviceName).to.equal(`${NAME}-zookeeper-headless`);
      expect(zookeeper.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.['storage']).to.equal('1Gi');
    });

    it('reports not Ready and Progressing while no pod is ready, with observedGeneration', async function () {
      const observed = await cacheWhere(NAME, 'a status', (c) => c.status?.observedGeneration === c.metadata.generation);
      expect(condition(observed, 'Ready')).to.deep.include({ status: 'False', reason: 'ZooKeeperNotReady' });
      expect(condition(observed, 'Progressing')?.status).to.equal('True');
      expect(condition(observed, 'Degraded')).to.deep.include({ status: 'False', reason: 'AsExpected' });
      expect(observed.status?.selector).to.equal(
        `app.kubernetes.io/name=distributed-cache,app.kubernetes.io/instance=${NAME},app.kubernetes.io/component=server`,
      );
      expect(observed.status?.endpoint).to.equal(`http://${NAME}-client.${namespace}.svc:5000`);
      expect(condition(observed, 'Ready')?.observedGeneration).to.equal(observed.metadata.generation);
    });

    it('becomes Ready when every pod is ready, and says so in an Event', async function () {
      // Pods appear as the Deployment and StatefulSet controllers create them.
      await waitFor('five pods to exist', async () => (await admin.core.listNamespacedPod({ namespace, labelSelector: selector(NAME) })).items.length === 5, QUICK);
      await admin.markPodsReady(namespace, selector(NAME));
      const ready = await cacheWhere(NAME, 'Ready', (c) => condition(c, 'Ready')?.status === 'True');
      expect(ready.status).to.deep.include({ readyReplicas: 3, replicas: 3, clients: { readyReplicas: 1 } });
      expect(ready.status?.zookeeper?.readyReplicas).to.equal(1);
      expect(condition(ready, 'Progressing')).to.deep.include({ status: 'False', reason: 'Complete' });
      const events = await waitFor('an Available event', async () => {
        const list = await admin.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${NAME}` });
        return list.items.some((e) => e.reason === 'Available') ? list.items : undefined;
      }, QUICK);
      expect(events.map((e) => e.reason)).to.include('Created');
      // kubectl's printer columns read the same status.
      const row = await kubectl(['get', 'dcache', NAME, '-n', namespace, '--no-headers']);
      expect(row.trim().split(/\s+/).slice(0, 6)).to.deep.equal([NAME, '3', '3', '1', '1', 'True']);
    });

    it('follows `kubectl scale dcache`: the server Deployment, then status and observedGeneration', async function () {
      await kubectl(['scale', '-n', namespace, `dcache/${NAME}`, '--replicas=5']);
      await waitFor('the server Deployment to want 5', async () => (await readDeployment(`${NAME}-server`)).spec?.replicas === 5, QUICK);
      const scaling = await cacheWhere(NAME, 'generation 2 observed', (c) => c.status?.observedGeneration === 2 && c.status.replicas === 5);
      expect(condition(scaling, 'Ready')).to.deep.include({ status: 'False', reason: 'ServersNotReady', observedGeneration: 2 });

      await waitFor('seven server and client pods', async () => (await admin.core.listNamespacedPod({ namespace, labelSelector: selector(NAME) })).items.length === 7, QUICK);
      await admin.markPodsReady(namespace, selector(NAME, 'server'));
      const ready = await cacheWhere(NAME, 'Ready with 5 servers', (c) => condition(c, 'Ready')?.status === 'True' && c.status?.readyReplicas === 5);
      expect(ready.spec?.servers?.replicas).to.equal(5);
      const scale = JSON.parse(await kubectl(['get', '--raw', `/apis/cache.distributed.dev/v1alpha1/namespaces/${namespace}/distributedcaches/${NAME}/scale`])) as {
        spec?: { replicas?: number };
        status?: { replicas?: number; selector?: string };
      };
      expect(scale.spec?.replicas).to.equal(5);
      expect(scale.status?.replicas).to.equal(5);
      expect(scale.status?.selector).to.include(`app.kubernetes.io/instance=${NAME}`);
    });

    it('rolls the servers (a new checksum) when a setting that shapes them changes, and only them', async function () {
      const serverBefore = (await readDeployment(`${NAME}-server`)).spec?.template.metadata?.annotations?.[CHECKSUM];
      const clientBefore = (await readDeployment(`${NAME}-client`)).spec?.template.metadata?.annotations?.[CHECKSUM];
      expect(serverBefore).to.match(/^[0-9a-f]{16}$/);
      await admin.patchCacheSpec(namespace, NAME, { servers: { maxMemory: '192Mi' } });
      const server = await waitFor('a new server checksum', async () => {
        const d = await readDeployment(`${NAME}-server`);
        return d.spec?.template.metadata?.annotations?.[CHECKSUM] !== serverBefore ? d : undefined;
      }, QUICK);
      expect(envMap(server)['MAX_MEMORY']?.value).to.equal('192Mi');
      expect((await readDeployment(`${NAME}-client`)).spec?.template.metadata?.annotations?.[CHECKSUM]).to.equal(clientBefore);
      const rolling = await cacheWhere(NAME, 'the rollout reported', (c) => c.status?.observedGeneration === c.metadata.generation && condition(c, 'Progressing')?.status === 'True');
      expect(condition(rolling, 'Progressing')?.reason).to.be.oneOf(['RollingOut', 'Scaling', 'WaitingForPods']);
    });

    it('puts back a child that was deleted', async function () {
      const before = await admin.core.readNamespacedService({ namespace, name: `${NAME}-client` });
      await admin.core.deleteNamespacedService({ namespace, name: `${NAME}-client` });
      const after = await waitFor('the client Service to come back', async () => {
        const service = await admin.core.readNamespacedService({ namespace, name: `${NAME}-client` });
        return service.metadata?.uid !== before.metadata?.uid ? service : undefined;
      }, QUICK);
      expect(after.spec?.ports?.[0]?.port).to.equal(5000);
    });

    it('undoes edits by hand to what it manages', async function () {
      await kubectl(['scale', '-n', namespace, `deployment/${NAME}-server`, '--replicas=1']);
      await kubectl(['label', '-n', namespace, `deployment/${NAME}-server`, 'app.kubernetes.io/managed-by-']);
      const restored = await waitFor('the server Deployment to be restored', async () => {
        const d = await readDeployment(`${NAME}-server`);
        return d.spec?.replicas === 5 && d.metadata?.labels?.['app.kubernetes.io/managed-by'] === 'distributed-cache-operator' ? d : undefined;
      }, QUICK);
      expect(restored.spec?.replicas).to.equal(5);
    });
  });

  describe('a cache on an existing ZooKeeper', function () {
    const NAME = 'external';

    it('runs no ensemble and points the data plane at connectString', async function () {
      await admin.createCache(namespace, NAME, { zookeeper: { connectString: 'zk-0.zk.infra.svc:2181,zk-1.zk.infra.svc:2181' } });
      const server = await waitFor('the server Deployment', () => readDeployment(`${NAME}-server`), QUICK);
      expect(envMap(server)['ZK_CONNECT']?.value).to.equal('zk-0.zk.infra.svc:2181,zk-1.zk.infra.svc:2181');
      await waitFor('the client Service', () => admin.core.readNamespacedService({ namespace, name: `${NAME}-client` }), QUICK);
      const sets = await admin.apps.listNamespacedStatefulSet({ namespace, labelSelector: selector(NAME) });
      const services = await admin.core.listNamespacedService({ namespace, labelSelector: selector(NAME) });
      expect(sets.items).to.deep.equal([]);
      expect(services.items.map((s) => s.metadata?.name)).to.deep.equal([`${NAME}-client`]);
    });
  });

  describe('a cache with autoscaling', function () {
    const NAME = 'elastic';

    before(async function () {
      await admin.createCache(namespace, NAME, {
        servers: { replicas: 3 },
        autoscaling: { enabled: true, minReplicas: 4, maxReplicas: 8 },
        clients: { replicas: 1, autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 4 } },
        zookeeper: { replicas: 3 },
      });
    });

    it('gets an HPA that scales the DistributedCache itself, and one for the routers', async function () {
      const servers = await waitFor('the server HPA', () => admin.autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace, name: `${NAME}-server` }), QUICK);
      expect(servers.spec?.scaleTargetRef).to.deep.equal({ apiVersion: 'cache.distributed.dev/v1alpha1', kind: 'DistributedCache', name: NAME });
      expect([servers.spec?.minReplicas, servers.spec?.maxReplicas]).to.deep.equal([4, 8]);
      expect(servers.spec?.behavior?.scaleDown?.policies).to.deep.equal([{ type: 'Pods', value: 1, periodSeconds: 60 }]);
      const clients = await waitFor('the client HPA', () => admin.autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace, name: `${NAME}-client` }), QUICK);
      expect(clients.spec?.scaleTargetRef).to.deep.equal({ apiVersion: 'apps/v1', kind: 'Deployment', name: `${NAME}-client` });
      const zkPdb = await waitFor('the ZooKeeper PDB', () => admin.policy.readNamespacedPodDisruptionBudget({ namespace, name: `${NAME}-zookeeper` }), QUICK);
      expect(zkPdb.spec?.maxUnavailable).to.equal(1);
    });

    it('lets the HPA controller resize the cache through the scale subresource, and follows it', async function () {
      // With no metrics API the HPA controller still clamps the target into [min, max].
      // It finds a new CRD's scale endpoint after its discovery refresh (every 30 s).
      const cache = await cacheWhere(NAME, 'the HPA to raise servers to 4', (c) => c.spec?.servers?.replicas === 4, SLOW);
      expect(cache.spec?.servers?.replicas).to.equal(4);
      await waitFor('the server Deployment to want 4', async () => (await readDeployment(`${NAME}-server`)).spec?.replicas === 4, QUICK);
      // The routers' replica count belongs to their HPA: the operator does not manage the field.
      const client = await waitFor('the HPA to raise routers to 2', async () => {
        const d = await readDeployment(`${NAME}-client`);
        return d.spec?.replicas === 2 ? d : undefined;
      }, SLOW);
      const ours = client.metadata?.managedFields?.find((m) => m.manager === 'distributed-cache-operator' && m.operation === 'Apply');
      expect(JSON.stringify(ours?.fieldsV1)).to.not.include('f:replicas');
    });

    it('deletes the HPAs when autoscaling is turned off', async function () {
      await admin.patchCacheSpec(namespace, NAME, { autoscaling: { enabled: false }, clients: { autoscaling: { enabled: false } } });
      await waitFor('both HPAs to be gone', async () => {
        const list = await admin.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace, labelSelector: selector(NAME) });
        return list.items.length === 0;
      }, QUICK);
      await waitFor('the client Deployment back at spec.clients.replicas', async () => (await readDeployment(`${NAME}-client`)).spec?.replicas === 1, QUICK);
    });
  });

  describe('a cache scaled down', function () {
    const NAME = 'shrinking';

    /** What a kubelet reports for a server whose /readyz says a hand-off runs. */
    const markUnready = (pod: string) => kubectl([
      'patch', '-n', namespace, `pod/${pod}`, '--subresource=status', '--type=merge',
      '-p', JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'False', reason: 'ReadinessProbeFailed' }, { type: 'ContainersReady', status: 'False' }] } }),
    ]);

    before(async function () {
      await admin.createCache(namespace, NAME, { servers: { replicas: 3 } });
      await waitFor('five pods to exist', async () => (await admin.core.listNamespacedPod({ namespace, labelSelector: selector(NAME) })).items.length === 5, QUICK);
      await admin.markPodsReady(namespace, selector(NAME));
    });

    it('is Ready and Replicated once every server is ready', async function () {
      const ready = await cacheWhere(NAME, 'Ready and Replicated', (c) => condition(c, 'Ready')?.status === 'True' && condition(c, 'Replicated')?.status === 'True');
      expect(condition(ready, 'Replicated')).to.deep.include({ reason: 'AllCopies', message: 'all 3 servers report a settled ring and no hand-off: every key has its copies' });
      const row = await kubectl(['get', 'dcache', NAME, '-n', namespace, '--no-headers']);
      expect(row.trim().split(/\s+/).slice(0, 7)).to.deep.equal([NAME, '3', '3', '1', '1', 'True', 'True']);
    });

    it('removes no server while one is not Replicated, and says why', async function () {
      const pods = await admin.core.listNamespacedPod({ namespace, labelSelector: selector(NAME, 'server') });
      await markUnready(pods.items[0]?.metadata?.name ?? '');
      const waiting = await cacheWhere(NAME, 'Replicated False', (c) => condition(c, 'Replicated')?.status === 'False');
      expect(condition(waiting, 'Replicated')).to.deep.include({ reason: 'HandOffRunning' });
      expect(condition(waiting, 'Ready')?.status).to.equal('False');

      await kubectl(['scale', '-n', namespace, `dcache/${NAME}`, '--replicas=1']);
      const seen = await cacheWhere(NAME, 'the scale-down observed', (c) => c.status?.observedGeneration === c.metadata.generation && c.spec?.servers?.replicas === 1);
      expect(condition(seen, 'Progressing')).to.deep.include({ reason: 'Scaling', message: 'scaling the server Deployment to 1, one server at a time once every key is replicated' });
      expect((await readDeployment(`${NAME}-server`)).spec?.replicas).to.equal(3);
    });

    it('then removes one server at a time, each once the rest are Replicated', async function () {
      const before = (await readDeployment(`${NAME}-server`)).metadata?.generation ?? 0;
      // Both steps happen now: the Deployment controller deletes a pod that never ran at once, and the rest are ready.
      await admin.markPodsReady(namespace, selector(NAME, 'server'));
      const done = await waitFor('the server Deployment at 1', async () => {
        const d = await readDeployment(`${NAME}-server`);
        return d.spec?.replicas === 1 ? d : undefined;
      }, QUICK);
      // Each change of spec.replicas is a generation: 3 → 2 → 1 is two, where one jump would be one.
      expect((done.metadata?.generation ?? 0) - before).to.equal(2);
      const settled = await cacheWhere(NAME, 'Replicated with 1 server', (c) => condition(c, 'Replicated')?.status === 'True' && c.status?.replicas === 1);
      expect(condition(settled, 'Ready')?.status).to.equal('True');
    });
  });

  describe('deleting a cache', function () {
    it('garbage-collects every child through the owner references', async function () {
      for (const name of ['basic', 'external', 'elastic', 'shrinking']) await admin.deleteCache(namespace, name);
      await waitFor('every child to be gone', async () => {
        const [deployments, sets, services, pdbs] = await Promise.all([
          admin.apps.listNamespacedDeployment({ namespace }),
          admin.apps.listNamespacedStatefulSet({ namespace }),
          admin.core.listNamespacedService({ namespace }),
          admin.policy.listNamespacedPodDisruptionBudget({ namespace }),
        ]);
        return [deployments, sets, services, pdbs].every((list) => list.items.length === 0);
      }, SLOW);
    });
  });
});
