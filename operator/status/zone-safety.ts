// The ZoneSafe condition: whether a whole zone can be lost with no key, from
// what the operator sees: the placement asked for and the one rendered, the
// replication factor, and the server pods with their zone labels (which the API
// server copies from the node at binding). Pure. The data plane says the same
// from its ring (dcache_ring_zone_safe), and the reasons both give are named
// alike (dataplane/ring/placement-report.ts). docs/operator.md "Zones".
import type { V1Pod } from '@kubernetes/client-node';
import type { PlacementMode } from '../api/distributed-cache.js';
import { ZONE_TOPOLOGY_KEY } from '../resources/pod-placement.js';
import { placementOf, type PlacementDecision } from '../resources/server-placement.js';
import { CONDITION, type ConditionUpdate } from './conditions.js';

export const ZONE_SAFE_REASON = {
  /** True: every key's copies are in R distinct zones. */
  spread: 'ZoneSpread',
  /** True as well, but zones hold numbers of servers more than one apart, so the servers of the smaller zones carry more keys each. */
  spreadUneven: 'ZoneSpreadUneven',
  oneCopy: 'OneCopy',
  placementNotZone: 'PlacementNotZone',
  placementSwitching: 'PlacementSwitching',
  zoneUnknown: 'ZoneUnknown',
  tooFewZones: 'TooFewZones',
} as const;

/** A server pod as the condition sees it. */
export interface ServerPod {
  name: string;
  /** Ready and not terminating: a server that holds keys and stays. */
  serving: boolean;
  /** Its topology.kubernetes.io/zone label; undefined when missing or empty. */
  zone?: string;
  /** The PLACEMENT it runs with: a member of the ring until it has left, even while terminating. */
  placement: PlacementMode;
}

/** Undefined for a pod that has finished (Succeeded or Failed): it is no member of the ring. */
export function serverPodOf(pod: V1Pod): ServerPod | undefined {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
  const zone = pod.metadata?.labels?.[ZONE_TOPOLOGY_KEY];
  return {
    name: pod.metadata?.name ?? '',
    serving: ready && pod.metadata?.deletionTimestamp === undefined,
    ...(zone !== undefined && zone !== '' ? { zone } : {}),
    placement: placementOf(pod.spec),
  };
}

export interface ZoneSafetyInput {
  replicationFactor: number;
  placement: PlacementDecision;
  pods: readonly ServerPod[];
}

const MAX_NAMED = 5;

/** Sorted, so that the message (and the status) does not depend on the order an informer lists pods in. */
function names(pods: readonly ServerPod[]): string {
  const sorted = pods.map((pod) => pod.name).sort();
  const named = sorted.slice(0, MAX_NAMED).join(', ');
  return sorted.length > MAX_NAMED ? `${named} and ${sorted.length - MAX_NAMED} more` : named;
}

/** Serving servers per zone, by zone name. */
function serversPerZone(pods: readonly ServerPod[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const pod of pods) if (pod.zone !== undefined) counts.set(pod.zone, (counts.get(pod.zone) ?? 0) + 1);
  return new Map([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const describeZones = (counts: Map<string, number>) => [...counts].map(([zone, count]) => `${zone}=${count}`).join(', ');

/**
 * True (ZoneSpread, or ZoneSpreadUneven when zones hold numbers of servers
 * more than one apart) when every key's copies are in R distinct zones. False,
 * checked in this order: OneCopy (R = 1), PlacementNotZone (the spec asks for
 * node or none), PlacementSwitching (the servers do not all run placement zone
 * yet: held back for routers of an earlier release, or rolling), ZoneUnknown
 * (a serving server without a zone label), TooFewZones (fewer zones than R).
 */
export function zoneSafeCondition({ replicationFactor, placement, pods }: ZoneSafetyInput): ConditionUpdate {
  const unsafe = (reason: string, message: string): ConditionUpdate => ({ type: CONDITION.zoneSafe, status: 'False', reason, message });
  const safe = (reason: string, message: string): ConditionUpdate => ({ type: CONDITION.zoneSafe, status: 'True', reason, message });
  if (replicationFactor < 2) {
    return unsafe(ZONE_SAFE_REASON.oneCopy, 'spec.replicationFactor is 1: each key has one copy, lost with the zone of its server');
  }
  if (placement.wanted !== 'zone') {
    const over = placement.wanted === 'node' ? 'distinct nodes' : 'distinct servers';
    return unsafe(ZONE_SAFE_REASON.placementNotZone, `spec.servers.placement is ${placement.wanted}: each key's copies are on ${over}, whatever their zones`);
  }
  if (placement.heldBack !== undefined) return unsafe(ZONE_SAFE_REASON.placementSwitching, placement.heldBack);
  const behind = pods.filter((pod) => pod.placement !== placement.rendered);
  if (behind.length > 0) {
    return unsafe(
      ZONE_SAFE_REASON.placementSwitching,
      `${behind.length} of ${pods.length} server pods run another placement than ${placement.rendered} (${names(behind)}); ` +
        'the ring keeps the weakest placement any server runs until the last of them has left, and then moves the keys',
    );
  }
  const serving = pods.filter((pod) => pod.serving);
  const unzoned = serving.filter((pod) => pod.zone === undefined);
  if (unzoned.length > 0) {
    return unsafe(
      ZONE_SAFE_REASON.zoneUnknown,
      `no zone known for server pod${unzoned.length === 1 ? '' : 's'} ${names(unzoned)}: no ${ZONE_TOPOLOGY_KEY} label on the pod, ` +
        "which the API server copies from the node's label at binding (PodTopologyLabels admission, Kubernetes 1.35 and later)",
    );
  }
  const zones = serversPerZone(serving);
  if (zones.size < replicationFactor) {
    const where = zones.size === 0 ? 'no server is ready' : `ready servers are in ${zones.size} zone${zones.size === 1 ? '' : 's'} (${describeZones(zones)})`;
    return unsafe(ZONE_SAFE_REASON.tooFewZones, `${where}, fewer than the ${replicationFactor} copies of each key`);
  }
  const spread = `every key's ${replicationFactor} copies are in ${replicationFactor} distinct zones`;
  const counts = [...zones.values()];
  if (Math.max(...counts) - Math.min(...counts) > 1) {
    return safe(
      ZONE_SAFE_REASON.spreadUneven,
      `${spread}, but zones hold uneven numbers of ready servers (${describeZones(zones)}): the servers of the smaller zones carry more keys each`,
    );
  }
  return safe(ZONE_SAFE_REASON.spread, `${spread} (ready servers per zone: ${describeZones(zones)})`);
}
