// The pod settings every tier (spec.servers, spec.clients, spec.zookeeper)
// takes: where its pods run and what extra metadata they carry. Scheduling
// fields use the pod API's own schemas, generated from the Kubernetes OpenAPI
// (operator/api/generated/, docs/operator.md "Kubernetes types in the schema").
import type { V1Affinity, V1Toleration, V1TopologySpreadConstraint } from '@kubernetes/client-node';
import { POD_SPEC_FIELD_SCHEMAS } from './generated/kubernetes-schemas.js';
import { adopted, mapOf, string, type ValidationRule } from './schema.js';

/**
 * Label keys the operator sets on every pod. Its selectors use them, so a
 * user's value would either be overwritten or orphan the pods.
 */
export const OPERATOR_LABEL_KEYS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/component',
  'app.kubernetes.io/managed-by',
] as const;

/** A PriorityClass name (RFC 1123 subdomain), as the pod API wants it. */
const PRIORITY_CLASS_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

function noOperatorKeys(path: string): ValidationRule {
  const keys = OPERATOR_LABEL_KEYS.map((key) => `'${key}'`).join(', ');
  return {
    rule: `self.all(k, !(k in [${keys}]))`,
    message: `${path} must not set ${OPERATOR_LABEL_KEYS.join(', ')}: the operator sets these and selects its pods by them`,
  };
}

/** The properties to spread into a tier's schema. `spreadDefault` says what happens when topologySpreadConstraints is left out. */
export function podSettingsProperties(path: string, who: string, spreadDefault: string) {
  return {
    nodeSelector: adopted<Record<string, string>>(POD_SPEC_FIELD_SCHEMAS.nodeSelector, {
      description: `Node labels that every node running ${who} must have (the pod's nodeSelector).`,
    }),
    tolerations: adopted<V1Toleration[]>(POD_SPEC_FIELD_SCHEMAS.tolerations, {
      description: `Taints ${who} tolerate (the pod's tolerations, as in the core/v1 Toleration).`,
    }),
    affinity: adopted<V1Affinity>(POD_SPEC_FIELD_SCHEMAS.affinity, {
      description: `Node affinity, pod affinity and anti-affinity of ${who} (the pod's affinity, as in the core/v1 Affinity).`,
    }),
    topologySpreadConstraints: adopted<V1TopologySpreadConstraint[]>(POD_SPEC_FIELD_SCHEMAS.topologySpreadConstraints, {
      description: `How ${who} spread across nodes and zones (as in the core/v1 TopologySpreadConstraint). When left out: ${spreadDefault}. A list given here replaces that default entirely; an empty list means no constraints.`,
    }),
    priorityClassName: string({
      description: `The PriorityClass of ${who}; the cluster default when left out.`,
      minLength: 1,
      maxLength: 253,
      pattern: PRIORITY_CLASS_PATTERN,
    }),
    podLabels: mapOf(string({ description: 'A label value.', maxLength: 63 }), {
      description: `Extra labels on ${who}' pods. The operator's own labels (app.kubernetes.io/name, instance, component, managed-by) cannot be set here.`,
      rules: [noOperatorKeys(`${path}.podLabels`)],
    }),
    podAnnotations: mapOf(string({ description: 'An annotation value.' }), {
      description: `Extra annotations on ${who}' pods. Changing them rolls the pods, as any pod template change does.`,
    }),
  };
}

/** The names of the pod settings, for rules that forbid them where the operator runs no pods. */
export const POD_SETTING_FIELDS = Object.keys(podSettingsProperties('', '', '')) as ReadonlyArray<
  keyof ReturnType<typeof podSettingsProperties>
>;

/** A tier's pod settings once resolved: maps always present, the rest only when set. */
export interface PodSettings {
  nodeSelector?: Record<string, string>;
  tolerations?: V1Toleration[];
  affinity?: V1Affinity;
  /** Undefined: the tier's default spread (operator/resources/pod-placement.ts). */
  topologySpreadConstraints?: V1TopologySpreadConstraint[];
  priorityClassName?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** What a tier of the spec holds of the pod settings, as the user wrote them. */
export interface PodSettingsInput {
  nodeSelector?: Record<string, string>;
  tolerations?: V1Toleration[];
  affinity?: V1Affinity;
  topologySpreadConstraints?: V1TopologySpreadConstraint[];
  priorityClassName?: string;
  podLabels?: Record<string, string>;
  podAnnotations?: Record<string, string>;
}

export function resolvePodSettings(tier: PodSettingsInput): PodSettings {
  return {
    ...(tier.nodeSelector !== undefined ? { nodeSelector: { ...tier.nodeSelector } } : {}),
    ...(tier.tolerations !== undefined ? { tolerations: structuredClone(tier.tolerations) } : {}),
    ...(tier.affinity !== undefined ? { affinity: structuredClone(tier.affinity) } : {}),
    ...(tier.topologySpreadConstraints !== undefined ? { topologySpreadConstraints: structuredClone(tier.topologySpreadConstraints) } : {}),
    ...(tier.priorityClassName !== undefined ? { priorityClassName: tier.priorityClassName } : {}),
    labels: { ...tier.podLabels },
    annotations: { ...tier.podAnnotations },
  };
}
