// The PodMonitor lookup over the API: discovery tells whether the Prometheus
// Operator's CRD is installed (any authenticated user may read discovery), and
// a plain get finds the cache's PodMonitor. The controller's watched lookup
// (controller/watched-pod-monitors.ts) asks it while its informers cannot answer.
import type { PodMonitorLookup } from '../reconcile/ports.js';
import type { ChildObject } from '../resources/child-kinds.js';
import { POD_MONITOR_API_VERSION, POD_MONITOR_KIND } from '../resources/pod-monitor.js';
import type { KubeClient } from './client.js';
import { resourceType } from './resource-types.js';

export function apiPodMonitorLookup(client: KubeClient): PodMonitorLookup {
  return {
    served: () => client.serves(POD_MONITOR_API_VERSION, POD_MONITOR_KIND),
    get: async (namespace, name) => {
      const found = await client.get<ChildObject>(resourceType(POD_MONITOR_KIND), namespace, name);
      // The API server's answer carries them, but the drift check must not depend on it.
      return found === undefined ? undefined : { ...found, apiVersion: POD_MONITOR_API_VERSION, kind: POD_MONITOR_KIND };
    },
  };
}
