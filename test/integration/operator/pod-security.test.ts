// Every pod the operator makes passes the restricted Pod Security Standard:
// in a namespace that enforces it, the ZooKeeper StatefulSet and the server
// and router ReplicaSets create all their pods, and no controller reports a
// FailedCreate. There is no kubelet here, so admission is the whole check.
import { expect } from 'chai';
import { createTestNamespace, deleteTestNamespace, kubectl, rejectionOf } from '../../support/control-plane.js';
import { Admin, installOperator, operatorKubeconfig } from '../../support/operator-cluster.js';
import { OperatorProcess } from '../../support/operator-process.js';
import { waitFor } from '../../support/wait.js';

const IMAGE = 'registry.invalid/distributed-cache:it';
const SLOW = { timeoutMs: 90_000, intervalMs: 250 };
const NAME = 'restricted';

describe('operator: pods under the restricted Pod Security Standard', function () {
  let namespace: string;
  let admin: Admin;
  let operator: OperatorProcess;

  before(async function () {
    await installOperator();
    namespace = await createTestNamespace('dcache-pss');
    await kubectl(['label', 'namespace', namespace, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/enforce-version=latest']);
    admin = new Admin();
    operator = await OperatorProcess.start({ kubeconfig: (await operatorKubeconfig()).path, name: 'pss', env: { DATAPLANE_IMAGE: IMAGE } });
    await operator.waitLeading();
  });

  after(async function () {
    await operator?.stop();
    if (namespace !== undefined) await deleteTestNamespace(namespace);
  });

  it('enforces the profile here: a pod without a restricted security context is refused', async function () {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'loose', namespace }, spec: { containers: [{ name: 'c', image: IMAGE }] } };
    const refusal = await rejectionOf(admin.core.createNamespacedPod({ namespace, body: pod, dryRun: 'All' }));
    expect(refusal.code).to.equal(403);
    expect(refusal.message).to.include('violates PodSecurity "restricted');
  });

  it('admits every ZooKeeper member, server and router pod, with no FailedCreate', async function () {
    await admin.createCache(namespace, NAME, { zookeeper: { replicas: 3 }, servers: { replicas: 2 }, clients: { replicas: 2 } });
    const expected: Record<string, number> = { zookeeper: 3, server: 2, client: 2 };
    await waitFor('every pod to be created', async () => {
      const list = await admin.core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/instance=${NAME}` });
      const counts: Record<string, number> = {};
      for (const pod of list.items) {
        const component = pod.metadata?.labels?.['app.kubernetes.io/component'] ?? '';
        counts[component] = (counts[component] ?? 0) + 1;
      }
      return Object.entries(expected).every(([component, count]) => counts[component] === count);
    }, SLOW);
    const events = JSON.parse(await kubectl(['get', 'events', '-n', namespace, '-o', 'json'])) as { items: Array<{ reason?: string; message?: string }> };
    expect(events.items.filter((event) => event.reason === 'FailedCreate').map((event) => event.message)).to.deep.equal([]);
  });
});
