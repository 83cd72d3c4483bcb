// Where a tier's pods run and the metadata they carry, from its pod settings
// (spec.<tier>.nodeSelector, tolerations, affinity, topologySpreadConstraints,
// priorityClassName, podLabels, podAnnotations; docs/operator.md).
import type { V1PodSpec, V1TopologySpreadConstraint } from '@kubernetes/client-node';
import type { PodSettings } from '../api/pod-settings.js';
import { selectorLabels, type Component } from './names.js';

export const ZONE_TOPOLOGY_KEY = 'topology.kubernetes.io/zone';
export const HOSTNAME_TOPOLOGY_KEY = 'kubernetes.io/hostname';

/**
 * The spread a tier gets when its topologySpreadConstraints are left out.
 * Copies of a key live on different servers, so servers spread across zones
 * as well as nodes; ScheduleAnyway, so a single-zone or single-node cluster
 * still runs them.
 */
export function defaultSpreadConstraints(cacheName: string, component: Component): V1TopologySpreadConstraint[] {
  const keys = component === 'server' ? [ZONE_TOPOLOGY_KEY, HOSTNAME_TOPOLOGY_KEY] : [HOSTNAME_TOPOLOGY_KEY];
  return keys.map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: selectorLabels(cacheName, component) },
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
