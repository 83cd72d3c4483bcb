// The CRD in crds/ is printed from the schema in operator/api, and the API
// types are inferred from that same schema: these tests keep all three equal.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CRD_FILE, distributedCacheCrd, distributedCacheCrdYaml } from '../../../operator/api/crd.js';
import {
  specSchema,
  type DefaultedSpec,
  type DistributedCacheSpec,
  type DistributedCacheStatus,
} from '../../../operator/api/distributed-cache.js';
import { applyDefaults, type JsonSchema } from '../../../operator/api/schema.js';
import { LOG_LEVELS } from '../../../dataplane/config/contract.js';
import { repoPath } from '../../support/operator-repo.js';
import { POD_SPEC_FIELDS } from '../../../hack/k8s-schemas/render.js';
import { DEFAULTED_EMPTY_SPEC } from '../../support/operator-fixtures.js';

interface CrdVersion {
  name: string;
  schema: { openAPIV3Schema: JsonSchema };
  subresources: { status: object; scale: Record<string, string> };
  additionalPrinterColumns: Array<{ name: string; jsonPath: string; type: string }>;
}

/** Inside a schema the Kubernetes API defines (hack/k8s-schemas/), whose bounds are the pod API's to check. */
const ADOPTED_PATH = new RegExp(`^\\.spec\\.(servers|clients|zookeeper)\\.(${POD_SPEC_FIELDS.join('|')})[.\\[]`);

const version = (): CrdVersion => (distributedCacheCrd().spec['versions'] as CrdVersion[])[0] as CrdVersion;
const specOf = (): JsonSchema => version().schema.openAPIV3Schema.properties?.['spec'] as JsonSchema;

/** Every schema node, with its path. */
function* walk(schema: JsonSchema, path = ''): Generator<[string, JsonSchema]> {
  yield [path, schema];
  for (const [key, child] of Object.entries(schema.properties ?? {})) yield* walk(child, `${path}.${key}`);
  if (schema.items !== undefined) yield* walk(schema.items, `${path}[]`);
  if (schema.additionalProperties !== undefined) yield* walk(schema.additionalProperties, `${path}{}`);
}

