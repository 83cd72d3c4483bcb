// The cluster token's Secret on a real control plane, created by the operator
// with its own ServiceAccount (which may create Secrets, and nothing more):
// created once, owned by the cache, mounted into the pods, and never rewritten,
// neither by a reconcile nor by a new operator, so a rotated token stays.
import { expect } from 'chai';
import type { V1Secret } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { parseTokenFile } from '../../../dataplane/security/cluster-token.js';
import { createTestNamespace, deleteTestNamespace, kubectl } from '../../support/control-plane.js';
import { Admin, installOperator, operatorKubeconfig } from '../../support/operator-cluster.js';
import { OperatorProcess } from '../../support/operator-process.js';
import { waitFor } from '../../support/wait.js';

const IMAGE = 'registry.invalid/distributed-cache:it';
const QUICK = { timeoutMs: 20_000, intervalMs: 100 };
const NAME = 'guarded';
const SECRET = `${NAME}-cluster-token`;

const tokenIn = (secret: V1Secret): string => Buffer.from(secret.data?.['token'] ?? '', 'base64').toString('utf8');

describe('operator: the cluster token Secret on a real control plane', function () {
  let namespace: string;
  let admin: Admin;
  let kubeconfig: string;
  let operator: OperatorProcess;
  const operatorLogs: string[] = [];
  const startOperator = async (name: string) => {
    operator = await OperatorProcess.start({ kubeconfig, name, env: { DATAPLANE_IMAGE: IMAGE } });
    operatorLogs.push(operator.logFile);
    await operator.waitLeading();
  };
  const readSecret = () => admin.core.readNamespacedSecret({ namespace, name: SECRET });
  /** A change the operator must answer, so a reconcile has surely run once this resolves. */
  const reconciled = async () => {
    await admin.core.deleteNamespacedService({ namespace, name: `${NAME}-client` });
    await waitFor('the operator to put the client Service back', () => admin.core.readNamespacedService({ namespace, name: `${NAME}-client` }), QUICK);
  };

  before(async function () {
    await installOperator();
    namespace = await createTestNamespace('dcache-token');
    admin = new Admin();
    kubeconfig = (await operatorKubeconfig()).path;
    await startOperator('token');
    await admin.createCache(namespace, NAME, { servers: { replicas: 2 } });
  });

  after(async function () {
    await operator?.stop();
    if (namespace !== undefined) await deleteTestNamespace(namespace);
  });

  it('creates a Secret with a random token, owned by the cache, and mounts it into servers and routers', async function () {
    const secret = await waitFor('the cluster token Secret', () => readSecret(), QUICK);
    const cache = await admin.readCache(namespace, NAME);
    expect(secret.metadata?.ownerReferences).to.deep.equal([
      { apiVersion: 'cache.distributed.dev/v1alpha1', kind: 'DistributedCache', name: NAME, uid: cache.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    const tokens = parseTokenFile(tokenIn(secret));
    expect(tokens).to.have.property('current').with.length(43);
    for (const role of ['server', 'client']) {
      const deployment = await waitFor(`the ${role} Deployment`, () => admin.apps.readNamespacedDeployment({ namespace, name: `${NAME}-${role}` }), QUICK);
      const pod = deployment.spec?.template.spec;
      expect(pod?.volumes, role).to.deep.equal([{ name: 'cluster-token', secret: { secretName: SECRET, defaultMode: 0o440 } }]);
      expect(pod?.containers[0]?.volumeMounts, role).to.deep.equal([{ name: 'cluster-token', mountPath: '/etc/distributed-cache/cluster-token', readOnly: true }]);
    }
  });

  it('never rewrites it: not on a resync, not from a new operator, not after a user rotated it', async function () {
    const created = await readSecret();
    await reconciled();
    expect((await readSecret()).metadata?.resourceVersion, 'after a reconcile').to.equal(created.metadata?.resourceVersion);

    // A user rotates: the new token first, the old one second.
    const rotated = `rotated-token-0123456789abcdef\n${tokenIn(created)}`;
    await kubectl(['patch', '-n', namespace, 'secret', SECRET, '--type=merge', '-p', JSON.stringify({ stringData: { token: rotated } })]);
    const afterEdit = await readSecret();

    await operator.stop();
    await startOperator('token-again');
    await reconciled();
    const now = await readSecret();
    expect(now.metadata?.resourceVersion, 'after a new operator reconciled').to.equal(afterEdit.metadata?.resourceVersion);
    expect(tokenIn(now)).to.equal(rotated);
  });

  it('never logs the token', async function () {
    const tokens = tokenIn(await readSecret()).split('\n').filter((line) => line !== '');
    expect(tokens).to.have.length(2);
    for (const log of operatorLogs) {
      for (const token of tokens) expect(readFileSync(log, 'utf8'), log).not.to.contain(token);
    }
  });
});
