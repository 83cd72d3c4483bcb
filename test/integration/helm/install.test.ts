// The chart installed into the real control plane (no kubelet: the operator's
// pods are never started, so nothing here waits for them), then upgraded and
// uninstalled. The tests run in order, each from the state the last one left.
import { expect } from 'chai';
import { ApiException, ApiextensionsV1Api, AppsV1Api, CustomObjectsApi, RbacAuthorizationV1Api, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { serviceAccountMay } from '../../support/access-review.js';
import { chartWithEditedCrd } from '../../support/chart-copy.js';
import { adminKubeConfig, controlPlane, createTestNamespace, deleteTestNamespace, kubectl, KubectlError } from '../../support/control-plane.js';
import { CHART_DIR, helm, helmBinary, HELM_BUILD_TIMEOUT_MS, RELEASE, RELEASE_NAMESPACE } from '../../support/helm.js';
import { KEEP_ANNOTATION } from '../../support/rendered-objects.js';
import { waitFor } from '../../support/wait.js';

const OPERATOR = 'distributed-cache-operator';
const GROUP = 'cache.distributed.dev';
const CRD_NAME = `distributedcaches.${GROUP}`;
const ACCOUNT = { namespace: RELEASE_NAMESPACE, name: OPERATOR };
const PROBE_LABEL = 'distributed-cache.test/chart-upgrade';
const PROBE_FIELD = 'chartUpgradeProbe';

/** The parts of the CRD the upgrade test edits. */
interface EditableCrd {
  metadata: { labels?: Record<string, string> };
  spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } } }[] };
}

function established(crd: V1CustomResourceDefinition): boolean {
  return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true;
}

function storageVersion(crd: { spec: { versions: { name: string; storage: boolean }[] } }): string {
  const version = crd.spec.versions.find((v) => v.storage);
  if (version === undefined) throw new Error('the CRD has no storage version');
  return version.name;
}

async function isNotFound(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return false;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return true;
    throw error;
  }
}

