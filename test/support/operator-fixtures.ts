// DistributedCache objects for operator unit tests.
import { resolveSpec, type OperatorDefaults, type ResolvedSpec } from '../../operator/api/defaults.js';
import { API_VERSION, KIND, type DistributedCache, type DistributedCacheSpec } from '../../operator/api/distributed-cache.js';
import { cacheContext, type CacheContext } from '../../operator/resources/context.js';

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

export function contextFor(spec: DistributedCacheSpec = {}, meta: Parameters<typeof aCache>[1] = {}): CacheContext {
  const cache = aCache(spec, meta);
  return cacheContext(cache, resolved(spec));
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
