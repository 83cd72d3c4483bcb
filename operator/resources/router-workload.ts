// The routers' workload (spec.clients; the data plane's `client` role, and
// every name and label says `client`): a Deployment, the Service in front of
// it, and an HPA on the Deployment when spec.clients.autoscaling is on.
import type { Deployment, HorizontalPodAutoscaler, Service } from './child-kinds.js';
import { childMetadata, type CacheContext } from './context.js';
import { hpaMetrics } from './hpa-metrics.js';
import { dataplanePodConfig, dataplanePodTemplate, portNameOf } from './dataplane-pod.js';
import { selectorLabels } from './names.js';

export function desiredRouterDeployment(ctx: CacheContext): Deployment {
  const autoscaled = ctx.spec.clients.autoscaling.enabled;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMetadata(ctx, ctx.names.client, 'client'),
    spec: {
      // Left out while the HPA scales the routers, so that the operator never takes the field back from it.
      ...(autoscaled ? {} : { replicas: ctx.spec.clients.replicas }),
      selector: { matchLabels: selectorLabels(ctx.cache.metadata.name, 'client') },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: dataplanePodTemplate(ctx, dataplanePodConfig(ctx, 'client')),
    },
  };
}

/** With TLS on, the port is named https and says so in appProtocol, for meshes, ingresses and people. */
export function desiredRouterService(ctx: CacheContext): Service {
  const service = ctx.spec.clients.service;
  // The container port's own name, so that targetPort always finds it.
  const scheme = portNameOf(dataplanePodConfig(ctx, 'client'));
  const metadata = childMetadata(ctx, ctx.names.client, 'client');
  // The Service's own annotations win over propagated ones: they configure it.
  const annotations = { ...metadata.annotations, ...service.annotations };
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { ...metadata, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    spec: {
      type: service.type,
      selector: selectorLabels(ctx.cache.metadata.name, 'client'),
      ports: [
        {
          name: scheme,
          port: service.port,
          targetPort: scheme,
          protocol: 'TCP',
          ...(scheme === 'https' ? { appProtocol: 'https' } : {}),
          ...(service.nodePort !== undefined ? { nodePort: service.nodePort } : {}),
        },
      ],
    },
  };
}

/** Undefined when spec.clients.autoscaling is off. */
export function desiredRouterHpa(ctx: CacheContext): HorizontalPodAutoscaler | undefined {
  const autoscaling = ctx.spec.clients.autoscaling;
  if (!autoscaling.enabled) return undefined;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: childMetadata(ctx, ctx.names.client, 'client'),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: ctx.names.client },
      minReplicas: autoscaling.minReplicas,
      maxReplicas: autoscaling.maxReplicas,
      metrics: hpaMetrics(autoscaling),
      behavior: { scaleDown: { stabilizationWindowSeconds: autoscaling.scaleDownStabilizationWindowSeconds } },
    },
  };
}
