// reconcile(key): bring one DistributedCache's children and status in line with
// its spec. Level-triggered: it looks at the whole current state every time,
// so it does not matter which event (or how many) led here. The decisions are
// pure functions (resources/, status/, drift); this file only sequences I/O.
import type { Logger } from 'pino';
import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { resolveSpec, type OperatorDefaults, type ResolvedSpec } from '../api/defaults.js';
import type { Condition, DistributedCache } from '../api/distributed-cache.js';
import type { ChildObject } from '../resources/child-kinds.js';
import { desiredClusterTokenSecret, newClusterToken } from '../resources/cluster-token.js';
import { cacheContext } from '../resources/context.js';
import { childKey, desiredChildren, withAppliedHash } from '../resources/desired-state.js';
import { canonicalJson } from '../resources/hash.js';
import { childNames } from '../resources/names.js';
import { desiredPodMonitor, isOwnedPodMonitor } from '../resources/pod-monitor.js';
import { serverPlacement, type PlacementDecision } from '../resources/server-placement.js';
import { userSecretsOf, type UserSecret } from '../resources/user-secrets.js';
import { CONDITION, findCondition, transitions } from '../status/conditions.js';
import type { MonitoringOutcome } from '../status/monitoring.js';
import { computeStatus } from '../status/status.js';
import { ZONE_SAFE_REASON } from '../status/zone-safety.js';
import { applyReason } from './drift.js';
import type { ClusterState, ClusterWriter, EventRecorder, ExplainedFailure, PodMonitorLookup, SecretPresence, WriteObserver } from './ports.js';

export interface ReconcilerDeps {
  state: ClusterState;
  writer: ClusterWriter;
  secrets: SecretPresence;
  podMonitors: PodMonitorLookup;
  events: EventRecorder;
  defaults: OperatorDefaults;
  logger: Logger;
  observer?: WriteObserver;
  now?: () => Date;
  /** A fresh cluster token (random, unless a test says otherwise). */
  newToken?: () => string;
}

/**
 * How soon a cache is looked at again while a Secret its spec names is
 * missing: nothing else would tell, since the operator may not watch Secrets.
 */
export const MISSING_SECRET_RECHECK_MS = 10_000;

/**
 * How soon a cache that wants a PodMonitor is looked at again while the
 * cluster does not serve PodMonitors: the operator does not watch CRDs, so
 * this is how installing the Prometheus Operator's CRDs later is noticed.
 */
export const MISSING_POD_MONITOR_CRD_RECHECK_MS = 15_000;

/** Done, or done for now and to be looked at again after a delay. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

/** A failure while applying children, after the status has been written. */
export class ReconcileError extends Error {
  constructor(message: string, readonly causes: readonly unknown[]) {
    super(message);
    this.name = 'ReconcileError';
  }
}

/** ZoneSafe turning False for these is news from the cluster, not the spec's choice or a switch under way. */
const ZONE_LOST_BY_THE_CLUSTER: ReadonlySet<string> = new Set([ZONE_SAFE_REASON.zoneUnknown, ZONE_SAFE_REASON.tooFewZones]);

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** What a condition message says about a failure. */
function describe(error: unknown): string {
  if (isExplained(error)) return error.detail;
  return error instanceof Error ? error.message : String(error);
}

function isExplained(error: unknown): error is ExplainedFailure {
  return error instanceof Error && typeof (error as Partial<ExplainedFailure>).detail === 'string';
}

export class Reconciler {
  private readonly now: () => Date;
  /** Caches (by uid) whose cluster token Secret is known to exist: it is never written again, so asking once is enough. */
  private readonly tokenSecretExists = new Set<string>();

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Resolves once the cache is as its spec asks, as far as one pass can take
   * it; rejects (and the key is retried with backoff) when a write failed.
   * Everything the status depends on is watched, so a change in it queues the
   * key again, except a missing Secret the spec names and a missing PodMonitor
   * CRD: then it asks to be requeued after MISSING_SECRET_RECHECK_MS or
   * MISSING_POD_MONITOR_CRD_RECHECK_MS, whichever is sooner.
   */
  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cache = this.deps.state.cache(namespace, name);
    // Gone, or going: the garbage collector removes the children through their owner references.
    if (cache === undefined || cache.metadata.deletionTimestamp !== undefined) return {};

    const spec = resolveSpec(cache.spec, this.deps.defaults);
    const observed = new Map(this.deps.state.childrenOf(cache).map((child) => [childKey(child), child]));
    const names = childNames(cache.metadata.name);
    const servers = observed.get(`Deployment/${names.server}`) as V1Deployment | undefined;
    const routers = observed.get(`Deployment/${names.client}`) as V1Deployment | undefined;
    const placement = serverPlacement(spec.servers.placement, servers, routers);
    const desired = desiredChildren(cache, spec, servers, placement.rendered);
    // What the cluster holds once this reconcile's writes are in.
    const current = new Map(observed);
    const failures: unknown[] = [];

