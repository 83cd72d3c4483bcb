// Where each kind the operator touches lives in the API (no discovery needed:
// the set is fixed and small).
import { API_VERSION, KIND, PLURAL } from '../api/distributed-cache.js';
import { POD_MONITOR_API_VERSION, POD_MONITOR_KIND, POD_MONITOR_PLURAL } from '../resources/pod-monitor.js';

export interface ResourceType {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

/** Every kind the operator reads or writes. */
export const KNOWN_TYPES = [
  { apiVersion: API_VERSION, kind: KIND, plural: PLURAL, namespaced: true },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  // Read only: the server pods' zone labels (the ZoneSafe condition).
  { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true },
  // Served only where the Prometheus Operator's CRDs are installed (spec.monitoring).
  { apiVersion: POD_MONITOR_API_VERSION, kind: POD_MONITOR_KIND, plural: POD_MONITOR_PLURAL, namespaced: true },
  { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespaced: true },
  { apiVersion: 'events.k8s.io/v1', kind: 'Event', plural: 'events', namespaced: true },
] as const satisfies readonly ResourceType[];

export type KnownKind = (typeof KNOWN_TYPES)[number]['kind'];

export function resourceType(kind: KnownKind): ResourceType {
  const type = KNOWN_TYPES.find((t) => t.kind === kind);
  if (type === undefined) throw new Error(`unknown kind ${kind}`);
  return type;
}

export function resourceTypeOf(object: { apiVersion: string; kind: string }): ResourceType {
  const type = KNOWN_TYPES.find((t) => t.kind === object.kind && t.apiVersion === object.apiVersion);
  if (type === undefined) throw new Error(`the operator does not handle ${object.apiVersion} ${object.kind}`);
  return type;
}

/** The REST path of a collection (namespace undefined: across all namespaces) or, with a name, of one object. */
export function resourcePath(type: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  const root = type.apiVersion.includes('/') ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  const ns = type.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const item = name !== undefined ? `/${encodeURIComponent(name)}` : '';
  const sub = subresource !== undefined ? `/${subresource}` : '';
  return `${root}${ns}/${type.plural}${item}${sub}`;
}