describe('operator API: the DistributedCache CRD', () => {
  it(`is committed in ${CRD_FILE} exactly as operator/api generates it (run \`make crd\` after changing the schema)`, () => {
    expect(readFileSync(repoPath(CRD_FILE), 'utf8')).to.equal(distributedCacheCrdYaml());
  });

  it('names the API as the opening of docs/operator.md does: group, version, kind, plural, short name, namespaced', () => {
    const crd = distributedCacheCrd();
    expect(crd.metadata.name).to.equal('distributedcaches.cache.distributed.dev');
    expect(crd.spec).to.deep.include({ group: 'cache.distributed.dev', scope: 'Namespaced' });
    expect(crd.spec['names']).to.deep.include({ kind: 'DistributedCache', plural: 'distributedcaches', shortNames: ['dcache'] });
    expect(version().name).to.equal('v1alpha1');
  });

  it('has a status subresource and a scale subresource on spec.servers.replicas', () => {
    expect(version().subresources).to.deep.equal({
      status: {},
      scale: { specReplicasPath: '.spec.servers.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
    });
  });

  it('prints servers desired and ready, clients, ZooKeeper, Ready, Replicated, ZoneSafe and Age', () => {
    const columns = version().additionalPrinterColumns.map((c) => [c.name, c.jsonPath]);
    expect(columns).to.deep.equal([
      ['Servers', '.spec.servers.replicas'],
      ['Servers-Ready', '.status.readyReplicas'],
      ['Clients-Ready', '.status.clients.readyReplicas'],
      ['ZooKeeper-Ready', '.status.zookeeper.readyReplicas'],
      ['Ready', '.status.conditions[?(@.type=="Ready")].status'],
      ['Replicated', '.status.conditions[?(@.type=="Replicated")].status'],
      ['ZoneSafe', '.status.conditions[?(@.type=="ZoneSafe")].status'],
      ['Age', '.metadata.creationTimestamp'],
    ]);
  });

  it('describes every field (kubectl explain shows the descriptions)', () => {
    const undescribed = [...walk(version().schema.openAPIV3Schema)]
      .filter(([path, node]) => path !== '.metadata' && path !== '' && node.description === undefined)
      .filter(([path]) => !path.endsWith('{}'))
      // A list of strings or numbers is described on the list (as the Kubernetes API does).
      .filter(([path, node]) => !(path.endsWith('[]') && node.type !== 'object'))
      .map(([path]) => path);
    expect(undescribed).to.deep.equal([]);
  });

  it('is structural: every node has a type, or is an int-or-string', () => {
    const untyped = [...walk(version().schema.openAPIV3Schema)]
      .filter(([, node]) => node.type === undefined && node['x-kubernetes-int-or-string'] !== true)
      .map(([path]) => path);
    expect(untyped).to.deep.equal([]);
  });

  it('bounds every integer in spec (except in the Kubernetes types it adopts)', () => {
    const unbounded = [...walk(specOf(), '.spec')]
      .filter(([path]) => !ADOPTED_PATH.test(path))
      .filter(([, node]) => node.type === 'integer' && (node.minimum === undefined || (node.maximum === undefined && node.format !== 'int64')))
      .map(([path]) => path);
    expect(unbounded).to.deep.equal([]);
  });

  it("offers the data plane's log levels, and no others", () => {
    expect(specOf().properties?.['logLevel']?.enum).to.deep.equal(LOG_LEVELS);
  });

  const rules = (): string[] => [...walk(specOf())].flatMap(([, node]) => (node['x-kubernetes-validations'] ?? []).map((r) => r.rule));

  it('carries the cross-field CEL rules: min <= max (both autoscalers), odd ZooKeeper, connectString xor replicas', () => {
    const all = rules();
    expect(all.filter((rule) => rule.includes('self.minReplicas <= self.maxReplicas'))).to.have.length(2);
    expect(all).to.include('self % 2 == 1');
    expect(all).to.include('!(has(self.connectString) && has(self.replicas))');
  });

  it('gives each CEL rule a message a person can act on', () => {
    for (const [, node] of walk(specOf())) {
      for (const rule of node['x-kubernetes-validations'] ?? []) {
        expect(rule.message ?? rule.messageExpression, rule.rule).to.match(/spec\.|metadata\./);
      }
    }
  });
});

describe('operator API: types inferred from the schema', () => {
  it('defaults an empty spec the way the API server does, to a complete DefaultedSpec', () => {
    const defaulted: DefaultedSpec = applyDefaults(specSchema, {}) as DefaultedSpec;
    expect(defaulted).to.deep.equal(DEFAULTED_EMPTY_SPEC);
  });

  it('keeps what the user set and fills in only what is missing', () => {
    const spec: DistributedCacheSpec = { servers: { replicas: 6 }, autoscaling: { enabled: true, maxReplicas: 20 } };
    const defaulted = applyDefaults(specSchema, spec) as DefaultedSpec;
    expect(defaulted.servers).to.deep.equal({ replicas: 6, maxMemory: '256Mi', drainTimeoutSeconds: 30, placement: 'zone' });
    expect(defaulted.autoscaling).to.deep.equal(
      { enabled: true, minReplicas: 3, maxReplicas: 20, targetCPUUtilizationPercentage: 70, scaleDownStabilizationWindowSeconds: 300 },
    );
    expect(spec).to.deep.equal({ servers: { replicas: 6 }, autoscaling: { enabled: true, maxReplicas: 20 } });
  });

  it('types match the schema (checked by the compiler: these lines compile, the marked ones must not)', () => {
    const spec: DistributedCacheSpec = {
      image: 'x:1',
      logLevel: 'debug',
      servers: { replicas: 3, maxMemory: '1Gi', resources: { requests: { cpu: '500m', memory: 1024 } } },
      clients: { service: { type: 'NodePort', nodePort: 30080 }, autoscaling: { enabled: true } },
      zookeeper: { replicas: 3, storage: { size: '2Gi' } },
    };
    // @ts-expect-error: not a log level of the data plane
    const badLevel: DistributedCacheSpec = { logLevel: 'verbose' };
    // @ts-expect-error: no such field
    const badField: DistributedCacheSpec = { servers: { replica: 3 } };
    // @ts-expect-error: a Service type the schema does not allow
    const badType: DistributedCacheSpec = { clients: { service: { type: 'ExternalName' } } };
    const status: DistributedCacheStatus = {
      conditions: [{ type: 'Ready', status: 'True', reason: 'Available', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }],
    };
    // Defaults make fields required in DefaultedSpec, and leave the rest optional.
    // @ts-expect-error: replicas, maxMemory and drainTimeoutSeconds have defaults, so are always there
    const servers: DefaultedSpec['servers'] = {};
    const zookeeper: DefaultedSpec['zookeeper'] = {};
    expect([spec, badLevel, badField, badType, status, servers, zookeeper]).to.have.length(7);
  });
});
