// The operator keeps Kubernetes objects in their wire form (plain JSON, as the
// API server sends them): that is what server-side apply sends and what the
// drift checks in operator/reconcile/drift.ts compare.
import type { KubernetesObject } from '@kubernetes/client-node';
// The model registry is not exported from the package's index in 1.4 (kubernetes-client/javascript#2433 added it).
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { KNOWN_TYPES } from './resource-types.js';

/**
 * The library's typed serializer rebuilds known kinds from its models, which
 * drops what they name differently (a NetworkPolicy rule's `from` is `_from`,
 * kubernetes-client/javascript#2483) and turns timestamps into Dates. The
 * operator's kinds pass through as JSON instead, in this process.
 */
export function keepWireForm(): void {
  const asIs = { serialize: (data: unknown) => data, deserialize: (data: unknown) => data };
  for (const { apiVersion, kind } of KNOWN_TYPES) {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    for (const k of [kind, `${kind}List`]) {
      try {
        ObjectSerializer.registerModel({ group: group ?? '', version: version ?? '', kind: k }, asIs);
      } catch {
        // Registered already, by an earlier client in this process.
      }
    }
  }
}

/** Our wire-form objects as the library's type (they differ in timestamps: strings here, Dates there). */
export const wire = (object: object): KubernetesObject => object as unknown as KubernetesObject;
