// Pod settings, memory autoscaling and label propagation, end to end through
// the operator process: the real API server accepts the pod specs the adopted
// Kubernetes types produce, and children follow edits of the cache's labels.
import { expect } from 'chai';
import type { V1Toleration } from '@kubernetes/client-node';
import type { DistributedCacheSpec } from '../../../operator/api/distributed-cache.js';
import { createTestNamespace, deleteTestNamespace, kubectl } from '../../support/control-plane.js';
import { Admin, installOperator, operatorKubeconfig } from '../../support/operator-cluster.js';
import { OperatorProcess } from '../../support/operator-process.js';
import { waitFor } from '../../support/wait.js';

const QUICK = { timeoutMs: 30_000, intervalMs: 200 };
const CHECKSUM = 'cache.distributed.dev/config-checksum';
const TOLERATIONS: V1Toleration[] = [{ key: 'dedicated', operator: 'Equal', value: 'cache', effect: 'NoSchedule' }];

describe('operator: pod settings and label propagation on a real control plane', function () {
  const NAME = 'placed';
  let namespace: string;
  let admin: Admin;
  let operator: OperatorProcess;

  before(async function () {
    await installOperator();
    namespace = await createTestNamespace('dcache-pod-settings');
    admin = new Admin();
    const account = await operatorKubeconfig();
    operator = await OperatorProcess.start({ kubeconfig: account.path, name: 'pod-settings', env: { DATAPLANE_IMAGE: 'registry.invalid/dc:it' } });
    await operator.waitLeading();
    const pod = {
      nodeSelector: { pool: 'cache' },
      tolerations: TOLERATIONS,
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 10, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { x: 'y' } } } },
          ],
        },
      },
      podLabels: { team: 'payments' },
      podAnnotations: { 'example.com/note': 'hi' },
    };
    const spec: DistributedCacheSpec = {
      servers: pod,
      clients: { ...pod, topologySpreadConstraints: [], service: { annotations: { 'example.com/lb': 'internal' } } },
      zookeeper: { ...pod, resources: { requests: { cpu: '200m', memory: '512Mi' }, limits: { memory: '768Mi' } } },
      autoscaling: { enabled: true, targetMemoryUtilizationPercentage: 60 },
      propagateLabels: ['team'],
    };
    await admin.createCache(namespace, NAME, spec);
    await kubectl(['label', '-n', namespace, 'dcache', NAME, 'team=payments', 'app.kubernetes.io/part-of=shop']);
  });

  after(async function () {
    await operator?.stop();
    if (namespace !== undefined) await deleteTestNamespace(namespace);
  });

  it('renders scheduling settings into the Deployments and the StatefulSet, which the API server accepts', async function () {
    const server = await waitFor('the server Deployment', () => admin.apps.readNamespacedDeployment({ namespace, name: `${NAME}-server` }).catch(() => undefined), QUICK);
    const serverPod = server.spec?.template.spec;
    expect(serverPod?.nodeSelector).to.deep.equal({ pool: 'cache' });
    expect(serverPod?.tolerations).to.deep.equal(TOLERATIONS);
    expect(serverPod?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]?.weight).to.equal(10);
    expect(serverPod?.topologySpreadConstraints?.map((c) => c.topologyKey)).to.deep.equal(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    expect(server.spec?.template.metadata?.labels).to.include({ team: 'payments', 'app.kubernetes.io/instance': NAME });
    expect(server.spec?.template.metadata?.annotations).to.include({ 'example.com/note': 'hi' });

    const router = await waitFor('the client Deployment', () => admin.apps.readNamespacedDeployment({ namespace, name: `${NAME}-client` }).catch(() => undefined), QUICK);
    expect(router.spec?.template.spec?.topologySpreadConstraints ?? []).to.deep.equal([]);

    const zk = await waitFor('the ZooKeeper StatefulSet', () => admin.apps.readNamespacedStatefulSet({ namespace, name: `${NAME}-zookeeper` }).catch(() => undefined), QUICK);
    expect(zk.spec?.template.spec?.tolerations).to.deep.equal(TOLERATIONS);
    expect(zk.spec?.template.spec?.containers[0]?.resources).to.deep.equal({ requests: { cpu: '200m', memory: '512Mi' }, limits: { memory: '768Mi' } });
  });

  it('scales the servers on memory beside CPU', async function () {
    const hpa = await waitFor('the server HPA', () => admin.autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace, name: `${NAME}-server` }).catch(() => undefined), QUICK);
    expect(hpa.spec?.metrics?.map((m) => [m.resource?.name, m.resource?.target.averageUtilization])).to.deep.equal([
      ['cpu', 70],
      ['memory', 60],
    ]);
  });

  it('annotates the client Service', async function () {
    const service = await waitFor('the client Service', () => admin.core.readNamespacedService({ namespace, name: `${NAME}-client` }).catch(() => undefined), QUICK);
    expect(service.metadata?.annotations).to.include({ 'example.com/lb': 'internal' });
  });

  it("copies the cache's listed labels to its children, follows a relabel, and leaves the pod templates alone", async function () {
    const labelsOf = async () => (await admin.apps.readNamespacedDeployment({ namespace, name: `${NAME}-server` })).metadata?.labels ?? {};
    await waitFor('the propagated labels', async () => {
      const labels = await labelsOf();
      return labels['team'] === 'payments' && labels['app.kubernetes.io/part-of'] === 'shop' ? labels : undefined;
    }, QUICK);
    const before = (await admin.apps.readNamespacedDeployment({ namespace, name: `${NAME}-server` })).spec?.template.metadata?.annotations?.[CHECKSUM];
    await kubectl(['label', '--overwrite', '-n', namespace, 'dcache', NAME, 'team=search']);
    await waitFor('the relabelled children', async () => ((await labelsOf())['team'] === 'search' ? true : undefined), QUICK);
    const service = await admin.core.readNamespacedService({ namespace, name: `${NAME}-zookeeper` });
    expect(service.metadata?.labels).to.include({ team: 'search', 'app.kubernetes.io/part-of': 'shop' });
    const after = await admin.apps.readNamespacedDeployment({ namespace, name: `${NAME}-server` });
    expect(after.spec?.template.metadata?.annotations?.[CHECKSUM]).to.equal(before);
    // podLabels, not the cache's labels, decide the pods' own labels.
    expect(after.spec?.template.metadata?.labels?.['team']).to.equal('payments');
  });
});
