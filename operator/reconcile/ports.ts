// What the reconciler needs from the world, as interfaces it owns: the kube/
// adapters implement them over the API server, the unit tests over memory.
import type { V1Pod } from '@kubernetes/client-node';
import type { DistributedCache, DistributedCacheStatus } from '../api/distributed-cache.js';
import type { ChildObject } from '../resources/child-kinds.js';
import type { ApplyReason } from './drift.js';

/** What the reconciler reads: the informers' copies of the cluster. */
export interface ClusterState {
  cache(namespace: string, name: string): DistributedCache | undefined;
  /** The objects of the child kinds that this cache controls (by owner uid). */
  childrenOf(cache: DistributedCache): ChildObject[];
  /** The pods of its server Deployment (by its selector labels), for their zones (the ZoneSafe condition). */
  serverPodsOf(cache: DistributedCache): V1Pod[];
}

/** What the reconciler writes, all as the operator's field manager. */
export interface ClusterWriter {
  /** Server-side apply; `created` when the object did not exist. */
  apply(object: ChildObject): Promise<{ object: ChildObject; created: boolean }>;
  delete(object: ChildObject): Promise<void>;
  /** Creates the object unless one of that name exists, which is left as it is; true when it created it. */
  createIfMissing(object: ChildObject): Promise<boolean>;
  applyStatus(cache: DistributedCache, status: DistributedCacheStatus): Promise<void>;
}

/**
 * Whether a Secret exists, without reading it: the operator may create
 * Secrets but not read, list or watch them (README "Security").
 */
export interface SecretPresence {
  /** Rejects when the API server cannot tell. */
  secretExists(namespace: string, name: string): Promise<boolean>;
}

/**
 * PodMonitors, which exist only where the Prometheus Operator's CRDs are
 * installed, so the reconciler asks whether they are served before it looks
 * for one. (The controller answers from a watch while they are served, and
 * queues the cache when its PodMonitor changes; docs/operator.md, "Monitoring".)
 */
export interface PodMonitorLookup {
  /** Whether the API server serves monitoring.coreos.com/v1 PodMonitors; rejects when it cannot tell. */
  served(): Promise<boolean>;
  /** The PodMonitor of that name, if there is one. */
  get(namespace: string, name: string): Promise<ChildObject | undefined>;
}

/**
 * A write failure that carries the API server's own words for people; the
 * conditions quote `detail` rather than the whole error message.
 */
export interface ExplainedFailure extends Error {
  readonly detail: string;
}

export type EventType = 'Normal' | 'Warning';
export interface EventRecorder {
  /** Best effort: never fails the reconcile. */
  record(cache: DistributedCache, type: EventType, reason: string, note: string): void;
}

/** Counts what reconcile wrote (the operator's metrics implement it). */
export interface WriteObserver {
  applied(kind: string, reason: ApplyReason): void;
  deleted(kind: string): void;
  statusWritten(): void;
}
