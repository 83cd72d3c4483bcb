// The Kubernetes types the CRD adopts (tolerations, affinity, spread, node
// selector): inlined from the API's OpenAPI by hack/k8s-schemas/, committed in
// operator/api/generated/, and embedded in every tier of the CRD. The
// integration test regenerates them from a live API server and compares.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { distributedCacheCrd } from '../../../operator/api/crd.js';
import { KUBERNETES_VERSION, POD_SPEC_FIELD_SCHEMAS } from '../../../operator/api/generated/kubernetes-schemas.js';
import type { JsonSchema } from '../../../operator/api/schema.js';
import { inlineProperty, inlineSchema, UninlinableSchemaError, type OpenApiDocument } from '../../../hack/k8s-schemas/inline-schema.js';
import { POD_SPEC_FIELDS } from '../../../hack/k8s-schemas/render.js';
import { repoPath } from '../../support/operator-repo.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const DOC: OpenApiDocument = {
  components: {
    schemas: {
      Pod: {
        type: 'object',
        description: 'A pod.',
        properties: {
          tolerations: {
            type: 'array',
            description: "The pod's tolerations.",
            items: ref('Toleration'),
            'x-kubernetes-list-type': 'atomic',
            'x-kubernetes-patch-strategy': 'merge',
            'x-kubernetes-patch-merge-key': 'key',
          },
          selector: { description: 'Which pods.', allOf: [ref('Selector')], default: {} },
          port: { description: 'A port.', allOf: [ref('io.k8s.apimachinery.pkg.util.intstr.IntOrString')] },
        },
        'x-kubernetes-group-version-kind': [{ group: '', kind: 'Pod', version: 'v1' }],
      },
      Toleration: {
        type: 'object',
        description: 'A toleration.',
        properties: {
          effect: { type: 'string', description: 'The effect.', enum: ['NoSchedule', 'NoExecute'] },
          seconds: { type: 'integer', format: 'int64', description: 'How long.' },
          key: { type: 'string', description: 'The key.', default: '' },
        },
      },
      Selector: {
        type: 'object',
        description: 'A selector.',
        properties: { matchLabels: { type: 'object', description: 'Labels.', additionalProperties: { type: 'string', default: '' } } },
        'x-kubernetes-map-type': 'atomic',
      },
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string' },
      Loop: { type: 'object', description: 'Refers to itself.', properties: { next: ref('Loop') } },
      Untyped: { description: 'No type.', properties: {} },
    },
  },
};

describe('hack/k8s-schemas: inlining the Kubernetes OpenAPI into a structural schema', () => {
  it('inlines references, keeping list markers and dropping the strategic-merge-patch ones', () => {
    expect(inlineProperty(DOC, 'Pod', 'tolerations')).to.deep.equal({
      type: 'array',
      description: "The pod's tolerations.",
      'x-kubernetes-list-type': 'atomic',
      items: {
        type: 'object',
        description: 'A toleration.',
        properties: {
          effect: { type: 'string', description: 'The effect.' },
          key: { type: 'string', description: 'The key.' },
          seconds: { type: 'integer', format: 'int64', description: 'How long.' },
        },
      },
    });
  });

  it("unwraps allOf: [$ref], keeping the referring field's description and the map type, and dropping defaults", () => {
    expect(inlineProperty(DOC, 'Pod', 'selector')).to.deep.equal({
      type: 'object',
      description: 'Which pods.',
      'x-kubernetes-map-type': 'atomic',
      properties: { matchLabels: { type: 'object', description: 'Labels.', additionalProperties: { type: 'string' } } },
    });
  });

  it('spells IntOrString as x-kubernetes-int-or-string, as a CRD must', () => {
    expect(inlineProperty(DOC, 'Pod', 'port')).to.deep.equal({
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      description: 'A port.',
    });
  });

  it('drops the group-version-kind extension of a whole type', () => {
    expect(inlineSchema(DOC, 'Pod')).to.not.have.property('x-kubernetes-group-version-kind');
  });

  it('refuses what it cannot inline: a type that refers to itself, a node without a type, a missing name', () => {
    expect(() => inlineSchema(DOC, 'Loop')).to.throw(UninlinableSchemaError, /refers to itself/);
    expect(() => inlineSchema(DOC, 'Untyped')).to.throw(UninlinableSchemaError, /no type/);
    expect(() => inlineProperty(DOC, 'Pod', 'nope')).to.throw(UninlinableSchemaError, /no property nope/);
  });
});