describe('helm install charts/distributed-cache into a real control plane', function () {
  let extensions: ApiextensionsV1Api;
  let apps: AppsV1Api;
  let rbac: RbacAuthorizationV1Api;
  let objects: CustomObjectsApi;
  let watched: string;
  let version: string;
  let cacheUid: string | undefined;

  const helmOnCluster = (...args: string[]) => helm([...args, '--namespace', RELEASE_NAMESPACE, '--kubeconfig', controlPlane().kubeconfigPath]);
  const readCrd = () => extensions.readCustomResourceDefinition({ name: CRD_NAME });

  /** A server-side dry run of a DistributedCache whose spec carries PROBE_FIELD (kubectl validates fields strictly). */
  const createWithProbeField = () =>
    kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: `${GROUP}/${version}`,
        kind: 'DistributedCache',
        metadata: { name: 'probe', namespace: watched },
        spec: { [PROBE_FIELD]: 'x' },
      }),
    });

  before(async function () {
    this.timeout(HELM_BUILD_TIMEOUT_MS);
    helmBinary();
    const admin = adminKubeConfig();
    extensions = admin.makeApiClient(ApiextensionsV1Api);
    apps = admin.makeApiClient(AppsV1Api);
    rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    objects = admin.makeApiClient(CustomObjectsApi);
    watched = await createTestNamespace('helm-watched');
  });

  after(async function () {
    // Whatever a failed test left: the release, then the CRD it keeps.
    await helmOnCluster('uninstall', RELEASE, '--ignore-not-found').catch(() => undefined);
    await extensions.deleteCustomResourceDefinition({ name: CRD_NAME }).catch(() => undefined);
    await deleteTestNamespace(watched);
    await deleteTestNamespace(RELEASE_NAMESPACE).catch(() => undefined);
  });

  it('installs as the README shows (helm install … --create-namespace)', async function () {
    const { stdout } = await helmOnCluster('install', RELEASE, CHART_DIR, '--create-namespace');
    expect(stdout).to.match(/STATUS: deployed/);
  });

  it('the CRD is Established, kept on uninstall, and owned by the release', async function () {
    const crd = await waitFor(`CRD ${CRD_NAME} to be Established`, async () => {
      const read = await readCrd();
      return established(read) ? read : undefined;
    });
    expect(crd.metadata?.annotations).to.include({ [KEEP_ANNOTATION]: 'keep', 'meta.helm.sh/release-name': RELEASE });
    expect(crd.metadata?.labels).to.include({ 'app.kubernetes.io/managed-by': 'Helm' });
    version = storageVersion(crd as unknown as Parameters<typeof storageVersion>[0]);
    // The API serves the kind: a cache can be created (it stays across what follows).
    const cache = await waitFor('the API server to serve distributedcaches', () =>
      objects.createNamespacedCustomObject({
        group: GROUP,
        version,
        namespace: watched,
        plural: 'distributedcaches',
        body: { apiVersion: `${GROUP}/${version}`, kind: 'DistributedCache', metadata: { name: 'demo' }, spec: { servers: { replicas: 3 } } },
      }) as Promise<{ metadata: { uid: string } }>,
    );
    cacheUid = cache.metadata.uid;
  });

  it('the operator Deployment has the image, the env and its ServiceAccount', async function () {
    const deployment = await apps.readNamespacedDeployment({ namespace: RELEASE_NAMESPACE, name: OPERATOR });
    const pod = deployment.spec?.template.spec;
    const container = pod?.containers[0];
    const env = new Map((container?.env ?? []).map((e) => [e.name, e.value]));
    expect(deployment.spec?.replicas).to.equal(2);
    expect(pod?.serviceAccountName).to.equal(OPERATOR);
    expect(container?.image).to.equal('distributed-cache:0.1.0');
    expect(env.get('DATAPLANE_IMAGE')).to.equal('distributed-cache:0.1.0');
    expect(env.get('WATCH_NAMESPACE') ?? '').to.equal('');
    expect(env.get('LOG_LEVEL')).to.equal('info');
  });

  it("the operator's ServiceAccount may do what manifests/rbac grants, and no more", async function () {
    const may = (attributes: Parameters<typeof serviceAccountMay>[1]) => serviceAccountMay(ACCOUNT, attributes);
    // The authorizer learns new bindings through an informer.
    await waitFor('RBAC to grant the operator its ClusterRole', () => may({ verb: 'watch', group: GROUP, resource: 'distributedcaches' }));
    expect(await may({ verb: 'patch', group: GROUP, resource: 'distributedcaches', subresource: 'status', namespace: watched })).to.equal(true);
    expect(await may({ verb: 'create', group: 'apps', resource: 'deployments', namespace: watched })).to.equal(true);
    expect(await may({ verb: 'create', resource: 'secrets', namespace: watched })).to.equal(true);
    expect(await may({ verb: 'get', resource: 'secrets', namespace: watched })).to.equal(false);
    expect(await may({ verb: 'watch', resource: 'pods', namespace: watched }), 'server pods, for ZoneSafe').to.equal(true);
    expect(await may({ verb: 'patch', resource: 'pods', namespace: watched })).to.equal(false);
    expect(await may({ verb: 'delete', group: GROUP, resource: 'distributedcaches', namespace: watched })).to.equal(false);
    expect(await may({ verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: RELEASE_NAMESPACE })).to.equal(true);
    expect(await may({ verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: watched })).to.equal(false);
  });

  it('helm upgrade applies a changed CRD (a new field and a label) and keeps the caches', async function () {
    const rejected = await createWithProbeField().then(() => undefined, (e: unknown) => e);
    expect(rejected, 'before the upgrade the field is unknown').to.be.instanceOf(KubectlError);

    // What a new chart version with a new spec field would ship.
    const next = await chartWithEditedCrd('0.1.1-test', (object) => {
      const crd = object as unknown as EditableCrd;
      crd.metadata.labels = { ...crd.metadata.labels, [PROBE_LABEL]: 'upgraded' };
      for (const v of crd.spec.versions) {
        v.schema.openAPIV3Schema.properties.spec.properties[PROBE_FIELD] = { type: 'string', description: 'Added by the chart upgrade test.' };
      }
    });
    try {
      await helmOnCluster('upgrade', RELEASE, next.dir);
    } finally {
      await next.remove();
    }

    const crd = await readCrd();
    expect(crd.metadata?.labels).to.include({ [PROBE_LABEL]: 'upgraded' });
    expect(crd.metadata?.annotations).to.include({ [KEEP_ANNOTATION]: 'keep' });
    const accepted = await waitFor('the new field to be served', () => createWithProbeField().catch(() => undefined));
    expect(JSON.parse(accepted).spec).to.include({ [PROBE_FIELD]: 'x' });
    const cache = (await objects.getNamespacedCustomObject({ group: GROUP, version, namespace: watched, plural: 'distributedcaches', name: 'demo' })) as { metadata: { uid: string } };
    expect(cache.metadata.uid, 'the same cache: the CRD was updated, not replaced').to.equal(cacheUid);
  });

  it('helm upgrade back to the repository chart removes the field and label again', async function () {
    await helmOnCluster('upgrade', RELEASE, CHART_DIR);
    const crd = await readCrd();
    expect(crd.metadata?.labels ?? {}).not.to.have.property(PROBE_LABEL);
    await waitFor('the field to be unknown again', () => createWithProbeField().then(() => undefined, () => true));
  });

  it('helm upgrade to watch one namespace: rights there only, through a RoleBinding', async function () {
    await helmOnCluster('upgrade', RELEASE, CHART_DIR, '--set', `watchNamespaces={${watched}}`);
    const deployment = await apps.readNamespacedDeployment({ namespace: RELEASE_NAMESPACE, name: OPERATOR });
    const env = deployment.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'WATCH_NAMESPACE')?.value).to.equal(watched);
    expect(await isNotFound(rbac.readClusterRoleBinding({ name: OPERATOR })), 'the ClusterRoleBinding is gone').to.equal(true);
    const binding = await rbac.readNamespacedRoleBinding({ namespace: watched, name: OPERATOR });
    expect(binding.roleRef).to.include({ kind: 'ClusterRole', name: OPERATOR });

    const may = (namespace: string) => serviceAccountMay(ACCOUNT, { verb: 'list', group: GROUP, resource: 'distributedcaches', namespace });
    await waitFor('RBAC to drop the cluster-wide grant', async () => !(await may('default')));
    expect(await may(watched)).to.equal(true);
    expect(await serviceAccountMay(ACCOUNT, { verb: 'list', group: GROUP, resource: 'distributedcaches' })).to.equal(false);
  });

  it('helm uninstall removes the operator but keeps the CRD and the caches; a new install adopts the CRD', async function () {
    const crdUid = (await readCrd()).metadata?.uid;
    const { stdout } = await helmOnCluster('uninstall', RELEASE);
    expect(stdout).to.match(/kept due to the resource policy/);
    await waitFor('the operator Deployment to be deleted', () => isNotFound(apps.readNamespacedDeployment({ namespace: RELEASE_NAMESPACE, name: OPERATOR })));
    expect((await readCrd()).metadata?.uid).to.equal(crdUid);
    const cache = (await objects.getNamespacedCustomObject({ group: GROUP, version, namespace: watched, plural: 'distributedcaches', name: 'demo' })) as { metadata: { uid: string } };
    expect(cache.metadata.uid).to.equal(cacheUid);

    // The kept CRD still names this release, so installing it again takes it over.
    await helmOnCluster('install', RELEASE, CHART_DIR);
    expect((await readCrd()).metadata?.uid).to.equal(crdUid);
    await apps.readNamespacedDeployment({ namespace: RELEASE_NAMESPACE, name: OPERATOR });
  });
});
