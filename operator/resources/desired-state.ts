// Everything one DistributedCache should have, as a pure function of it (and
// of its server Deployment now, which paces a scale-down).
import type { V1Deployment } from '@kubernetes/client-node';
import type { DistributedCache, PlacementMode } from '../api/distributed-cache.js';
import type { ResolvedSpec } from '../api/defaults.js';
import type { ChildObject } from './child-kinds.js';
import { cacheContext } from './context.js';
import { contentHash } from './hash.js';
import { ANNOTATION } from './names.js';
import { desiredRouterNetworkPolicy, desiredServerNetworkPolicy, desiredZooKeeperNetworkPolicy } from './network-policy.js';
import { desiredRouterDeployment, desiredRouterHpa, desiredRouterService } from './router-workload.js';
import { desiredServerDeployment, desiredServerHpa, desiredServerPdb } from './server-workload.js';
import {
  desiredZooKeeperHeadlessService,
  desiredZooKeeperPdb,
  desiredZooKeeperService,
  desiredZooKeeperStatefulSet,
} from './zookeeper.js';

/** Marks an object with a hash of itself, so a later look can tell whether it still is what was applied. */
export function withAppliedHash<T extends ChildObject>(object: T): T {
  const hash = contentHash(object);
  return {
    ...object,
    metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, [ANNOTATION.appliedHash]: hash } },
  };
}

/**
 * In apply order: ZooKeeper before the data plane that needs it, workloads
 * before their autoscalers, and each NetworkPolicy before the pods it fences.
 * `serverPlacement` is the PLACEMENT servers run with (server-placement.ts);
 * left out, the spec's.
 */
export function desiredChildren(
  cache: DistributedCache,
  spec: ResolvedSpec,
  observedServers?: V1Deployment,
  serverPlacement?: PlacementMode,
): ChildObject[] {
  const ctx = cacheContext(cache, spec, serverPlacement);
  const children: Array<ChildObject | undefined> = [
    desiredZooKeeperNetworkPolicy(ctx),
    desiredZooKeeperHeadlessService(ctx),
    desiredZooKeeperService(ctx),
    desiredZooKeeperStatefulSet(ctx),
    desiredZooKeeperPdb(ctx),
    desiredServerNetworkPolicy(ctx),
    desiredServerDeployment(ctx, observedServers),
    desiredServerPdb(ctx),
    desiredRouterNetworkPolicy(ctx),
    desiredRouterDeployment(ctx),
    desiredRouterService(ctx),
    desiredServerHpa(ctx),
    desiredRouterHpa(ctx),
  ];
  return children.filter((child): child is ChildObject => child !== undefined).map(withAppliedHash);
}

/** `Kind/name`: a child's identity within its namespace. */
export function childKey(object: { kind: string; metadata?: { name?: string } }): string {
  return `${object.kind}/${object.metadata?.name ?? ''}`;
}
