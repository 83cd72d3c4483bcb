// The kinds of child the operator creates, and the types its builders return
// for them: API objects addressed as server-side apply needs.
import type {
  V1Deployment,
  V1LabelSelector,
  V1NetworkPolicyPeer,
  V1NetworkPolicyPort,
  V1ObjectMeta,
  V1PodDisruptionBudget,
  V1Secret,
  V1Service,
  V1StatefulSet,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';

/**
 * The kinds of child the operator applies, and prunes when they are no longer
 * wanted. Not the cluster token's Secret: it is created once and never read
 * back (resources/cluster-token.ts), so the operator needs no right to read Secrets.
 */
export const CHILD_KINDS = ['StatefulSet', 'Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'NetworkPolicy'] as const;
export type ChildKind = (typeof CHILD_KINDS)[number];

/** Any object the operator applies: what server-side apply needs to address it. */
export interface ChildObject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string; namespace: string };
  [field: string]: unknown;
}

export type StatefulSet = V1StatefulSet & ChildObject;
export type Deployment = V1Deployment & ChildObject;
export type Service = V1Service & ChildObject;
export type PodDisruptionBudget = V1PodDisruptionBudget & ChildObject;
export type HorizontalPodAutoscaler = V2HorizontalPodAutoscaler & ChildObject;
export type Secret = V1Secret & ChildObject;

/** As on the wire: the client library's model spells an ingress rule's `from` as `_from`. */
export interface NetworkPolicyIngressRule {
  from?: V1NetworkPolicyPeer[];
  ports?: V1NetworkPolicyPort[];
}
export interface NetworkPolicy extends ChildObject {
  spec: { podSelector: V1LabelSelector; policyTypes: Array<'Ingress' | 'Egress'>; ingress: NetworkPolicyIngressRule[] };
}
