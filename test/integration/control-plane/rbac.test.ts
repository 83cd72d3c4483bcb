// Authorization is real: a ServiceAccount with a narrow Role, authenticated by
// a TokenRequest token, can do what the Role grants and nothing else.
import { expect } from 'chai';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteTestNamespace,
  kubeconfigForServiceAccount,
  kubectl,
  KubectlError,
  rejectionOf,
  type ServiceAccountKubeConfig,
} from '../../support/control-plane.js';
import { waitFor } from '../../support/wait.js';

const ACCOUNT = 'configmap-reader';

describe('control plane: RBAC for a ServiceAccount', function () {
  let namespace: string;
  let account: ServiceAccountKubeConfig;
  let asAccount: CoreV1Api;

  before(async function () {
    namespace = await createTestNamespace('smoke-rbac');
    const admin = adminKubeConfig();
    await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccount({ namespace, body: { metadata: { name: ACCOUNT } } });
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: ACCOUNT },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: ACCOUNT },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: ACCOUNT },
        subjects: [{ kind: 'ServiceAccount', name: ACCOUNT, namespace }],
      },
    });
    account = await kubeconfigForServiceAccount(namespace, ACCOUNT);
    asAccount = account.kubeConfig.makeApiClient(CoreV1Api);
  });

  after(async function () {
    await deleteTestNamespace(namespace);
  });

  it('authenticates the TokenRequest token as the ServiceAccount and allows what its Role grants', async function () {
    // The RBAC authorizer reads bindings through an informer, and the root CA
    // publisher adds kube-root-ca.crt shortly after the namespace appears.
    const names = await waitFor('the account to list kube-root-ca.crt', async () => {
      const list = await asAccount.listNamespacedConfigMap({ namespace });
      const found = list.items.map((configMap) => configMap.metadata?.name);
      return found.includes('kube-root-ca.crt') ? found : undefined;
    }, { intervalMs: 250 });
    expect(names).to.include('kube-root-ca.crt');

    const rootCa = await asAccount.readNamespacedConfigMap({ namespace, name: 'kube-root-ca.crt' });
    expect(rootCa.data?.['ca.crt']).to.include('-----BEGIN CERTIFICATE-----');
  });

  it('answers 403 Forbidden for a verb the Role does not grant', async function () {
    const rejection = await rejectionOf(
      asAccount.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'not-allowed' } } }),
    );
    expect(rejection.code).to.equal(403);
    expect(rejection.reason).to.equal('Forbidden');
    expect(rejection.message).to.include(account.username).and.include('cannot create resource "configmaps"');
  });

  it('answers 403 Forbidden for a resource the Role does not name', async function () {
    const rejection = await rejectionOf(asAccount.listNamespacedSecret({ namespace }));
    expect(rejection.code).to.equal(403);
    expect(rejection.message).to.include('cannot list resource "secrets"');
  });

  it('answers 403 Forbidden in a namespace the Role does not cover', async function () {
    const rejection = await rejectionOf(asAccount.listNamespacedConfigMap({ namespace: 'default' }));
    expect(rejection.code).to.equal(403);
    expect(rejection.message).to.include('in the namespace "default"');
  });

  it('writes a kubeconfig file that kubectl uses as the ServiceAccount', async function () {
    const whoami = JSON.parse(await kubectl(['auth', 'whoami', '-o', 'json'], { kubeconfig: account.path })) as {
      status?: { userInfo?: { username?: string } };
    };
    expect(whoami.status?.userInfo?.username).to.equal(account.username);

    expect((await kubectl(['auth', 'can-i', 'list', 'configmaps', '-n', namespace], { kubeconfig: account.path })).trim()).to.equal(
      'yes',
    );
    // `can-i` answers "no" with exit code 1.
    const denied = await kubectl(['auth', 'can-i', 'list', 'secrets', '-n', namespace], { kubeconfig: account.path }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(denied).to.be.instanceOf(KubectlError);
    expect((denied as KubectlError).exitCode).to.equal(1);
    expect((denied as KubectlError).stdout.trim()).to.equal('no');
  });
});
