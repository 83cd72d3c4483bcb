// The metrics both HPAs (servers and routers) scale on: CPU always, memory
// when its target is set. The HPA follows whichever metric asks for more pods.
import type { V2MetricSpec } from '@kubernetes/client-node';

export interface UtilizationTargets {
  targetCPUUtilizationPercentage: number;
  targetMemoryUtilizationPercentage?: number;
}

const utilization = (name: 'cpu' | 'memory', averageUtilization: number): V2MetricSpec => ({
  type: 'Resource',
  resource: { name, target: { type: 'Utilization', averageUtilization } },
});

export function hpaMetrics(targets: UtilizationTargets): V2MetricSpec[] {
  return [
    utilization('cpu', targets.targetCPUUtilizationPercentage),
    ...(targets.targetMemoryUtilizationPercentage !== undefined ? [utilization('memory', targets.targetMemoryUtilizationPercentage)] : []),
  ];
}
