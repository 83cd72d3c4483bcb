// The cache servers' workload: a Deployment, its PodDisruptionBudget, and the
// HPA that scales the DistributedCache itself (through its scale subresource).
import type { V1Deployment } from '@kubernetes/client-node';
import { API_VERSION, KIND } from '../api/distributed-cache.js';
import { serverReplication } from '../status/replication.js';
import type { Deployment, HorizontalPodAutoscaler, PodDisruptionBudget } from './child-kinds.js';
import { childMetadata, type CacheContext } from './context.js';
import { hpaMetrics } from './hpa-metrics.js';
import { dataplanePodConfig, dataplanePodTemplate } from './dataplane-pod.js';
import { selectorLabels } from './names.js';

/** The HPA removes servers one at a time, a minute apart: each leaving server hands its keys off. */
export const SERVER_SCALE_DOWN = { podsPerPeriod: 1, periodSeconds: 60 } as const;

/**
 * The server Deployment's replicas: a scale-up at once, a scale-down one
 * server at a time, each step once the keys of the last are replicated again
 * (docs/operator.md, "Replicated"), so no key loses two copies at once.
 */
export function pacedServerReplicas(wanted: number, observed: V1Deployment | undefined): number {
  const current = observed?.spec?.replicas;
  if (current === undefined || wanted >= current) return wanted;
  return serverReplication(observed).replicated ? current - 1 : current;
}

/** `observed` is the server Deployment as it is now, which paces a scale-down. */
export function desiredServerDeployment(ctx: CacheContext, observed?: V1Deployment): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMetadata(ctx, ctx.names.server, 'server'),
    spec: {
      // Follows the CR's field: `kubectl scale dcache` and the HPA both write that field, never this one.
      replicas: pacedServerReplicas(ctx.spec.servers.replicas, observed),
      selector: { matchLabels: selectorLabels(ctx.cache.metadata.name, 'server') },
      // One new server joins (and takes its keys) before an old one leaves.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: dataplanePodTemplate(ctx, dataplanePodConfig(ctx, 'server')),
    },
  };
}

export function desiredServerPdb(ctx: CacheContext): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: childMetadata(ctx, ctx.names.server, 'server'),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: selectorLabels(ctx.cache.metadata.name, 'server') },
    },
  };
}

/** Undefined when spec.autoscaling is off. */
export function desiredServerHpa(ctx: CacheContext): HorizontalPodAutoscaler | undefined {
  const autoscaling = ctx.spec.autoscaling;
  if (!autoscaling.enabled) return undefined;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: childMetadata(ctx, ctx.names.server, 'server'),
    spec: {
      scaleTargetRef: { apiVersion: API_VERSION, kind: KIND, name: ctx.cache.metadata.name },
      minReplicas: autoscaling.minReplicas,
      maxReplicas: autoscaling.maxReplicas,
      metrics: hpaMetrics(autoscaling),
      behavior: {
        scaleDown: {
          stabilizationWindowSeconds: autoscaling.scaleDownStabilizationWindowSeconds,
          policies: [{ type: 'Pods', value: SERVER_SCALE_DOWN.podsPerPeriod, periodSeconds: SERVER_SCALE_DOWN.periodSeconds }],
        },
      },
    },
  };
}
