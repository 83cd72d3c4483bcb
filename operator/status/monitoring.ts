// The MonitoringReady condition (spec.monitoring): whether the cache's
// PodMonitor is in place. Apart from Ready and Degraded on purpose: a cluster
// without the Prometheus Operator still serves the cache (docs/operator.md "Status").
import { POD_MONITOR_API_VERSION } from '../resources/pod-monitor.js';
import { CONDITION, type ConditionUpdate } from './conditions.js';

/** What the reconciler found and did about the PodMonitor, while spec.monitoring.enabled is true. */
export type MonitoringOutcome =
  | { state: 'applied'; podMonitor: string }
  | { state: 'crdMissing' }
  | { state: 'failed'; message: string };

export const MONITORING_REASON = {
  applied: 'PodMonitorApplied',
  crdMissing: 'PodMonitorCRDMissing',
  failed: 'PodMonitorFailed',
} as const;

export function monitoringCondition(outcome: MonitoringOutcome): ConditionUpdate {
  const base = { type: CONDITION.monitoringReady } as const;
  switch (outcome.state) {
    case 'applied':
      return { ...base, status: 'True', reason: MONITORING_REASON.applied, message: `PodMonitor ${outcome.podMonitor} scrapes /metrics on the server and router pods` };
    case 'crdMissing':
      return {
        ...base,
        status: 'False',
        reason: MONITORING_REASON.crdMissing,
        message: `the cluster does not serve ${POD_MONITOR_API_VERSION} PodMonitors: install the Prometheus Operator's CRDs (the operator looks again by itself), or set spec.monitoring.enabled to false`,
      };
    case 'failed':
      return { ...base, status: 'False', reason: MONITORING_REASON.failed, message: outcome.message };
  }
}
