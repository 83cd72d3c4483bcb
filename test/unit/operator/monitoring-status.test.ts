import { expect } from 'chai';
import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { computeStatus, type ObservedWorkloads } from '../../../operator/status/status.js';
import { monitoringCondition, type MonitoringOutcome } from '../../../operator/status/monitoring.js';
import { aCache, resolved } from '../../support/operator-fixtures.js';

const NOW = new Date('2026-11-25T12:00:00.000Z');
const settled = (replicas: number) =>
  ({ metadata: { generation: 1 }, spec: { replicas }, status: { observedGeneration: 1, replicas, readyReplicas: replicas, updatedReplicas: replicas } }) as V1Deployment & V1StatefulSet;
const ALL_READY: ObservedWorkloads = { zookeeper: settled(1), server: settled(3), client: settled(1) };

function conditionsWith(monitoring: MonitoringOutcome | undefined) {
  const spec = { monitoring: { enabled: monitoring !== undefined } };
  return (
    computeStatus({ cache: aCache(spec), spec: resolved(spec), observed: ALL_READY, ...(monitoring !== undefined ? { monitoring } : {}), now: NOW }).conditions ?? []
  ).map((c) => [c.type, c.status, c.reason]);
}

describe('operator status: MonitoringReady', () => {
  it('says what to do when the cluster does not serve PodMonitors', () => {
    expect(monitoringCondition({ state: 'crdMissing' })).to.deep.equal({
      type: 'MonitoringReady',
      status: 'False',
      reason: 'PodMonitorCRDMissing',
      message:
        "the cluster does not serve monitoring.coreos.com/v1 PodMonitors: install the Prometheus Operator's CRDs (the operator looks again by itself), or set spec.monitoring.enabled to false",
    });
  });

  it('is True once the PodMonitor is applied, and False with the failure otherwise', () => {
    expect(monitoringCondition({ state: 'applied', podMonitor: 'demo' })).to.deep.include({ status: 'True', reason: 'PodMonitorApplied' });
    expect(monitoringCondition({ state: 'failed', message: 'podmonitors is forbidden' })).to.deep.include({
      status: 'False',
      reason: 'PodMonitorFailed',
      message: 'podmonitors is forbidden',
    });
  });

  it('is left out of the status while monitoring is off', () => {
    expect(conditionsWith(undefined).map(([type]) => type)).to.deep.equal(['Ready', 'Replicated', 'Progressing', 'Degraded', 'ZoneSafe']);
  });

  it('comes after the other conditions, and moves neither Ready nor Degraded', () => {
    expect(conditionsWith({ state: 'crdMissing' })).to.deep.equal([
      ['Ready', 'True', 'Available'],
      ['Replicated', 'True', 'AllCopies'],
      ['Progressing', 'False', 'Complete'],
      ['Degraded', 'False', 'AsExpected'],
      ['ZoneSafe', 'False', 'PlacementSwitching'],
      ['MonitoringReady', 'False', 'PodMonitorCRDMissing'],
    ]);
    expect(conditionsWith({ state: 'applied', podMonitor: 'demo' })[5]).to.deep.equal(['MonitoringReady', 'True', 'PodMonitorApplied']);
  });
});
