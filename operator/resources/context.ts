// What every builder gets: the DistributedCache and its resolved settings,
// plus the metadata every child shares.
import type { DistributedCache, PlacementMode } from '../api/distributed-cache.js';
import type { ResolvedSpec } from '../api/defaults.js';
import type { ChildObject } from './child-kinds.js';
import { ALWAYS_PROPAGATED_LABELS, propagatedEntries } from './propagation.js';
import { ZOOKEEPER_PORT, childLabels, childNames, dataplaneCacheName, ownerReference, type ChildNames, type Component } from './names.js';

export interface CacheContext {
  readonly cache: DistributedCache;
  readonly spec: ResolvedSpec;
  readonly names: ChildNames;
  readonly namespace: string;
  /**
   * The PLACEMENT servers are rendered with: spec.servers.placement, or none
   * while a router of an earlier release may run (server-placement.ts decides;
   * the reconciler passes its decision).
   */
  readonly serverPlacement: PlacementMode;
}

export function cacheContext(cache: DistributedCache, spec: ResolvedSpec, serverPlacement: PlacementMode = spec.servers.placement): CacheContext {
  return { cache, spec, names: childNames(cache.metadata.name), namespace: cache.metadata.namespace, serverPlacement };
}

/** The operator's labels win over propagated ones; annotations appear only when some propagate. */
export function childMetadata(ctx: CacheContext, name: string, component: Component): ChildObject['metadata'] {
  const { labels, annotations } = ctx.cache.metadata;
  const propagatedLabels = propagatedEntries(labels, [...ALWAYS_PROPAGATED_LABELS, ...ctx.spec.propagate.labels]);
  const propagatedAnnotations = propagatedEntries(annotations, ctx.spec.propagate.annotations);
  return {
    name,
    namespace: ctx.namespace,
    labels: { ...propagatedLabels, ...childLabels(ctx.cache.metadata.name, component) },
    ...(Object.keys(propagatedAnnotations).length > 0 ? { annotations: propagatedAnnotations } : {}),
    ownerReferences: [ownerReference(ctx.cache)],
  };
}

/**
 * The ZooKeeper connect string the data plane uses: every member of an
 * ensemble the operator runs, by its name under the headless Service. With the
 * client Service's one address, a connection moved off a dead or frozen member
 * could land on it again (a third of the time with three members) and the
 * session could expire meanwhile; with each member listed, the client tries
 * the next one (docs/architecture.md, "Membership").
 */
export function zookeeperConnectString(ctx: CacheContext): string {
  const zk = ctx.spec.zookeeper;
  if (zk.mode === 'external') return zk.connectString;
  return zookeeperMemberHosts(ctx, zk.replicas).map((host) => `${host}:${ZOOKEEPER_PORT.client}`).join(',');
}

/** Each member of the ensemble the operator runs, by its stable name under the headless Service, in ordinal order. */
export function zookeeperMemberHosts(ctx: CacheContext, replicas: number): string[] {
  return Array.from({ length: replicas }, (_, ordinal) => `${ctx.names.zookeeper}-${ordinal}.${ctx.names.zookeeperHeadless}.${ctx.namespace}.svc`);
}

export function cacheNameOf(ctx: CacheContext): string {
  return dataplaneCacheName(ctx.namespace, ctx.cache.metadata.name);
}

/** What the routers' public port speaks: HTTPS only, once spec.tls names a Secret. */
export function publicSchemeOf(ctx: CacheContext): 'http' | 'https' {
  return ctx.spec.tlsSecret === undefined ? 'http' : 'https';
}

/** Where the public API is reached inside the cluster. */
export function endpointOf(ctx: CacheContext): string {
  return `${publicSchemeOf(ctx)}://${ctx.names.client}.${ctx.namespace}.svc:${ctx.spec.clients.service.port}`;
}
