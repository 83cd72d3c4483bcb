// The API server copies a node's zone onto the pods bound to it (the
// PodTopologyLabels admission plugin, KEP-4742; on by default since Kubernetes
// 1.35, and in hack/testenv.sh's control plane). Servers read their ZONE from
// that label through the downward API, so no one needs a right to read Nodes.
import { expect } from 'chai';
import { CoreV1Api } from '@kubernetes/client-node';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../../support/control-plane.js';
import { bindPod, createIdlePod, createNode, deleteNodes, nodeName, podBoundInZone, ZONE_LABEL } from '../../support/zones.js';

const REGION_LABEL = 'topology.kubernetes.io/region';

describe('control plane: the zone of a pod\'s node, on the pod (PodTopologyLabels admission)', function () {
  let namespace: string;
  let core: CoreV1Api;
  const zoned = nodeName('zoned');
  const unzoned = nodeName('unzoned');

  before(async function () {
    namespace = await createTestNamespace('topology-labels');
    core = adminKubeConfig().makeApiClient(CoreV1Api);
    await createNode(core, zoned, { [ZONE_LABEL]: 'test-zone-a', [REGION_LABEL]: 'test-region', 'example.com/rack': 'r1' });
    await createNode(core, unzoned, {});
  });

  after(async function () {
    if (namespace !== undefined) await deleteTestNamespace(namespace);
    if (core !== undefined) await deleteNodes(core, [zoned, unzoned]);
  });

  it("copies the node's zone and region labels onto a pod bound to it through pods/binding, and no other label", async function () {
    const pod = await podBoundInZone(core, namespace, zoned, 'test-zone-a');
    expect(pod.spec?.nodeName).to.equal(zoned);
    expect(pod.metadata?.labels).to.deep.equal({ [ZONE_LABEL]: 'test-zone-a', [REGION_LABEL]: 'test-region' });
  });

  it('gives a pod bound to a node without a zone no zone label (the cache then says ZoneUnknown)', async function () {
    await createIdlePod(core, namespace, 'on-unzoned');
    const pod = await bindPod(core, namespace, 'on-unzoned', unzoned);
    expect(pod.spec?.nodeName).to.equal(unzoned);
    expect(pod.metadata?.labels ?? {}).to.not.have.property(ZONE_LABEL);
  });
});