/** Every node of a schema, with its path. */
function* nodes(schema: JsonSchema, path = ''): Generator<[string, JsonSchema & Record<string, unknown>]> {
  yield [path, schema as JsonSchema & Record<string, unknown>];
  for (const [key, child] of Object.entries(schema.properties ?? {})) yield* nodes(child, `${path}.${key}`);
  if (schema.items !== undefined) yield* nodes(schema.items, `${path}[]`);
  if (schema.additionalProperties !== undefined) yield* nodes(schema.additionalProperties, `${path}{}`);
}

describe('operator/api/generated: the committed Kubernetes schemas', () => {
  it('come from the Kubernetes version the test control plane pins (hack/k8s/go.mod)', () => {
    const pinned = /k8s\.io\/kubernetes (v\d+\.\d+\.\d+)/.exec(readFileSync(repoPath('hack/k8s/go.mod'), 'utf8'))?.[1];
    expect(KUBERNETES_VERSION).to.equal(pinned);
    expect(readFileSync(repoPath('operator/api/generated/kubernetes-schemas.ts'), 'utf8')).to.match(
      new RegExp(`^// Generated by hack/gen-k8s-schemas.sh .* kube-apiserver ${KUBERNETES_VERSION}`),
    );
  });

  it('hold the pod spec fields every tier offers, and the real Toleration, Affinity and TopologySpreadConstraint', () => {
    expect(Object.keys(POD_SPEC_FIELD_SCHEMAS).sort()).to.deep.equal([...POD_SPEC_FIELDS].sort());
    expect(Object.keys(POD_SPEC_FIELD_SCHEMAS.tolerations.items?.properties ?? {})).to.include.members([
      'key', 'operator', 'value', 'effect', 'tolerationSeconds',
    ]);
    expect(Object.keys(POD_SPEC_FIELD_SCHEMAS.affinity.properties ?? {})).to.deep.equal(['nodeAffinity', 'podAffinity', 'podAntiAffinity']);
    expect(POD_SPEC_FIELD_SCHEMAS.topologySpreadConstraints.items?.required).to.deep.equal(['maxSkew', 'topologyKey', 'whenUnsatisfiable']);
    expect(POD_SPEC_FIELD_SCHEMAS.topologySpreadConstraints).to.include({ 'x-kubernetes-list-type': 'map' });
  });

  it('are structural: no $ref, allOf, defaults, enums or patch markers, and a type (or int-or-string) on every node', () => {
    for (const [field, schema] of Object.entries(POD_SPEC_FIELD_SCHEMAS)) {
      for (const [path, node] of nodes(schema, field)) {
        expect(node, path).to.not.have.any.keys('$ref', 'allOf', 'default', 'enum', 'x-kubernetes-patch-strategy', 'x-kubernetes-patch-merge-key');
        expect(node.type !== undefined || node['x-kubernetes-int-or-string'] === true, `${path} has a type`).to.equal(true);
      }
    }
  });

  for (const tier of ['servers', 'clients', 'zookeeper'] as const) {
    it(`are embedded in spec.${tier} of the CRD, with descriptions of their own at the top`, () => {
      const version = (distributedCacheCrd().spec['versions'] as Array<{ schema: { openAPIV3Schema: JsonSchema } }>)[0];
      const tierSchema = version?.schema.openAPIV3Schema.properties?.['spec']?.properties?.[tier];
      for (const field of POD_SPEC_FIELDS) {
        const { description: generated, ...generatedRest } = POD_SPEC_FIELD_SCHEMAS[field];
        const { description, ...rest } = tierSchema?.properties?.[field] ?? {};
        expect(rest, `spec.${tier}.${field}`).to.deep.equal(generatedRest);
        expect(description).to.be.a('string').and.not.equal(generated);
      }
    });
  }
});
