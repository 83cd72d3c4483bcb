// The controller manager really reconciles: Deployments get ReplicaSets, and
// the garbage collector follows ownerReferences on delete.
import { expect } from 'chai';
import { AppsV1Api, type V1Deployment, type V1ReplicaSet } from '@kubernetes/client-node';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../../support/control-plane.js';
import { waitFor } from '../../support/wait.js';

const DEPLOYMENT_NAME = 'smoke-web';

function smokeDeployment(): V1Deployment {
  const labels = { app: DEPLOYMENT_NAME };
  return {
    metadata: { name: DEPLOYMENT_NAME, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        // There is no kubelet, so this image is never pulled.
        spec: { containers: [{ name: 'web', image: 'registry.invalid/smoke/web:1' }] },
      },
    },
  };
}

describe('control plane: workloads', function () {
  let namespace: string;
  let apps: AppsV1Api;

  before(async function () {
    namespace = await createTestNamespace('smoke-workloads');
    apps = adminKubeConfig().makeApiClient(AppsV1Api);
  });

  after(async function () {
    await deleteTestNamespace(namespace);
  });

  async function replicaSetsOwnedBy(deploymentUid: string): Promise<V1ReplicaSet[]> {
    const list = await apps.listNamespacedReplicaSet({ namespace });
    return list.items.filter((rs) => rs.metadata?.ownerReferences?.some((owner) => owner.uid === deploymentUid));
  }

  it('gives a Deployment a ReplicaSet that it controls, with the same replica count', async function () {
    const deployment = await apps.createNamespacedDeployment({ namespace, body: smokeDeployment() });
    const uid = deployment.metadata?.uid ?? '';

    const [replicaSet] = await waitFor(
      'a ReplicaSet owned by the Deployment',
      async () => {
        const owned = await replicaSetsOwnedBy(uid);
        return owned.length > 0 ? owned : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    const owner = replicaSet?.metadata?.ownerReferences?.find((ref) => ref.uid === uid);
    expect(owner?.kind).to.equal('Deployment');
    expect(owner?.controller).to.equal(true);
    expect(replicaSet?.spec?.replicas).to.equal(2);
    expect(replicaSet?.spec?.template?.spec?.containers[0]?.image).to.equal('registry.invalid/smoke/web:1');
  });

  it('garbage-collects the ReplicaSet when the Deployment is deleted with propagationPolicy Background', async function () {
    const deployment = await apps.readNamespacedDeployment({ namespace, name: DEPLOYMENT_NAME });
    const uid = deployment.metadata?.uid ?? '';
    expect(await replicaSetsOwnedBy(uid)).to.have.length.greaterThan(0);

    await apps.deleteNamespacedDeployment({ namespace, name: DEPLOYMENT_NAME, body: { propagationPolicy: 'Background' } });

    await waitFor(
      'the garbage collector to delete the ReplicaSet',
      async () => (await replicaSetsOwnedBy(uid)).length === 0,
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const remaining = await apps.listNamespacedReplicaSet({ namespace });
    expect(remaining.items).to.deep.equal([]);
  });
});
