// TLS on the public API (spec.tls.secretName) on a real control plane, with the
// operator running as its own ServiceAccount (which may create Secrets but not
// read them): while the named Secret is missing the cache says so in its
// Degraded condition and the routers wait for it; they mount it as a
// directory, are told where the files are, are probed over HTTPS and sit
// behind an https Service port; once the Secret exists the condition clears
// by itself; turning TLS off puts plain HTTP back. In a namespace that
// enforces the restricted Pod Security Standard.
import { expect } from 'chai';
import type { V1Container, V1Deployment } from '@kubernetes/client-node';
import type { DistributedCache } from '../../../operator/api/distributed-cache.js';
import { createTestNamespace, deleteTestNamespace, kubectl } from '../../support/control-plane.js';
import { Admin, installOperator, operatorKubeconfig } from '../../support/operator-cluster.js';
import { OperatorProcess } from '../../support/operator-process.js';
import { issueCertificate, makeTestCa } from '../../support/tls-files.js';
import { waitFor } from '../../support/wait.js';

const IMAGE = 'registry.invalid/distributed-cache:it';
const QUICK = { timeoutMs: 20_000, intervalMs: 100 };
/** The operator looks again every 10 s while a Secret is missing. */
const RECHECK = { timeoutMs: 40_000, intervalMs: 250 };
const NAME = 'secure';
const SECRET = 'secure-tls';

const degraded = (cache: DistributedCache) => cache.status?.conditions?.find((c) => c.type === 'Degraded');
const routerContainer = (deployment: V1Deployment) => deployment.spec?.template.spec?.containers[0] as V1Container;

