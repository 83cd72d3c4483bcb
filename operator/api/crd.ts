// The DistributedCache CustomResourceDefinition, built from the API schema.
// crds/ holds this object printed as YAML (`make crd` regenerates it; a unit
// test fails when the committed file and this code disagree).
import { dumpYaml, loadYaml } from '@kubernetes/client-node';
import {
  API_VERSION,
  CATEGORIES,
  CRD_NAME,
  GROUP,
  KIND,
  LIST_KIND,
  MAX_NAME_LENGTH,
  PLURAL,
  SHORT_NAMES,
  SINGULAR,
  specSchema,
  statusSchema,
  VERSION,
} from './distributed-cache.js';
import type { JsonSchema } from './schema.js';

export const CRD_FILE = `crds/${GROUP}_${PLURAL}.yaml`;

// Service names are DNS-1035 labels: they start with a letter.
const NAME_RULE = `self.metadata.name.matches('^[a-z]([-a-z0-9]{0,${MAX_NAME_LENGTH - 2}}[a-z0-9])?$')`;

const rootSchema: JsonSchema = {
  type: 'object',
  description: `A distributed in-memory cache: ZooKeeper, cache servers and routers, run by the distributed-cache operator. (${API_VERSION})`,
  required: ['spec'],
  properties: {
    apiVersion: { type: 'string', description: 'The versioned schema of this object.' },
    kind: { type: 'string', description: 'The kind of this object.' },
    metadata: { type: 'object' },
    spec: specSchema,
    status: statusSchema,
  },
  'x-kubernetes-validations': [
    {
      rule: NAME_RULE,
      message: `metadata.name must start with a letter, hold only lowercase letters, digits and '-', and be at most ${MAX_NAME_LENGTH} characters (it prefixes the names of the Services and the StatefulSet the operator creates)`,
    },
  ],
};

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

export function distributedCacheCrd(): CustomResourceDefinition {
  const column = (name: string, type: string, jsonPath: string, description: string) => ({ name, type, jsonPath, description });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: CRD_NAME, labels: { 'app.kubernetes.io/name': 'distributed-cache' } },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: KIND, listKind: LIST_KIND, plural: PLURAL, singular: SINGULAR, shortNames: [...SHORT_NAMES], categories: [...CATEGORIES] },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: rootSchema },
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.servers.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.selector',
            },
          },
          additionalPrinterColumns: [
            column('Servers', 'integer', '.spec.servers.replicas', 'Desired cache servers'),
            column('Servers-Ready', 'integer', '.status.readyReplicas', 'Cache servers that are ready'),
            column('Clients-Ready', 'integer', '.status.clients.readyReplicas', 'Routers that are ready'),
            column('ZooKeeper-Ready', 'integer', '.status.zookeeper.readyReplicas', 'ZooKeeper members that are ready'),
            column('Ready', 'string', '.status.conditions[?(@.type=="Ready")].status', 'Whether the cache is Ready'),
            column('Replicated', 'string', '.status.conditions[?(@.type=="Replicated")].status', 'Whether every key has its copies (no hand-off running)'),
            column('ZoneSafe', 'string', '.status.conditions[?(@.type=="ZoneSafe")].status', 'Whether a whole zone can be lost with no key'),
            column('Age', 'date', '.metadata.creationTimestamp', 'Time since creation'),
          ],
        },
      ],
    },
  };
}

/** The text of CRD_FILE. */
export function distributedCacheCrdYaml(): string {
  const header = '# Generated from operator/api/distributed-cache.ts by `make crd`. Do not edit by hand.\n';
  // dumpYaml serializes through the client's typed model (V1JSONSchemaProps
  // spells `enum` as `_enum`), so the wire-format object goes in through
  // loadYaml, which reads JSON as the YAML it is. No line folding: Go's YAML
  // parsers (kubectl's, kustomize's, Helm's) disagree on folded text with
  // more-indented lines, such as the Kubernetes types' enum lists.
  const model = loadYaml<unknown>(JSON.stringify(distributedCacheCrd()));
  return header + dumpYaml(model, { lineWidth: -1, noRefs: true });
}
