// The NetworkPolicies on a real control plane, applied by the operator with
// its own ServiceAccount's RBAC: one per component, owned by the cache, with
// the rules the builders promise as the API server stores them, and gone
// once spec.networkPolicy.enabled is false. (No CNI runs here: enforcement
// is the e2e cluster's business.)
import { expect } from 'chai';
import { createTestNamespace, deleteTestNamespace, kubectl } from '../../support/control-plane.js';
import { Admin, installOperator, operatorKubeconfig } from '../../support/operator-cluster.js';
import { OperatorProcess } from '../../support/operator-process.js';
import { waitFor } from '../../support/wait.js';

const IMAGE = 'registry.invalid/distributed-cache:it';
const QUICK = { timeoutMs: 30_000, intervalMs: 200 };
const NAME = 'fenced';
const SHOP = { namespaceSelector: { matchLabels: { team: 'shop' } } };
const MONITORING = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } };

interface WirePolicy {
  metadata: { name: string; ownerReferences?: Array<{ uid: string; controller?: boolean }> };
  spec: { podSelector: unknown; policyTypes: string[]; ingress?: Array<{ from?: unknown[]; ports?: unknown[] }> };
}

const pods = (component: string) => ({
  podSelector: { matchLabels: { 'app.kubernetes.io/instance': NAME, 'app.kubernetes.io/name': 'distributed-cache', 'app.kubernetes.io/component': component } },
});
const tcp = (...ports: number[]) => ports.map((port) => ({ port, protocol: 'TCP' }));

describe('operator: NetworkPolicies on a real control plane', function () {
  let namespace: string;
  let admin: Admin;
  let operator: OperatorProcess;

  /** As the API server stores them (kubectl, not the client library, which renames `from`). */
  const policies = async (): Promise<Map<string, WirePolicy>> => {
    const list = JSON.parse(await kubectl(['get', 'networkpolicies', '-n', namespace, '-l', `app.kubernetes.io/instance=${NAME}`, '-o', 'json'])) as { items: WirePolicy[] };
    return new Map(list.items.map((item) => [item.metadata.name, item]));
  };

  before(async function () {
    await installOperator();
    namespace = await createTestNamespace('dcache-netpol');
    admin = new Admin();
    operator = await OperatorProcess.start({ kubeconfig: (await operatorKubeconfig()).path, name: 'netpol', env: { DATAPLANE_IMAGE: IMAGE } });
    await operator.waitLeading();
    await admin.createCache(namespace, NAME, { servers: { replicas: 2 }, networkPolicy: { clientFrom: [SHOP], metricsFrom: [MONITORING] } });
  });

  after(async function () {
    await operator?.stop();
    if (namespace !== undefined) await deleteTestNamespace(namespace);
  });

  it('creates one per component, owned by the cache, with the rules it promises', async function () {
    const found = await waitFor('three NetworkPolicies', async () => {
      const now = await policies();
      return now.size === 3 ? now : undefined;
    }, QUICK);
    const cache = await admin.readCache(namespace, NAME);
    for (const [name, policy] of found) {
      expect(policy.metadata.ownerReferences, name).to.deep.include({
        apiVersion: 'cache.distributed.dev/v1alpha1', kind: 'DistributedCache', name: NAME, uid: cache.metadata.uid, controller: true, blockOwnerDeletion: true,
      });
      expect(policy.spec.policyTypes, name).to.deep.equal(['Ingress']);
    }
    expect(found.get(`${NAME}-server`)?.spec).to.deep.include({
      podSelector: pods('server').podSelector,
      ingress: [{ from: [pods('client'), pods('server')], ports: tcp(8080) }, { from: [MONITORING], ports: tcp(9464) }],
    });
    expect(found.get(`${NAME}-client`)?.spec).to.deep.include({
      podSelector: pods('client').podSelector,
      ingress: [{ from: [SHOP], ports: tcp(5000) }, { from: [MONITORING], ports: tcp(9464) }],
    });
    expect(found.get(`${NAME}-zookeeper`)?.spec).to.deep.include({
      podSelector: pods('zookeeper').podSelector,
      ingress: [{ from: [pods('server'), pods('client')], ports: tcp(2181) }, { from: [pods('zookeeper')], ports: tcp(2181, 2888, 3888) }],
    });
  });

  it('puts back an edited one', async function () {
    await kubectl(['patch', '-n', namespace, 'networkpolicy', `${NAME}-server`, '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/ingress/0' }])]);
    await waitFor('the operator to restore the server rules', async () => (await policies()).get(`${NAME}-server`)?.spec.ingress?.length === 2, QUICK);
  });

  it('opens the public port to anyone once clientFrom is removed', async function () {
    await kubectl(['patch', '-n', namespace, `distributedcaches.cache.distributed.dev/${NAME}`, '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/networkPolicy/clientFrom' }])]);
    const client = await waitFor('the client policy without a `from`', async () => {
      const policy = (await policies()).get(`${NAME}-client`);
      return policy !== undefined && policy.spec.ingress?.[0]?.from === undefined ? policy : undefined;
    }, QUICK);
    expect(client.spec.ingress).to.deep.equal([{ ports: tcp(5000) }, { from: [MONITORING], ports: tcp(9464) }]);
  });

  it('removes them all when spec.networkPolicy.enabled is false, and leaves the rest', async function () {
    await admin.patchCacheSpec(namespace, NAME, { networkPolicy: { enabled: false } });
    await waitFor('every NetworkPolicy to be gone', async () => (await policies()).size === 0, QUICK);
    await admin.apps.readNamespacedDeployment({ namespace, name: `${NAME}-server` });
  });
});
