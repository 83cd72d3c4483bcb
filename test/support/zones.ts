// Nodes in zones, and pods bound to them, on a control plane without kubelets:
// what a scheduler and a cloud's node labels would give. The API server's
// PodTopologyLabels admission copies a node's topology.kubernetes.io/zone onto
// a pod bound to it (docs/operator.md "Zones").
import { randomBytes } from 'node:crypto';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { waitFor } from './wait.js';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** A unique Node name (Nodes are cluster-wide; tests share the control plane). */
export function nodeName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/**
 * A Node with these labels. No kubelet reports for it: the API server's
 * TaintNodesByCondition admission taints it not-ready (NoSchedule), so the
 * scheduler places nothing there; only an explicit binding does.
 */
export async function createNode(core: CoreV1Api, name: string, labels: Record<string, string>): Promise<void> {
  await core.createNode({ body: { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } } } });
}

export async function deleteNodes(core: CoreV1Api, names: readonly string[]): Promise<void> {
  await Promise.all(names.map((name) => core.deleteNode({ name }).catch(() => undefined)));
}

/** What the scheduler does: POST pods/NAME/binding. Resolves to the pod as stored afterwards. */
export async function bindPod(core: CoreV1Api, namespace: string, pod: string, node: string): Promise<V1Pod> {
  await core.createNamespacedPodBinding({
    name: pod,
    namespace,
    body: { metadata: { name: pod }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
  });
  return core.readNamespacedPod({ namespace, name: pod });
}

/** A pod that never runs here (there is no kubelet), for binding. */
export async function createIdlePod(core: CoreV1Api, namespace: string, name: string): Promise<V1Pod> {
  return core.createNamespacedPod({
    namespace,
    body: { metadata: { name }, spec: { containers: [{ name: 'idle', image: 'registry.invalid/idle:1' }] } },
  });
}

/**
 * Binds fresh pods to `node` until one comes back with the node's zone, and
 * returns it: the admission plugin reads Nodes through an informer of its own,
 * so a Node created a moment ago may not be known to it yet.
 */
export async function podBoundInZone(core: CoreV1Api, namespace: string, node: string, zone: string): Promise<V1Pod> {
  let attempt = 0;
  return waitFor(`a pod bound to ${node} to carry ${ZONE_LABEL}=${zone}`, async () => {
    const name = `bound-${node}-${attempt++}`.slice(0, 63);
    await createIdlePod(core, namespace, name);
    const pod = await bindPod(core, namespace, name, node);
    return pod.metadata?.labels?.[ZONE_LABEL] === zone ? pod : undefined;
  }, { timeoutMs: 20_000, intervalMs: 200 });
}