    await this.ensureClusterToken(cache, spec, failures);
    await this.applyChildren(cache, desired, current, failures);
    await this.deleteUnwanted(cache, desired, current, failures);
    const monitoring = await this.reconcileMonitoring(cache, spec, failures);
    const missingSecrets = await this.missingSecrets(cache, spec);
    await this.writeStatus(cache, spec, current, failures, missingSecrets, monitoring, placement);

    if (failures.length > 0) throw new ReconcileError(`${namespace}/${name}: ${failures.map(describe).join('; ')}`, failures);
    const delays = [
      ...(missingSecrets.length > 0 ? [MISSING_SECRET_RECHECK_MS] : []),
      ...(monitoring?.state === 'crdMissing' ? [MISSING_POD_MONITOR_CRD_RECHECK_MS] : []),
    ];
    return delays.length > 0 ? { requeueAfterMs: Math.min(...delays) } : {};
  }

  /**
   * Keeps the PodMonitor while spec.monitoring is on and the cluster serves
   * PodMonitors, and removes it once monitoring is off. They are not among the
   * children (ClusterState), whose kinds are always served, so it asks its
   * PodMonitorLookup; while monitoring is off it asks only if the status still
   * carries MonitoringReady, i.e. if a PodMonitor may be left to remove.
   * Undefined: monitoring is off and nothing is left to do.
   */
  private async reconcileMonitoring(cache: DistributedCache, spec: ResolvedSpec, failures: unknown[]): Promise<MonitoringOutcome | undefined> {
    const { podMonitors, writer, logger, observer, events } = this.deps;
    const desired = desiredPodMonitor(cacheContext(cache, spec));
    const wasOn = findCondition(cache.status?.conditions, CONDITION.monitoringReady) !== undefined;
    if (desired === undefined && !wasOn) return undefined;
    const where = `${cache.metadata.namespace}/${cache.metadata.name}`;
    try {
      // Without the CRD no PodMonitor can exist: nothing to create or remove.
      if (!(await podMonitors.served())) return desired === undefined ? undefined : { state: 'crdMissing' };
      const found = await podMonitors.get(cache.metadata.namespace, childNames(cache.metadata.name).podMonitor);
      const owned = isOwnedPodMonitor(found, cache.metadata.uid) ? found : undefined;
      if (desired === undefined) {
        if (owned !== undefined) {
          await writer.delete(owned);
          observer?.deleted(owned.kind);
          logger.info({ cache: where, child: childKey(owned) }, 'deleted what is no longer wanted');
          events.record(cache, 'Normal', 'Deleted', `deleted ${owned.kind} ${owned.metadata.name}, which the spec no longer asks for`);
        }
        return undefined;
      }
      const wanted = withAppliedHash(desired);
      const reason = applyReason(wanted, owned);
      if (reason !== undefined) {
        const { created } = await writer.apply(wanted);
        observer?.applied(wanted.kind, reason);
        logger.info({ cache: where, child: childKey(wanted), reason }, 'applied');
        if (created) events.record(cache, 'Normal', 'Created', `created ${wanted.kind} ${wanted.metadata.name}`);
      }
      return { state: 'applied', podMonitor: wanted.metadata.name };
    } catch (error) {
      failures.push(error);
      logger.warn({ cache: where, err: error }, 'the PodMonitor could not be brought in line');
      // Kept even while monitoring is off, so that the next try still knows a PodMonitor may be left.
      return { state: 'failed', message: describe(error) };
    }
  }

  /**
   * The Secrets the spec names that do not exist. The pods are applied all
   * the same: they wait for the Secret to be mounted (no crash loop), and
   * start once it exists. One that cannot be checked is not reported.
   */
  private async missingSecrets(cache: DistributedCache, spec: ResolvedSpec): Promise<UserSecret[]> {
    const missing: UserSecret[] = [];
    for (const secret of userSecretsOf(spec)) {
      try {
        if (!(await this.deps.secrets.secretExists(cache.metadata.namespace, secret.name))) missing.push(secret);
      } catch (error) {
        this.deps.logger.warn({ cache: `${cache.metadata.namespace}/${cache.metadata.name}`, secret: secret.name, err: error }, 'cannot tell whether a Secret the spec names exists');
      }
    }
    return missing;
  }

  /**
   * Creates the cluster token's Secret if it does not exist, before the pods
   * that mount it. Never updates it, so a rotated token stays; never logs it.
   */
  private async ensureClusterToken(cache: DistributedCache, spec: ResolvedSpec, failures: unknown[]): Promise<void> {
    const uid = cache.metadata.uid ?? '';
    if (this.tokenSecretExists.has(uid)) return;
    const secret = desiredClusterTokenSecret(cacheContext(cache, spec), (this.deps.newToken ?? newClusterToken)());
    const key = childKey(secret);
    try {
      const created = await this.deps.writer.createIfMissing(secret);
      this.tokenSecretExists.add(uid);
      if (!created) return;
      this.deps.logger.info({ cache: `${cache.metadata.namespace}/${cache.metadata.name}`, child: key }, 'created the cluster token');
      this.deps.events.record(cache, 'Normal', 'Created', `created Secret ${secret.metadata.name}`);
    } catch (error) {
      failures.push(error);
      this.deps.logger.warn({ cache: `${cache.metadata.namespace}/${cache.metadata.name}`, child: key, err: error }, 'creating the cluster token failed');
    }
  }

  /** Applies each desired child that is missing, changed, or drifted; `current` gets the API server's answers. */
  private async applyChildren(cache: DistributedCache, desired: ChildObject[], current: Map<string, ChildObject>, failures: unknown[]): Promise<void> {
    const { writer, logger, observer, events } = this.deps;
    const where = `${cache.metadata.namespace}/${cache.metadata.name}`;
    for (const child of desired) {
      const key = childKey(child);
      const reason = applyReason(child, current.get(key));
      if (reason === undefined) continue;
      try {
        const { object, created } = await writer.apply(child);
        current.set(key, object);
        observer?.applied(child.kind, reason);
        logger.info({ cache: where, child: key, reason }, 'applied');
        if (created) events.record(cache, 'Normal', 'Created', `created ${child.kind} ${child.metadata.name}`);
      } catch (error) {
        failures.push(error);
        logger.warn({ cache: where, child: key, err: error }, 'apply failed');
      }
    }
  }

  /** Deletes children the spec no longer asks for (an HPA turned off, an ensemble replaced by connectString). */
  private async deleteUnwanted(cache: DistributedCache, desired: ChildObject[], current: Map<string, ChildObject>, failures: unknown[]): Promise<void> {
    const { writer, logger, observer, events } = this.deps;
    const wanted = new Set(desired.map(childKey));
    for (const [key, child] of [...current]) {
      if (wanted.has(key)) continue;
      try {
        await writer.delete(child);
        current.delete(key);
        observer?.deleted(child.kind);
        logger.info({ cache: `${cache.metadata.namespace}/${cache.metadata.name}`, child: key }, 'deleted what is no longer wanted');
        events.record(cache, 'Normal', 'Deleted', `deleted ${child.kind} ${child.metadata.name}, which the spec no longer asks for`);
      } catch (error) {
        failures.push(error);
      }
    }
  }

  /** Writes the status subresource, only when it differs from what is there. */
  private async writeStatus(
    cache: DistributedCache,
    spec: ResolvedSpec,
    current: Map<string, ChildObject>,
    failures: unknown[],
    missingSecrets: readonly UserSecret[],
    monitoring: MonitoringOutcome | undefined,
    placement: PlacementDecision,
  ): Promise<void> {
    const names = childNames(cache.metadata.name);
    const workload = <T>(kind: string, childName: string) => current.get(`${kind}/${childName}`) as T | undefined;
    const status = computeStatus({
      cache,
      spec,
      observed: {
        zookeeper: workload<V1StatefulSet>('StatefulSet', names.zookeeper),
        server: workload<V1Deployment>('Deployment', names.server),
        client: workload<V1Deployment>('Deployment', names.client),
      },
      ...(failures.length > 0 ? { reconcileError: failures.map(describe).join('; ') } : {}),
      missingSecrets,
      ...(monitoring !== undefined ? { monitoring } : {}),
      serverPods: this.deps.state.serverPodsOf(cache),
      placement,
      now: this.now(),
    });
    if (canonicalJson(status) === canonicalJson(cache.status ?? {})) return;
    await this.deps.writer.applyStatus(cache, status);
    this.deps.observer?.statusWritten();
    this.recordTransitions(cache, cache.status?.conditions, status.conditions ?? []);
  }

  private recordTransitions(cache: DistributedCache, before: Condition[] | undefined, after: Condition[]): void {
    for (const condition of transitions(before, after)) {
      const isTrue = condition.status === 'True';
      // Not Ready only while keys move (NotReplicated) is what every scale and rollout goes through.
      const bad =
        (condition.type === CONDITION.degraded && isTrue) ||
        (condition.type === CONDITION.ready && !isTrue && condition.reason !== 'NotReplicated') ||
        (condition.type === CONDITION.zoneSafe && !isTrue && ZONE_LOST_BY_THE_CLUSTER.has(condition.reason));
      // A new cache starts not Ready and Progressing: only news is worth an Event.
      const first = before?.some((c) => c.type === condition.type) !== true;
      if (first && !(isTrue && (condition.type === CONDITION.ready || condition.type === CONDITION.degraded))) continue;
      this.deps.events.record(cache, bad ? 'Warning' : 'Normal', condition.reason, `${condition.type} is ${condition.status}: ${condition.message}`);
    }
  }
}
