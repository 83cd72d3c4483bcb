// The operator process over its life: a restart changes nothing that did not
// need changing, and of several replicas exactly one leads at a time.
import { expect } from 'chai';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { createTestNamespace, deleteTestNamespace } from '../../support/control-plane.js';
import { Admin, installOperator, OPERATOR_NAMESPACE, operatorKubeconfig } from '../../support/operator-cluster.js';
import { OperatorProcess } from '../../support/operator-process.js';
import { waitFor } from '../../support/wait.js';

const LEASE = 'distributed-cache-operator';
const QUICK = { timeoutMs: 20_000, intervalMs: 100 };

describe('operator: restarts and leader election', function () {
  let namespace: string;
  let admin: Admin;
  let kubeconfig: string;
  const running: OperatorProcess[] = [];

  const start = async (name: string, env: Record<string, string> = {}): Promise<OperatorProcess> => {
    const operator = await OperatorProcess.start({ kubeconfig, name, env: { DATAPLANE_IMAGE: 'registry.invalid/distributed-cache:it', ...env } });
    running.push(operator);
    return operator;
  };

  /** Every object of the cache and its children, by kind/name, with its resourceVersion. */
  async function resourceVersions(name: string): Promise<Record<string, string>> {
    const labelSelector = `app.kubernetes.io/instance=${name}`;
    const [cache, secret, deployments, sets, services, pdbs, hpas, policies] = await Promise.all([
      admin.readCache(namespace, name),
      admin.core.readNamespacedSecret({ namespace, name: `${name}-cluster-token` }),
      admin.apps.listNamespacedDeployment({ namespace, labelSelector }),
      admin.apps.listNamespacedStatefulSet({ namespace, labelSelector }),
      admin.core.listNamespacedService({ namespace, labelSelector }),
      admin.policy.listNamespacedPodDisruptionBudget({ namespace, labelSelector }),
      admin.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace, labelSelector }),
      admin.networking.listNamespacedNetworkPolicy({ namespace, labelSelector }),
    ]);
    const versions: Record<string, string> = {
      [`DistributedCache/${name}`]: cache.metadata.resourceVersion ?? '',
      [`Secret/${secret.metadata?.name}`]: secret.metadata?.resourceVersion ?? '',
    };
    for (const [kind, list] of [['Deployment', deployments], ['StatefulSet', sets], ['Service', services], ['PodDisruptionBudget', pdbs], ['HorizontalPodAutoscaler', hpas], ['NetworkPolicy', policies]] as const) {
      for (const item of list.items) versions[`${kind}/${item.metadata?.name}`] = item.metadata?.resourceVersion ?? '';
    }
    return versions;
  }

  /** Writes the operator made, other than to its own Lease. */
  async function writesBy(operator: OperatorProcess): Promise<string[]> {
    const writes: string[] = [];
    for (const [key, value] of await operator.metrics()) {
      if (!key.startsWith('dcache_operator_api_requests_total{') || value === 0) continue;
      if (/verb="(GET)"/.test(key) || key.includes('resource="leases"')) continue;
      // A refused call wrote nothing. Without the right to read Secrets, a new operator learns that
      // a cache's cluster token exists from a create refused as AlreadyExists (409); and it watches
      // every namespace, so a cache of an earlier test whose namespace is being deleted gets 403.
      // The resourceVersions above show that nothing changed.
      if (!/code="2\d\d"/.test(key)) continue;
      writes.push(`${key} ${value}`);
    }
    return writes;
  }

  before(async function () {
    await installOperator();
    namespace = await createTestNamespace('dcache-lifecycle');
    admin = new Admin();
    kubeconfig = (await operatorKubeconfig()).path;
  });

  afterEach(async function () {
    await Promise.all(running.splice(0).map((operator) => operator.stop()));
  });

  after(async function () {
    if (namespace !== undefined) await deleteTestNamespace(namespace);
  });

  it('writes nothing after a restart when nothing changed', async function () {
    const NAME = 'steady';
    // Only this namespace: caches of other test files, in namespaces still terminating, would count too.
    const first = await start('first', { WATCH_NAMESPACE: namespace });
    await first.waitLeading();
    // Quantities the API server rewrites (0.5 -> 500m, 1024Mi -> 1Gi) must not look like drift.
    await admin.createCache(namespace, NAME, { zookeeper: { replicas: 3 }, servers: { resources: { requests: { cpu: '0.5', memory: '1024Mi' } } } });
    await waitFor('seven pods', async () => (await admin.core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/instance=${NAME}` })).items.length === 7, QUICK);
    await admin.markPodsReady(namespace, `app.kubernetes.io/instance=${NAME}`);
    await waitFor('the cache to be Ready', async () => {
      const cache = await admin.readCache(namespace, NAME);
      return cache.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, QUICK);
    expect(await first.metric('dcache_operator_applies_total')).to.equal(11);
    expect(await first.stop()).to.equal(0);

    // The workload controllers may still be writing the last status; wait until nothing moves.
    let previous: Record<string, string> = {};
    const before = await waitFor('the cache and its children to settle', async () => {
      const now = await resourceVersions(NAME);
      const settled = JSON.stringify(now) === JSON.stringify(previous);
      previous = now;
      return settled ? now : undefined;
    }, { timeoutMs: 20_000, intervalMs: 1_000 });
    expect(Object.keys(before)).to.have.length(13);
    const second = await start('second', { WATCH_NAMESPACE: namespace });
    await second.waitLeading();
    // It has looked at the cache once it reconciled it and its queue is empty.
    await waitFor('the new operator to reconcile the cache', async () =>
      (await second.metric('dcache_operator_reconcile_total', { outcome: 'done' })) >= 1 && (await second.metric('dcache_operator_workqueue_depth')) === 0,
    QUICK);
    expect(await resourceVersions(NAME)).to.deep.equal(before);
    expect(await second.metric('dcache_operator_applies_total')).to.equal(0);
    expect(await second.metric('dcache_operator_status_writes_total')).to.equal(0);
    expect(await writesBy(second)).to.deep.equal([]);
  });

  it('runs two replicas with exactly one leader, which hands over when it stops', async function () {
    const NAME = 'handover';
    const [a, b] = await Promise.all([start('replica-a'), start('replica-b')]);
    const replicas = [a as OperatorProcess, b as OperatorProcess];
    const leader = await waitFor('one replica to lead', async () => {
      const leading = await Promise.all(replicas.map((r) => r.isLeader()));
      return leading.filter(Boolean).length === 1 ? replicas[leading.indexOf(true)] : undefined;
    }, QUICK);
    const standby = replicas.find((r) => r !== leader) as OperatorProcess;
    await leader.waitLeading();
    expect(await standby.ready(), 'a standby is ready to take over').to.equal(true);

    const lease = await admin.config.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: OPERATOR_NAMESPACE, name: LEASE });
    const holder = lease.spec?.holderIdentity ?? '';
    expect(holder).to.not.equal('');

    await admin.createCache(namespace, NAME, { zookeeper: { connectString: 'zk:2181' } });
    await waitFor('the leader to create the server Deployment', () => admin.apps.readNamespacedDeployment({ namespace, name: `${NAME}-server` }), QUICK);
    expect(await standby.metric('dcache_operator_reconcile_total')).to.equal(0);
    expect(await standby.isLeader()).to.equal(false);

    expect(await leader.stop()).to.equal(0);
    // The leader hands the Lease back, so the standby need not wait out its 15 s.
    await standby.waitLeading(10_000);
    const taken = await admin.config.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: OPERATOR_NAMESPACE, name: LEASE });
    expect(taken.spec?.holderIdentity).to.not.equal(holder).and.not.equal(undefined);
    // The new leader does the work now: a deleted child comes back.
    await admin.apps.deleteNamespacedDeployment({ namespace, name: `${NAME}-client` });
    await waitFor('the new leader to put the client Deployment back', () => admin.apps.readNamespacedDeployment({ namespace, name: `${NAME}-client` }), QUICK);
    expect(await standby.metric('dcache_operator_reconcile_total')).to.be.greaterThan(0);
  });

  it('reconciles only the namespaces in WATCH_NAMESPACE', async function () {
    const other = await createTestNamespace('dcache-watched');
    try {
      const operator = await OperatorProcess.start({ kubeconfig, name: 'watching', env: { WATCH_NAMESPACE: other } });
      running.push(operator);
      await operator.waitLeading();
      await admin.createCache(namespace, 'ignored', { zookeeper: { connectString: 'zk:2181' } });
      await admin.createCache(other, 'watched', { zookeeper: { connectString: 'zk:2181' } });
      await waitFor('the watched cache to get its server Deployment', () => admin.apps.readNamespacedDeployment({ namespace: other, name: 'watched-server' }), QUICK);
      // Reconciles of the watched cache have happened; none was for the other namespace.
      const ignored = await admin.apps.listNamespacedDeployment({ namespace, labelSelector: 'app.kubernetes.io/instance=ignored' });
      expect(ignored.items).to.deep.equal([]);
      expect((await admin.readCache(namespace, 'ignored')).status).to.equal(undefined);
    } finally {
      await deleteTestNamespace(other);
    }
  });
});
