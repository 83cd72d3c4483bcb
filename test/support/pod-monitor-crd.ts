// A stand-in for the Prometheus Operator's PodMonitor CRD: the group, version,
// kind and plural the operator looks for, and a spec the API server keeps as
// given (no validation of its own). Installed and removed by tests that need it.
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { POD_MONITOR_GROUP, POD_MONITOR_KIND, POD_MONITOR_PLURAL, POD_MONITOR_VERSION } from '../../operator/resources/pod-monitor.js';
import { adminKubeConfig, kubectl } from './control-plane.js';
import { waitFor } from './wait.js';

export const POD_MONITOR_CRD_NAME = `${POD_MONITOR_PLURAL}.${POD_MONITOR_GROUP}`;

const POD_MONITOR_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: POD_MONITOR_CRD_NAME },
  spec: {
    group: POD_MONITOR_GROUP,
    scope: 'Namespaced',
    names: { kind: POD_MONITOR_KIND, listKind: `${POD_MONITOR_KIND}List`, plural: POD_MONITOR_PLURAL, singular: 'podmonitor' },
    versions: [
      {
        name: POD_MONITOR_VERSION,
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
      },
    ],
  },
};

/** Whether `kubectl get podmonitors` works: the API server serves the kind. */
async function served(): Promise<boolean> {
  try {
    await kubectl(['get', POD_MONITOR_CRD_NAME, '-A', '-o', 'name']);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once the API server serves PodMonitors. */
export async function installPodMonitorCrd(): Promise<void> {
  await kubectl(['apply', '--server-side', '-f', '-'], { input: JSON.stringify(POD_MONITOR_CRD) });
  await waitFor('PodMonitors to be served', served, { timeoutMs: 30_000, intervalMs: 200 });
}

/** Resolves once the CRD (and every PodMonitor with it) is gone. */
export async function removePodMonitorCrd(): Promise<void> {
  const extensions = adminKubeConfig().makeApiClient(ApiextensionsV1Api);
  await kubectl(['delete', 'crd', POD_MONITOR_CRD_NAME, '--ignore-not-found', '--wait=false']);
  await waitFor('the PodMonitor CRD to be gone', async () => {
    try {
      await extensions.readCustomResourceDefinition({ name: POD_MONITOR_CRD_NAME });
      return false;
    } catch {
      return true;
    }
  }, { timeoutMs: 60_000, intervalMs: 200 });
}

/** A PodMonitor as the API server stores it, or undefined. */
export async function readPodMonitor(namespace: string, name: string): Promise<Record<string, unknown> | undefined> {
  const list = JSON.parse(await kubectl(['get', POD_MONITOR_CRD_NAME, '-n', namespace, '--field-selector', `metadata.name=${name}`, '-o', 'json'])) as {
    items: Array<Record<string, unknown>>;
  };
  return list.items[0];
}

/** `kubectl delete`, as a person would: resolves once it is gone. */
export async function deletePodMonitor(namespace: string, name: string): Promise<void> {
  await kubectl(['delete', POD_MONITOR_CRD_NAME, '-n', namespace, name]);
}

/** `kubectl patch --type=merge` of its spec, as a person would. */
export async function patchPodMonitorSpec(namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await kubectl(['patch', POD_MONITOR_CRD_NAME, '-n', namespace, name, '--type=merge', '-p', JSON.stringify({ spec })]);
}
