// A DistributedCache's status, as a pure function of the cache and the
// workloads the operator observed (docs/operator.md, "The operator process":
// each reconcile computes the children and the status as pure functions).
import type { V1Deployment, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { ResolvedSpec } from '../api/defaults.js';
import type { Condition, DistributedCache, DistributedCacheStatus } from '../api/distributed-cache.js';
import { cacheContext, endpointOf, zookeeperConnectString } from '../resources/context.js';
import { selectorString } from '../resources/names.js';
import { serverPlacement, type PlacementDecision } from '../resources/server-placement.js';
import type { UserSecret } from '../resources/user-secrets.js';
import { CONDITION, mergeConditions, type ConditionUpdate } from './conditions.js';
import { monitoringCondition, type MonitoringOutcome } from './monitoring.js';
import { serverReplication, type ReplicationReport } from './replication.js';
import { serverPodOf, zoneSafeCondition } from './zone-safety.js';

export interface ObservedWorkloads {
  /** Undefined when missing, or when the cache uses an existing ensemble. */
  zookeeper?: V1StatefulSet;
  server?: V1Deployment;
  client?: V1Deployment;
}

export interface StatusInput {
  cache: DistributedCache;
  spec: ResolvedSpec;
  observed: ObservedWorkloads;
  /** Why the last reconcile could not apply everything, if it could not. */
  reconcileError?: string;
  /** Secrets the spec names that do not exist; router pods wait for them. */
  missingSecrets?: readonly UserSecret[];
  /** The PodMonitor's state; undefined while spec.monitoring is off, which leaves the condition out. */
  monitoring?: MonitoringOutcome;
  /** The server pods (ZoneSafe reads their zone labels and placement); none when left out. */
  serverPods?: readonly V1Pod[];
  /** The placement the servers are rendered with; left out, decided from `observed` as the reconciler does. */
  placement?: PlacementDecision;
  now: Date;
}

type Phase = 'missing' | 'rollingOut' | 'scaling' | 'waiting' | 'settled';

interface TierReport {
  /** For messages: "servers", "clients", "ZooKeeper members". */
  readonly noun: string;
  /** For messages and reasons: "server Deployment". */
  readonly workload: string;
  readonly reasonPrefix: 'ZooKeeper' | 'Servers' | 'Clients';
  readonly desired: number;
  readonly ready: number;
  /** Pods the workload runs now (its status.replicas). */
  readonly running: number;
  readonly phase: Phase;
  readonly failure?: { reason: string; message: string };
}

type Workload = V1Deployment | V1StatefulSet;

function phaseOf(workload: Workload | undefined, desired: number): Phase {
  if (workload === undefined) return 'missing';
  const status = workload.status;
  if ((status?.observedGeneration ?? 0) < (workload.metadata?.generation ?? 0)) return 'rollingOut';
  if ((status?.updatedReplicas ?? 0) < desired) return 'rollingOut';
  if ((status?.replicas ?? 0) !== desired) return 'scaling';
  if ((status?.readyReplicas ?? 0) < desired) return 'waiting';
  return 'settled';
}

/** What the Deployment controller reports as stuck: a rollout past its deadline, or pods it cannot create. */
function failureOf(workload: Workload | undefined, name: string): TierReport['failure'] {
  const conditions = (workload?.status as V1Deployment['status'])?.conditions ?? [];
  const deadline = conditions.find((c) => c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded');
  if (deadline !== undefined) return { reason: 'ProgressDeadlineExceeded', message: `${name}: ${deadline.message ?? 'rollout stuck'}` };
  const replicaFailure = conditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (replicaFailure !== undefined) return { reason: 'ReplicaFailure', message: `${name}: ${replicaFailure.message ?? 'cannot create pods'}` };
  return undefined;
}

function report(
  noun: string,
  workloadName: string,
  reasonPrefix: TierReport['reasonPrefix'],
  workload: Workload | undefined,
  desired: number,
): TierReport {
  const failure = failureOf(workload, workloadName);
  return {
    noun,
    workload: workloadName,
    reasonPrefix,
    desired,
    ready: workload?.status?.readyReplicas ?? 0,
    running: workload?.status?.replicas ?? 0,
    phase: phaseOf(workload, desired),
    ...(failure !== undefined ? { failure } : {}),
  };
}

/** The tiers in the order the cache depends on them. */
function tierReports({ spec, observed }: StatusInput): TierReport[] {
  const tiers: TierReport[] = [];
  if (spec.zookeeper.mode === 'managed') {
    tiers.push(report('ZooKeeper members', 'ZooKeeper StatefulSet', 'ZooKeeper', observed.zookeeper, spec.zookeeper.replicas));
  }
  tiers.push(report('servers', 'server Deployment', 'Servers', observed.server, spec.servers.replicas));
  // While an HPA scales the routers, what it asked for is the target.
  const clientsDesired = spec.clients.autoscaling.enabled
    ? (observed.client?.spec?.replicas ?? spec.clients.autoscaling.minReplicas)
    : spec.clients.replicas;
  tiers.push(report('clients', 'client Deployment', 'Clients', observed.client, clientsDesired));
  return tiers;
}

const readiness = (tier: TierReport) => `${tier.ready}/${tier.desired} ${tier.noun}`;

function replicatedCondition(replication: ReplicationReport): ConditionUpdate {
  const { replicated, reason, message } = replication;
  return { type: CONDITION.replicated, status: replicated ? 'True' : 'False', reason, message };
}

/** Ready means safe to lose a node: every tier ready, and every key at its copies (Replicated). */
function readyCondition(tiers: readonly TierReport[], replication: ReplicationReport): ConditionUpdate {
  const base = { type: CONDITION.ready } as const;
  const empty = tiers.find((tier) => tier.desired === 0 && tier.reasonPrefix !== 'ZooKeeper');
  if (empty !== undefined) {
    return { ...base, status: 'False', reason: `No${empty.reasonPrefix}`, message: `no ${empty.noun} are wanted, so the cache cannot serve` };
  }
  const short = tiers.find((tier) => tier.ready < tier.desired);
  if (short !== undefined) {
    return { ...base, status: 'False', reason: `${short.reasonPrefix}NotReady`, message: `${readiness(short)} ready` };
  }
  if (!replication.replicated) return { ...base, status: 'False', reason: 'NotReplicated', message: replication.message };
  return { ...base, status: 'True', reason: 'Available', message: `${tiers.map(readiness).join(', ')} ready` };
}

function progressingCondition(tiers: readonly TierReport[]): ConditionUpdate {
  const base = { type: CONDITION.progressing } as const;
  const failed = tiers.find((tier) => tier.failure !== undefined);
  if (failed?.failure !== undefined) return { ...base, status: 'False', ...failed.failure };
  const pick = (phase: Phase) => tiers.find((tier) => tier.phase === phase);
  const missing = pick('missing');
  if (missing !== undefined) return { ...base, status: 'True', reason: 'Creating', message: `creating the ${missing.workload}` };
  const rolling = pick('rollingOut');
  if (rolling !== undefined) return { ...base, status: 'True', reason: 'RollingOut', message: `rolling out the ${rolling.workload}` };
  const scaling = pick('scaling');
  if (scaling !== undefined) {
    const paced = scaling.reasonPrefix === 'Servers' && scaling.running > scaling.desired ? ', one server at a time once every key is replicated' : '';
    return { ...base, status: 'True', reason: 'Scaling', message: `scaling the ${scaling.workload} to ${scaling.desired}${paced}` };
  }
  const waiting = pick('waiting');
  if (waiting !== undefined) {
    return { ...base, status: 'True', reason: 'WaitingForPods', message: `waiting for ${waiting.noun}: ${readiness(waiting)} ready` };
  }
  return { ...base, status: 'False', reason: 'Complete', message: 'every tier is at its desired state' };
}

/** The user's to fix: the routers cannot mount what does not exist. */
function missingSecretsMessage(namespace: string, secrets: readonly UserSecret[]): string {
  const each = secrets.map(({ name, field }) => `Secret "${name}" (${field}) does not exist in namespace "${namespace}"`);
  return `${each.join('; ')}: router pods cannot start until it is created`;
}

function degradedCondition(
  tiers: readonly TierReport[],
  reconcileError: string | undefined,
  namespace: string,
  missingSecrets: readonly UserSecret[],
): ConditionUpdate {
  const base = { type: CONDITION.degraded } as const;
  if (reconcileError !== undefined) return { ...base, status: 'True', reason: 'ReconcileError', message: reconcileError };
  if (missingSecrets.length > 0) return { ...base, status: 'True', reason: 'SecretMissing', message: missingSecretsMessage(namespace, missingSecrets) };
  const failed = tiers.find((tier) => tier.failure !== undefined);
  if (failed?.failure !== undefined) return { ...base, status: 'True', ...failed.failure };
  return { ...base, status: 'False', reason: 'AsExpected', message: 'nothing needs attention' };
}

export function computeStatus(input: StatusInput): DistributedCacheStatus {
  const { cache, spec, observed, now } = input;
  const ctx = cacheContext(cache, spec);
  const tiers = tierReports(input);
  const replication = serverReplication(observed.server);
  const generation = cache.metadata.generation ?? 0;
  const conditions: Condition[] = mergeConditions(
    cache.status?.conditions,
    [
      readyCondition(tiers, replication),
      replicatedCondition(replication),
      progressingCondition(tiers),
      degradedCondition(tiers, input.reconcileError, cache.metadata.namespace, input.missingSecrets ?? []),
      zoneSafeCondition({
        replicationFactor: spec.replicationFactor,
        placement: input.placement ?? serverPlacement(spec.servers.placement, observed.server, observed.client),
        pods: (input.serverPods ?? []).flatMap((pod) => serverPodOf(pod) ?? []),
      }),
      ...(input.monitoring !== undefined ? [monitoringCondition(input.monitoring)] : []),
    ],
    generation,
    now,
  );
  const connectString = zookeeperConnectString(ctx);
  return {
    observedGeneration: generation,
    replicas: observed.server?.status?.replicas ?? 0,
    readyReplicas: observed.server?.status?.readyReplicas ?? 0,
    selector: selectorString(cache.metadata.name, 'server'),
    clients: { readyReplicas: observed.client?.status?.readyReplicas ?? 0 },
    zookeeper:
      spec.zookeeper.mode === 'managed'
        ? { readyReplicas: observed.zookeeper?.status?.readyReplicas ?? 0, connectString }
        : { connectString },
    endpoint: endpointOf(ctx),
    conditions,
  };
}
