// Where a tier's pods run and the metadata they carry, from its pod settings
// (spec.<tier>.nodeSelector, tolerations, affinity, topologySpreadConstraints,
// priorityClassName, podLabels, podAnnotations; docs/operator.md).
import type { V1PodSpec, V1TopologySpreadConstraint } from '@kubernetes/client-node';
import type { PodSettings } from '../api/pod-settings.js';
import { selectorLabels, type Component } from './names.js';

export const ZONE_TOPOLOGY_KEY = 'topology.kubernetes.io/zone';
export const HOSTNAME_TOPOLOGY_KEY = 'kubernetes.io/hostname';

/** The label the Deployment controller gives the pods of one pod template (one ReplicaSet). */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/**
 * The spread a tier gets when its topologySpreadConstraints are left out:
 * every tier across zones as well as nodes. Copies of a key go to distinct
 * zones, so servers spread evenly over them; a ZooKeeper ensemble in one zone
 * loses its quorum with it, and routers all in one zone leave clients none.
 * ScheduleAnyway, not DoNotSchedule: a hard zone constraint
 * leaves pods Pending on nodes without a zone label (a one-zone or unlabelled
 * cluster), and while a zone is down it would keep replacements out of the
 * zones that remain; the ZoneSafe condition says when zones are uneven
 * (docs/operator.md "Zones"). Servers count only the pods of their own pod
 * template (matchLabelKeys), so that a rolling update spreads the new pods
 * evenly whichever old ones the ReplicaSet controller removes.
 */
export function defaultSpreadConstraints(cacheName: string, component: Component): V1TopologySpreadConstraint[] {
  return [ZONE_TOPOLOGY_KEY, HOSTNAME_TOPOLOGY_KEY].map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: selectorLabels(cacheName, component) },
    ...(component === 'server' ? { matchLabelKeys: [POD_TEMPLATE_HASH_LABEL] } : {}),
  }));
}

type Placement = Pick<V1PodSpec, 'nodeSelector' | 'tolerations' | 'affinity' | 'topologySpreadConstraints' | 'priorityClassName'>;

/** The pod spec fields the settings decide; the user's spread list, even an empty one, replaces the default. */
export function podPlacement(settings: PodSettings, cacheName: string, component: Component): Placement {
  const spread = settings.topologySpreadConstraints ?? defaultSpreadConstraints(cacheName, component);
  return {
    ...(settings.nodeSelector !== undefined && Object.keys(settings.nodeSelector).length > 0 ? { nodeSelector: settings.nodeSelector } : {}),
    ...(settings.tolerations !== undefined && settings.tolerations.length > 0 ? { tolerations: settings.tolerations } : {}),
    ...(settings.affinity !== undefined ? { affinity: settings.affinity } : {}),
    ...(spread.length > 0 ? { topologySpreadConstraints: spread } : {}),
    ...(settings.priorityClassName !== undefined ? { priorityClassName: settings.priorityClassName } : {}),
  };
}

/** The user's pod labels under the operator's: the operator's win, since its selectors depend on them. */
export function podTemplateLabels(settings: PodSettings, operatorLabels: Record<string, string>): Record<string, string> {
  return { ...settings.labels, ...operatorLabels };
}

/** The user's pod annotations under the operator's (the config checksum). */
export function podTemplateAnnotations(settings: PodSettings, operatorAnnotations: Record<string, string>): Record<string, string> {
  return { ...settings.annotations, ...operatorAnnotations };
}
