// DistributedCache objects for operator unit tests.
import { resolveSpec, type OperatorDefaults, type ResolvedSpec } from '../../operator/api/defaults.js';
import { API_VERSION, KIND, type DistributedCache, type DistributedCacheSpec, type PlacementMode } from '../../operator/api/distributed-cache.js';
import { cacheContext, type CacheContext } from '../../operator/resources/context.js';

/** What the schema's defaults make of an empty spec: checked against our defaulting and the API server's. */
export const DEFAULTED_EMPTY_SPEC = {
  imagePullPolicy: 'IfNotPresent',
  logLevel: 'info',
  replicationFactor: 2,
  servers: { replicas: 3, maxMemory: '256Mi', drainTimeoutSeconds: 30, placement: 'zone' },
  clients: {
    replicas: 1,
    service: { type: 'ClusterIP', port: 5000 },
    autoscaling: { enabled: false, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 70, scaleDownStabilizationWindowSeconds: 300 },
  },
  zookeeper: {},
  autoscaling: { enabled: false, minReplicas: 3, maxReplicas: 10, targetCPUUtilizationPercentage: 70, scaleDownStabilizationWindowSeconds: 300 },
  networkPolicy: { enabled: true },
};

export const TEST_DEFAULTS: OperatorDefaults = { dataplaneImage: 'distributed-cache:test', zookeeperImage: 'zookeeper:3.9' };

export function aCache(
  spec: DistributedCacheSpec = {},
  meta: { name?: string; namespace?: string; uid?: string; generation?: number } = {},
): DistributedCache {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: meta.name ?? 'demo',
      namespace: meta.namespace ?? 'shop',
      uid: meta.uid ?? '11111111-2222-3333-4444-555555555555',
      generation: meta.generation ?? 1,
    },
    spec,
  };
}

export function resolved(spec: DistributedCacheSpec = {}): ResolvedSpec {
  return resolveSpec(spec, TEST_DEFAULTS);
}

/** `serverPlacement`: what the reconciler decided servers run with; left out, the spec's. */
export function contextFor(spec: DistributedCacheSpec = {}, meta: Parameters<typeof aCache>[1] = {}, serverPlacement?: PlacementMode): CacheContext {
  const cache = aCache(spec, meta);
  return cacheContext(cache, resolved(spec), serverPlacement);
}

/** A container's plain env values by name, and its downward-API fields by name. */
export function envOf(container: { env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }> }): {
  values: Record<string, string>;
  fields: Record<string, string>;
} {
  const values: Record<string, string> = {};
  const fields: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) values[variable.name] = variable.value;
    const path = variable.valueFrom?.fieldRef?.fieldPath;
    if (path !== undefined) fields[variable.name] = path;
  }
  return { values, fields };
}
