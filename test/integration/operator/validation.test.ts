// The API server itself checks DistributedCaches against the CRD from crds/:
// defaults, bounds, enums and the CEL rules, with messages a person can act on.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { createTestNamespace, deleteTestNamespace, kubectl } from '../../support/control-plane.js';
import { Admin, installOperator, OPERATOR_NAMESPACE } from '../../support/operator-cluster.js';
import { waitFor } from '../../support/wait.js';
import { repoPath } from '../../support/operator-repo.js';
import { DEFAULTED_EMPTY_SPEC } from '../../support/operator-fixtures.js';

describe('operator: the DistributedCache API (validation by the API server)', function () {
  let namespace: string;
  let admin: Admin;

  before(async function () {
    await installOperator();
    namespace = await createTestNamespace('dcache-validation');
    admin = new Admin();
  });

  after(async function () {
    await deleteTestNamespace(namespace);
  });

  it('fills in the schema defaults of an empty spec', async function () {
    const created = await admin.objects.createNamespacedCustomObject({
      group: 'cache.distributed.dev',
      version: 'v1alpha1',
      namespace,
      plural: 'distributedcaches',
      body: { apiVersion: 'cache.distributed.dev/v1alpha1', kind: 'DistributedCache', metadata: { name: 'defaults' }, spec: {} },
      dryRun: 'All',
    });
    expect(created.spec).to.deep.equal(DEFAULTED_EMPTY_SPEC);
  });

  // [what, name, spec, parts of the message]
  const invalid: Array<[string, string, unknown, string[]]> = [
    ['a negative server count', 'neg', { servers: { replicas: -1 } }, ['spec.servers.replicas', 'greater than or equal to 0']],
    ['too many servers', 'many', { servers: { replicas: 1000 } }, ['spec.servers.replicas', 'less than or equal to 100']],
    [
      'autoscaling minReplicas above maxReplicas',
      'minmax',
      { autoscaling: { enabled: true, minReplicas: 8, maxReplicas: 4 } },
      ['spec.autoscaling.minReplicas must not be greater than spec.autoscaling.maxReplicas'],
    ],
    [
      'client autoscaling maxReplicas below the default minReplicas',
      'cminmax',
      { clients: { autoscaling: { minReplicas: 3, maxReplicas: 2 } } },
      ['spec.clients.autoscaling.minReplicas must not be greater than spec.clients.autoscaling.maxReplicas'],
    ],
    ['an even ZooKeeper ensemble', 'even', { zookeeper: { replicas: 4 } }, ['spec.zookeeper.replicas must be odd']],
    [
      'connectString together with replicas',
      'both',
      { zookeeper: { connectString: 'zk:2181', replicas: 3 } },
      ['set either connectString', 'or replicas', 'not both'],
    ],
    [
      'connectString together with storage',
      'storage',
      { zookeeper: { connectString: 'zk:2181', storage: { size: '2Gi' } } },
      ['apply only to an ensemble the operator runs'],
    ],
    ['a connectString that is not host:port', 'badzk', { zookeeper: { connectString: 'zk 2181' } }, ['spec.zookeeper.connectString']],
    ['maxMemory below 1Mi', 'tiny', { servers: { maxMemory: '512Ki' } }, ['spec.servers.maxMemory must be at least 1Mi']],
    ['a log level the data plane lacks', 'loud', { logLevel: 'verbose' }, ['spec.logLevel', 'supported values']],
    ['a nodePort on a ClusterIP Service', 'np', { clients: { service: { nodePort: 30080 } } }, ['nodePort needs spec.clients.service.type NodePort']],
    [
      'CPU autoscaling without a CPU request',
      'nocpu',
      { autoscaling: { enabled: true }, servers: { resources: { requests: { memory: '1Gi' } } } },
      ['needs spec.servers.resources.requests.cpu'],
    ],
    ['a tls block without secretName', 'tlsnone', { tls: {} }, ['spec.tls.secretName', 'Required value']],
    ['a TLS Secret name no Secret can have', 'tlsbad', { tls: { secretName: 'Not_A_Name' } }, ['spec.tls.secretName', 'should match']],
    ['a name too long to prefix its children', 'a-name-that-is-far-too-long-for-the-children-x', {}, ['metadata.name', 'at most 42']],
    [
      'memory autoscaling of the servers without a memory request',
      'nomem',
      { autoscaling: { enabled: true, targetMemoryUtilizationPercentage: 75 }, servers: { resources: { requests: { cpu: '500m' } } } },
      ['Memory autoscaling of the servers needs spec.servers.resources.requests.memory'],
    ],
    [
      'memory autoscaling of the routers without a memory request',
      'cnomem',
      { clients: { autoscaling: { enabled: true, targetMemoryUtilizationPercentage: 75 }, resources: { requests: { cpu: '100m' } } } },
      ['Memory autoscaling of the clients needs spec.clients.resources.requests.memory'],
    ],
    [
      'a memory target of 0%',
      'mem0',
      { autoscaling: { targetMemoryUtilizationPercentage: 0 } },
      ['spec.autoscaling.targetMemoryUtilizationPercentage', 'greater than or equal to 1'],
    ],
    [
      'a pod label the operator selects by',
      'podlabel',
      { servers: { podLabels: { 'app.kubernetes.io/instance': 'other' } } },
      ['spec.servers.podLabels must not set'],
    ],
    [
      'ZooKeeper resources or scheduling beside connectString',
      'zkpod',
      { zookeeper: { connectString: 'zk:2181', resources: { requests: { cpu: '1' } }, tolerations: [] } },
      ['apply only to an ensemble the operator runs'],
    ],
    [
      'a toleration whose seconds are not a number (the core/v1 Toleration schema)',
      'tolbad',
      { clients: { tolerations: [{ key: 'a', operator: 'Exists', tolerationSeconds: 'soon' }] } },
      ['spec.clients.tolerations[0].tolerationSeconds', 'integer'],
    ],
    [
      'a spread constraint without a topologyKey (the core/v1 TopologySpreadConstraint schema)',
      'spreadbad',
      { servers: { topologySpreadConstraints: [{ maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' }] } },
      ['spec.servers.topologySpreadConstraints[0].topologyKey', 'Required value'],
    ],
    [
      'a node affinity term without nodeSelectorTerms',
      'affbad',
      { zookeeper: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {} } } } },
      ['spec.zookeeper.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms', 'Required value'],
    ],
    ['a PriorityClass name no PriorityClass can have', 'prio', { servers: { priorityClassName: 'Not_A_Name' } }, ['spec.servers.priorityClassName']],
  ];
  for (const [what, name, spec, parts] of invalid) {
    it(`refuses ${what} with 422 and a message that says what to fix`, async function () {
      const rejection = await admin.validate(namespace, name, spec);
      expect(rejection?.code).to.equal(422);
      for (const part of parts) expect(rejection?.message).to.include(part);
    });
  }

  it('accepts and keeps (does not prune) every pod setting on all three tiers', async function () {
    const pod = {
      nodeSelector: { pool: 'cache' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'cache', effect: 'NoSchedule', tolerationSeconds: 30 }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] }],
          },
        },
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 50, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { x: 'y' } } } },
          ],
        },
      },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', minDomains: 2 }],
      priorityClassName: 'cache-critical',
      podLabels: { team: 'payments' },
      podAnnotations: { 'example.com/note': 'hi' },
    };
    const spec = {
      servers: pod,
      clients: { ...pod, service: { type: 'LoadBalancer', annotations: { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' } } },
      zookeeper: { ...pod, resources: { requests: { cpu: '200m', memory: '512Mi' }, limits: { memory: '768Mi' } } },
      autoscaling: { enabled: true, targetMemoryUtilizationPercentage: 75 },
    };
    const created = await admin.objects.createNamespacedCustomObject({
      group: 'cache.distributed.dev',
      version: 'v1alpha1',
      namespace,
      plural: 'distributedcaches',
      body: { apiVersion: 'cache.distributed.dev/v1alpha1', kind: 'DistributedCache', metadata: { name: 'podsettings' }, spec },
      dryRun: 'All',
    });
    expect(created.spec.servers).to.deep.include(pod);
    expect(created.spec.clients).to.deep.include(pod);
    expect(created.spec.zookeeper).to.deep.include({ ...pod, resources: spec.zookeeper.resources });
    expect(created.spec.clients.service.annotations).to.deep.equal(spec.clients.service.annotations);
    expect(created.spec.autoscaling.targetMemoryUtilizationPercentage).to.equal(75);
  });

  it('keeps spec.zookeeper.storage once set (volume claims are immutable)', async function () {
    await admin.createCache(namespace, 'fixed', { zookeeper: { storage: { size: '1Gi' } } });
    const failure = await admin.patchCacheSpec(namespace, 'fixed', { zookeeper: { storage: { size: '5Gi' } } }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure?.message).to.include('spec.zookeeper.storage cannot change once set');
  });

  it('accepts every sample in manifests/samples', async function () {
    const dir = repoPath('manifests', 'samples');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      const output = await kubectl(['apply', '--dry-run=server', '-n', namespace, '-f', '-'], { input: readFileSync(`${dir}/${file}`, 'utf8') });
      expect(output, file).to.match(/created \(server dry run\)/);
    }
  });

  it('explains its fields (kubectl explain)', async function () {
    const output = await kubectl(['explain', 'dcache.spec.servers.replicas']);
    expect(output).to.include('How many servers').and.include('kubectl scale');
  });

  it('explains the adopted Kubernetes types field by field (kubectl explain dcache.spec.servers.tolerations)', async function () {
    const tolerations = await kubectl(['explain', 'dcache.spec.servers.tolerations']);
    expect(tolerations).to.include('tolerationSeconds').and.include('effect').and.include('operator');
    const antiAffinity = await kubectl(['explain', 'dcache.spec.zookeeper.affinity.podAntiAffinity']);
    expect(antiAffinity).to.include('requiredDuringSchedulingIgnoredDuringExecution');
    const spread = await kubectl(['explain', 'dcache.spec.clients.topologySpreadConstraints']);
    expect(spread).to.include('maxSkew').and.include('whenUnsatisfiable').and.include('replaces that default');
  });

  it("deploys the operator's own pods under the restricted Pod Security Standard (both replicas admitted)", async function () {
    const pods = await waitFor('the operator pods', async () => {
      const list = await admin.core.listNamespacedPod({ namespace: OPERATOR_NAMESPACE, labelSelector: 'app.kubernetes.io/name=distributed-cache-operator' });
      return list.items.length === 2 ? list.items : undefined;
    }, { timeoutMs: 30_000, intervalMs: 250 });
    const namespaceLabels = (await admin.core.readNamespace({ name: OPERATOR_NAMESPACE })).metadata?.labels;
    expect(namespaceLabels?.['pod-security.kubernetes.io/enforce']).to.equal('restricted');
    expect(pods[0]?.spec?.containers[0]?.securityContext?.readOnlyRootFilesystem).to.equal(true);
    expect(pods[0]?.spec?.serviceAccountName).to.equal('distributed-cache-operator');
  });
});
