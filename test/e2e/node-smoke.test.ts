// Stage 1 of the end-to-end suite: a pod really runs on the node. Runs
// against whatever cluster KUBECONFIG names (`make e2e` starts one with
// hack/node.sh; a kind cluster works too), so it sets nothing up itself but a
// namespace.
//
// E2E_BUSYBOX_IMAGE names a busybox image that is already on the node
// (hack/node.sh imports one); pods never pull it unless it is missing.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { CoreV1Api, KubeConfig, type V1Container, type V1Pod, type V1PodSpec } from '@kubernetes/client-node';
import { waitFor } from '../support/wait.js';

const BUSYBOX_IMAGE = process.env['E2E_BUSYBOX_IMAGE'] ?? 'busybox:1.36';
const POD_TIMEOUT_MS = 120_000;
const WEB_PORT = 8080;

function clusterConfig(): KubeConfig {
  if ((process.env['KUBECONFIG'] ?? '') === '') {
    throw new Error('KUBECONFIG is not set: run this suite with `make e2e`, or point KUBECONFIG at a cluster');
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

interface PodOptions {
  readonly container?: Partial<V1Container>;
  readonly spec?: Partial<V1PodSpec>;
}

/** A one-container busybox pod that runs `sh -c script`. */
function busyboxPod(name: string, script: string, { container = {}, spec = {} }: PodOptions = {}): V1Pod {
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      containers: [
        { name: 'main', image: BUSYBOX_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], ...container },
      ],
      terminationGracePeriodSeconds: 1,
      ...spec,
    },
  };
}

/**
 * A busybox command that fetches URL, retrying for up to `seconds`, and
 * prints the body. `timeout`, not `wget -T`: Debian's static busybox 1.35
 * wget crashes with -T when it cannot connect.
 */
function fetchScript(url: string, seconds: number): string {
  return `for i in $(seq 1 ${seconds}); do timeout 3 wget -q -O- '${url}' && exit 0; sleep 1; done; echo 'no answer from ${url}' >&2; exit 1`;
}

describe('e2e: a pod runs on the node', function () {
  let core: CoreV1Api;
  let namespace: string;
  // Served by the web pod; seeing it elsewhere proves the bytes came from there.
  const token = `dcache-e2e-${randomUUID()}`;
  let webPodIp: string;

  before(async function () {
    core = clusterConfig().makeApiClient(CoreV1Api);
    const created = await core.createNamespace({ body: { metadata: { generateName: 'e2e-smoke-' } } });
    namespace = created.metadata?.name ?? '';
    await waitFor(
      `serviceaccount ${namespace}/default`,
      async () => {
        await core.readNamespacedServiceAccount({ namespace, name: 'default' });
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  });

  after(async function () {
    if (namespace !== undefined && namespace !== '') await core.deleteNamespace({ name: namespace });
  });

  async function podPhase(name: string): Promise<string | undefined> {
    return (await core.readNamespacedPod({ namespace, name })).status?.phase;
  }

  /** Waits for a pod that runs to completion, then returns its log. */
  async function logOfSucceededPod(name: string): Promise<string> {
    const phase = await waitFor(
      `pod ${name} to finish`,
      async () => {
        const current = await podPhase(name);
        return current === 'Succeeded' || current === 'Failed' ? current : undefined;
      },
      { timeoutMs: POD_TIMEOUT_MS, intervalMs: 500 },
    );
    const log = await core.readNamespacedPodLog({ namespace, name });
    expect(phase, `pod ${name} failed; its log:\n${log}`).to.equal('Succeeded');
    return log;
  }

  it('has a Ready node', async function () {
    const nodes = await core.listNode();
    const ready = nodes.items.filter((node) =>
      node.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True'),
    );
    expect(ready.map((node) => node.metadata?.name)).to.have.length.greaterThan(0);
  });

  it('runs a busybox pod to Running, and its output is readable through the API', async function () {
    const script = `mkdir -p /www && echo '${token}' > /www/index.html && echo 'serving ${token}' && exec httpd -f -p ${WEB_PORT} -h /www`;
    await core.createNamespacedPod({
      namespace,
      body: busyboxPod('web', script, {
        container: {
          ports: [{ containerPort: WEB_PORT }],
          // The kubelet probes from the node, so Ready also shows the node reaches the pod.
          readinessProbe: { tcpSocket: { port: WEB_PORT }, periodSeconds: 1 },
        },
      }),
    });

    const pod = await waitFor(
      'pod web Running and Ready',
      async () => {
        const current = await core.readNamespacedPod({ namespace, name: 'web' });
        const ready = current.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        return current.status?.phase === 'Running' && ready === true ? current : undefined;
      },
      { timeoutMs: POD_TIMEOUT_MS, intervalMs: 500 },
    );
    webPodIp = pod.status?.podIP ?? '';
    expect(webPodIp).to.match(/^\d+\.\d+\.\d+\.\d+$/);

    // The API server fetches this from the kubelet.
    const log = await waitFor('the web pod to log its first line', async () => {
      const text = await core.readNamespacedPodLog({ namespace, name: 'web' });
      return text.includes('serving') ? text : undefined;
    });
    expect(log.trim()).to.equal(`serving ${token}`);
  });

  it('reaches that pod from a second pod over the pod network', async function () {
    await core.createNamespacedPod({
      namespace,
      body: busyboxPod('client-direct', fetchScript(`http://${webPodIp}:${WEB_PORT}/`, 30), {
        spec: { restartPolicy: 'Never' },
      }),
    });
    const log = await logOfSucceededPod('client-direct');
    expect(log.trim()).to.equal(token);
    const client = await core.readNamespacedPod({ namespace, name: 'client-direct' });
    expect(client.status?.podIP, 'the client ran in a pod of its own').to.not.equal(webPodIp);
  });

  it('routes a ClusterIP Service to that pod through kube-proxy', async function () {
    const service = await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ port: 80, targetPort: WEB_PORT }] },
      },
    });
    const clusterIp = service.spec?.clusterIP ?? '';
    expect(clusterIp).to.match(/^\d+\.\d+\.\d+\.\d+$/);
    expect(clusterIp).to.not.equal(webPodIp);

    // The fetch retries while kube-proxy writes the Service's rules.
    await core.createNamespacedPod({
      namespace,
      body: busyboxPod('client-service', fetchScript(`http://${clusterIp}/`, 60), {
        spec: { restartPolicy: 'Never' },
      }),
    });
    const log = await logOfSucceededPod('client-service');
    expect(log.trim()).to.equal(token);
  });
});