describe('operator: TLS on the public API, on a real control plane', function () {
  let namespace: string;
  let admin: Admin;
  let operator: OperatorProcess;

  const cacheWhere = (what: string, test: (cache: DistributedCache) => boolean, options = QUICK) =>
    admin.cacheWhere(namespace, NAME, what, test, options);
  const routers = (test: (deployment: V1Deployment) => boolean) =>
    waitFor(`the client Deployment as expected`, async () => {
      const deployment = await admin.apps.readNamespacedDeployment({ namespace, name: `${NAME}-client` });
      return test(deployment) ? deployment : undefined;
    }, QUICK);

  before(async function () {
    await installOperator();
    namespace = await createTestNamespace('dcache-tls');
    await kubectl(['label', 'namespace', namespace, 'pod-security.kubernetes.io/enforce=restricted']);
    admin = new Admin();
    operator = await OperatorProcess.start({ kubeconfig: (await operatorKubeconfig()).path, name: 'tls', env: { DATAPLANE_IMAGE: IMAGE } });
    await operator.waitLeading();
    await admin.createCache(namespace, NAME, { servers: { replicas: 1 }, tls: { secretName: SECRET } });
  });

  after(async function () {
    await operator?.stop();
    if (namespace !== undefined) await deleteTestNamespace(namespace);
  });

  it('says the Secret is missing in the Degraded condition, and still creates the routers, which wait for it', async function () {
    const cache = await cacheWhere('Degraded for the missing Secret', (c) => degraded(c)?.reason === 'SecretMissing');
    expect(degraded(cache)).to.deep.include({
      status: 'True',
      message: `Secret "${SECRET}" (spec.tls.secretName) does not exist in namespace "${namespace}": router pods cannot start until it is created`,
    });
    expect(cache.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('False');
    await routers((d) => d.spec?.template.spec?.volumes?.some((v) => v.secret?.secretName === SECRET) === true);
  });

  it('mounts the Secret read-only as a directory into the routers, points TLS_CERT_FILE and TLS_KEY_FILE at it, and probes over HTTPS', async function () {
    const deployment = await routers(() => true);
    expect(deployment.spec?.template.spec?.volumes?.find((v) => v.name === 'tls')).to.deep.equal({
      name: 'tls',
      secret: { secretName: SECRET, items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }], defaultMode: 0o440 },
    });
    const container = routerContainer(deployment);
    expect(container.volumeMounts?.find((m) => m.name === 'tls')).to.deep.equal({ name: 'tls', mountPath: '/etc/distributed-cache/tls', readOnly: true });
    const env = Object.fromEntries((container.env ?? []).map((v) => [v.name, v.value]));
    expect(env).to.deep.include({ TLS_CERT_FILE: '/etc/distributed-cache/tls/tls.crt', TLS_KEY_FILE: '/etc/distributed-cache/tls/tls.key' });
    expect(container.ports).to.deep.equal([
      { name: 'https', containerPort: 5000, protocol: 'TCP' },
      { name: 'metrics-https', containerPort: 9464, protocol: 'TCP' },
    ]);
    for (const probe of [container.readinessProbe, container.livenessProbe]) expect(probe?.httpGet).to.deep.include({ port: 'https', scheme: 'HTTPS' });

    // The servers are not touched: only routers serve the public API.
    const server = await admin.apps.readNamespacedDeployment({ namespace, name: `${NAME}-server` });
    expect(server.spec?.template.spec?.volumes?.map((v) => v.name)).to.deep.equal(['cluster-token']);
    expect(routerContainer(server).readinessProbe?.httpGet?.scheme).to.equal('HTTP');
  });

  it('gives the client Service an https port with appProtocol https, and an https endpoint in the status', async function () {
    const service = await waitFor('the client Service', () => admin.core.readNamespacedService({ namespace, name: `${NAME}-client` }), QUICK);
    expect(service.spec?.ports?.map(({ name, port, targetPort, appProtocol }) => ({ name, port, targetPort, appProtocol }))).to.deep.equal([
      { name: 'https', port: 5000, targetPort: 'https', appProtocol: 'https' },
    ]);
    const cache = await cacheWhere('an endpoint', (c) => c.status?.endpoint !== undefined);
    expect(cache.status?.endpoint).to.equal(`https://${NAME}-client.${namespace}.svc:5000`);
  });

  it('admits the router pod with the Secret volume under the restricted profile', async function () {
    const pods = await waitFor('a router pod', async () => {
      const list = await admin.core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/instance=${NAME},app.kubernetes.io/component=client` });
      return list.items.length > 0 ? list.items : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    expect(pods[0]?.spec?.volumes?.some((v) => v.secret?.secretName === SECRET)).to.equal(true);
  });

  it('clears the condition by itself once the kubernetes.io/tls Secret exists', async function () {
    const ca = await makeTestCa();
    const pair = await issueCertificate(ca, '2001');
    await admin.core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: SECRET, namespace },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': pair.cert.toString('base64'), 'tls.key': pair.key.toString('base64') },
      },
    });
    const cache = await cacheWhere('Degraded to clear', (c) => degraded(c)?.status === 'False', RECHECK);
    expect(degraded(cache)?.reason).to.equal('AsExpected');
  });

  it('puts plain HTTP back when TLS is turned off: port, probes, Service, no Secret volume', async function () {
    await kubectl(['patch', '-n', namespace, `distributedcaches.cache.distributed.dev/${NAME}`, '--type=merge', '-p', JSON.stringify({ spec: { tls: null } })]);
    const deployment = await routers((d) => routerContainer(d).ports?.[0]?.name === 'http');
    const container = routerContainer(deployment);
    expect(deployment.spec?.template.spec?.volumes?.map((v) => v.name)).to.deep.equal(['cluster-token']);
    expect(container.readinessProbe?.httpGet).to.deep.include({ port: 'http', scheme: 'HTTP' });
    expect((container.env ?? []).map((v) => v.name)).to.not.include.members(['TLS_CERT_FILE', 'TLS_KEY_FILE']);
    const service = await waitFor('the Service back on http', async () => {
      const found = await admin.core.readNamespacedService({ namespace, name: `${NAME}-client` });
      return found.spec?.ports?.[0]?.name === 'http' ? found : undefined;
    }, QUICK);
    expect(service.spec?.ports?.[0]).to.not.have.property('appProtocol');
    expect((await cacheWhere('an http endpoint', (c) => c.status?.endpoint?.startsWith('http://') === true)).status?.endpoint).to.equal(`http://${NAME}-client.${namespace}.svc:5000`);
  });
});
