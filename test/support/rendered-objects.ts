// Kubernetes objects as `helm template` and `kubectl kustomize` print them:
// parsed, keyed by kind, namespace and name, and stripped of what only Helm adds.
import { loadAll } from 'js-yaml';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** What Helm's chart adds to every object beside the labels manifests/ gives it. */
export const HELM_LABELS = ['helm.sh/chart', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/instance', 'app.kubernetes.io/version'] as const;
/** What the chart adds to the CRD only: `helm uninstall` leaves it. */
export const KEEP_ANNOTATION = 'helm.sh/resource-policy';

/** Every object of a multi-document YAML stream, empty documents left out. */
export function parseObjects(text: string): KubeObject[] {
  return loadAll(text).filter((document): document is KubeObject => {
    if (document === null || document === undefined) return false;
    const object = document as Partial<KubeObject>;
    if (typeof object.kind !== 'string' || typeof object.metadata?.name !== 'string') {
      throw new Error(`not a Kubernetes object: ${JSON.stringify(document).slice(0, 200)}`);
    }
    return true;
  });
}

export function objectKey(object: KubeObject): string {
  return `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

export function byKey(objects: readonly KubeObject[]): Map<string, KubeObject> {
  const map = new Map<string, KubeObject>();
  for (const object of objects) {
    const key = objectKey(object);
    if (map.has(key)) throw new Error(`${key} is rendered twice`);
    map.set(key, object);
  }
  return map;
}

/** The one object of that kind and name; throws naming what there is instead. */
export function findObject(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.filter((object) => object.kind === kind && object.metadata.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${kind} ${name}, found ${found.length} among: ${objects.map(objectKey).join(', ')}`);
  }
  return found[0] as KubeObject;
}

export function kinds(objects: readonly KubeObject[]): string[] {
  return objects.map((object) => object.kind).sort();
}

/** A copy without Helm's labels and the keep annotation (and maps they leave empty). */
export function withoutHelmMetadata(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  const { metadata } = copy;
  for (const label of HELM_LABELS) delete metadata.labels?.[label];
  delete metadata.annotations?.[KEEP_ANNOTATION];
  if (metadata.labels !== undefined && Object.keys(metadata.labels).length === 0) delete metadata.labels;
  if (metadata.annotations !== undefined && Object.keys(metadata.annotations).length === 0) delete metadata.annotations;
  return copy;
}

/** A Deployment's first container, which is the operator's. */
export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  env?: { name: string; value?: string }[];
  ports?: { name: string; containerPort: number }[];
  resources?: unknown;
}

export interface PodSpec {
  serviceAccountName?: string;
  imagePullSecrets?: { name: string }[];
  containers: Container[];
}

export function podSpec(deployment: KubeObject): PodSpec {
  const spec = deployment['spec'] as { template: { spec: PodSpec } };
  return spec.template.spec;
}

export function operatorContainer(deployment: KubeObject): Container {
  const container = podSpec(deployment).containers[0];
  if (container === undefined) throw new Error(`${objectKey(deployment)} has no container`);
  return container;
}

/** The container's env as name → value (valueFrom entries map to undefined). */
export function envOf(container: Container): Map<string, string | undefined> {
  return new Map((container.env ?? []).map((variable) => [variable.name, variable.value]));
}
