// What `helm template` renders for each of the chart's values, and what its
// values schema refuses.
import { expect } from 'chai';
import { helmBinary, HELM_BUILD_TIMEOUT_MS, HelmError, helmTemplate, RELEASE, RELEASE_NAMESPACE } from '../../support/helm.js';
import {
  envOf,
  findObject,
  HELM_LABELS,
  KEEP_ANNOTATION,
  kinds,
  operatorContainer,
  parseObjects,
  podSpec,
  type KubeObject,
} from '../../support/rendered-objects.js';

const OPERATOR = 'distributed-cache-operator';
const CRD = 'distributedcaches.cache.distributed.dev';

async function render(...sets: string[]): Promise<KubeObject[]> {
  return parseObjects(await helmTemplate(sets));
}

interface Binding {
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string; namespace: string }[];
}

function bindingOf(object: KubeObject): Binding {
  return object as unknown as Binding;
}

describe('helm template charts/distributed-cache', function () {
  before(function () {
    this.timeout(HELM_BUILD_TIMEOUT_MS);
    helmBinary();
  });

  describe('with default values', function () {
    let objects: KubeObject[];

    before(async function () {
      objects = await render();
    });

    it('renders the CRD, RBAC and the operator, and no monitoring', function () {
      expect(kinds(objects)).to.deep.equal([
        'ClusterRole',
        'ClusterRoleBinding',
        'CustomResourceDefinition',
        'Deployment',
        'Role',
        'RoleBinding',
        'ServiceAccount',
      ]);
    });

    it('puts every namespaced object in the release namespace', function () {
      const clusterWide = ['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition'];
      for (const object of objects.filter((o) => !clusterWide.includes(o.kind))) {
        expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).to.equal(RELEASE_NAMESPACE);
      }
    });

    it("labels every object as Helm's and part of distributed-cache", function () {
      for (const object of objects) {
        const labels = object.metadata.labels ?? {};
        expect(Object.keys(labels), `${object.kind} ${object.metadata.name}`).to.include.members([...HELM_LABELS]);
        expect(labels['app.kubernetes.io/instance']).to.equal(RELEASE);
        expect(labels['app.kubernetes.io/managed-by']).to.equal('Helm');
        expect(labels['app.kubernetes.io/part-of']).to.equal('distributed-cache');
      }
    });

    it('keeps the CRD on `helm uninstall`, and only the CRD', function () {
      for (const object of objects) {
        const keep = object.metadata.annotations?.[KEEP_ANNOTATION];
        expect(keep, `${object.kind} ${object.metadata.name}`).to.equal(object.kind === 'CustomResourceDefinition' ? 'keep' : undefined);
      }
      expect(findObject(objects, 'CustomResourceDefinition', CRD).metadata.name).to.equal(CRD);
    });

    it('runs the operator watching every namespace, logging at info, with the data plane on its own image', function () {
      const container = operatorContainer(findObject(objects, 'Deployment', OPERATOR));
      const env = envOf(container);
      expect(container.image).to.equal('distributed-cache:0.1.0');
      expect(env.get('WATCH_NAMESPACE')).to.equal('');
      expect(env.get('LOG_LEVEL')).to.equal('info');
      expect(env.get('DATAPLANE_IMAGE')).to.equal(container.image);
      expect(container).not.to.have.property('imagePullPolicy');
    });

    it('binds the ClusterRole cluster-wide to the operator ServiceAccount', function () {
      const binding = bindingOf(findObject(objects, 'ClusterRoleBinding', OPERATOR));
      expect(binding.roleRef).to.include({ kind: 'ClusterRole', name: findObject(objects, 'ClusterRole', OPERATOR).metadata.name });
      expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: OPERATOR, namespace: RELEASE_NAMESPACE }]);
      expect(podSpec(findObject(objects, 'Deployment', OPERATOR)).serviceAccountName).to.equal(OPERATOR);
    });
  });

  it('with one namespace watched: WATCH_NAMESPACE, and a RoleBinding there instead of the ClusterRoleBinding', async function () {
    const objects = await render('watchNamespaces={team-a}');
    expect(envOf(operatorContainer(findObject(objects, 'Deployment', OPERATOR))).get('WATCH_NAMESPACE')).to.equal('team-a');
    expect(objects.filter((o) => o.kind === 'ClusterRoleBinding')).to.deep.equal([]);
    const bindings = objects.filter((o) => o.kind === 'RoleBinding' && o.metadata.name === OPERATOR);
    expect(bindings.map((b) => b.metadata.namespace)).to.deep.equal(['team-a']);
    const binding = bindingOf(bindings[0] as KubeObject);
    expect(binding.roleRef).to.include({ kind: 'ClusterRole', name: OPERATOR });
    expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: OPERATOR, namespace: RELEASE_NAMESPACE }]);
    // The leader-election binding stays in the release namespace.
    expect(findObject(objects, 'RoleBinding', `${OPERATOR}-leader-election`).metadata.namespace).to.equal(RELEASE_NAMESPACE);
  });

  it('with two namespaces watched: a comma-separated WATCH_NAMESPACE and a RoleBinding in each', async function () {
    const objects = await render('watchNamespaces={team-a,team-b}');
    expect(envOf(operatorContainer(findObject(objects, 'Deployment', OPERATOR))).get('WATCH_NAMESPACE')).to.equal('team-a,team-b');
    const namespaces = objects.filter((o) => o.kind === 'RoleBinding' && o.metadata.name === OPERATOR).map((b) => b.metadata.namespace);
    expect(namespaces).to.deep.equal(['team-a', 'team-b']);
  });

  it('with monitoring on: a metrics Service for the operator pods and a ServiceMonitor that selects it', async function () {
    const objects = await render('monitoring.enabled=true', 'monitoring.serviceMonitor.labels.release=prometheus', 'monitoring.serviceMonitor.interval=15s');
    const service = findObject(objects, 'Service', `${OPERATOR}-metrics`) as KubeObject & {
      spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] };
    };
    const monitor = findObject(objects, 'ServiceMonitor', OPERATOR) as KubeObject & {
      spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string; interval?: string }[] };
    };
    const deployment = findObject(objects, 'Deployment', OPERATOR);
    const podLabels = (deployment['spec'] as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;

    expect(monitor.apiVersion).to.equal('monitoring.coreos.com/v1');
    expect(monitor.metadata.namespace).to.equal(RELEASE_NAMESPACE);
    expect(monitor.metadata.labels).to.include({ release: 'prometheus', 'app.kubernetes.io/managed-by': 'Helm' });
    expect(service.metadata.labels).to.include(monitor.spec.selector.matchLabels);
    expect(podLabels).to.include(service.spec.selector);
    expect(monitor.spec.endpoints).to.deep.equal([{ port: 'metrics', path: '/metrics', interval: '15s' }]);
    // The Service's port leads to the container port that serves /metrics.
    const [port] = service.spec.ports;
    expect(port).to.include({ name: 'metrics', targetPort: 'health' });
    expect(operatorContainer(deployment).ports?.map((p) => p.name)).to.include('health');
  });

  it('with monitoring off: no Service and no ServiceMonitor', async function () {
    const objects = await render('monitoring.enabled=false', 'monitoring.serviceMonitor.labels.release=prometheus');
    expect(kinds(objects)).not.to.include.members(['Service', 'ServiceMonitor']);
  });

  it('with a custom image: the operator and the data plane run it, pulled as asked', async function () {
    const objects = await render(
      'image.repository=registry.example/dc/operator',
      'image.tag=1.2.3',
      'image.pullPolicy=Always',
      'image.pullSecrets={regcred,mirror}',
    );
    const deployment = findObject(objects, 'Deployment', OPERATOR);
    const container = operatorContainer(deployment);
    expect(container.image).to.equal('registry.example/dc/operator:1.2.3');
    expect(container.imagePullPolicy).to.equal('Always');
    expect(envOf(container).get('DATAPLANE_IMAGE')).to.equal('registry.example/dc/operator:1.2.3');
    expect(podSpec(deployment).imagePullSecrets).to.deep.equal([{ name: 'regcred' }, { name: 'mirror' }]);
  });

  it('with replicas, resources and a log level', async function () {
    const objects = await render('replicaCount=3', 'resources.requests.cpu=100m', 'resources.limits.memory=512Mi', 'logLevel=debug');
    const deployment = findObject(objects, 'Deployment', OPERATOR);
    expect((deployment['spec'] as { replicas: number }).replicas).to.equal(3);
    expect(operatorContainer(deployment).resources).to.deep.equal({ requests: { cpu: '100m', memory: '96Mi' }, limits: { memory: '512Mi' } });
    expect(envOf(operatorContainer(deployment)).get('LOG_LEVEL')).to.equal('debug');
  });

  it('in another release namespace: every namespaced object and every subject there', async function () {
    const objects = parseObjects(await helmTemplate([], { namespace: 'ops' }));
    for (const object of objects.filter((o) => !['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition'].includes(o.kind))) {
      expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).to.equal('ops');
    }
    for (const object of objects.filter((o) => o.kind.endsWith('Binding'))) {
      expect(bindingOf(object).subjects.map((s) => s.namespace)).to.deep.equal(['ops']);
    }
  });

  describe('refuses values its schema does not allow, naming them', function () {
    const refused: { what: string; set: string; named: string }[] = [
      { what: 'an unknown log level', set: 'logLevel=loud', named: "at '/logLevel'" },
      { what: 'a namespace name that cannot exist', set: 'watchNamespaces={Team_A}', named: "at '/watchNamespaces/0'" },
      { what: 'a misspelt key (watchNamespace for watchNamespaces)', set: 'watchNamespace=team-a', named: "'watchNamespace' not allowed" },
      { what: 'an unknown pull policy', set: 'image.pullPolicy=Sometimes', named: "at '/image/pullPolicy'" },
    ];
    for (const { what, set, named } of refused) {
      it(what, async function () {
        const error = await helmTemplate([set]).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(HelmError);
        const { stderr } = error as HelmError;
        expect(stderr).to.include("values don't meet the specifications of the schema");
        expect(stderr).to.include(named);
      });
    }
  });
});
