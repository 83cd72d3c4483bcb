// Stage 1 of the end-to-end suite: a pod really runs on the node, and its
// CPU and memory reach the resource metrics API (metrics.k8s.io) and an
// HorizontalPodAutoscaler. Runs against whatever cluster KUBECONFIG names
// (`make e2e` starts one with hack/node.sh; a kind cluster with metrics-server
// works too), so it sets nothing up itself but a namespace.
//
// E2E_BUSYBOX_IMAGE names a busybox image that is already on the node
// (hack/node.sh imports one); pods never pull it unless it is missing.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type PodMetricsList,
  type V1Container,
  type V1Pod,
  type V1PodSpec,
  type V2MetricStatus,
} from '@kubernetes/client-node';
import { waitFor } from '../support/wait.js';

const BUSYBOX_IMAGE = process.env['E2E_BUSYBOX_IMAGE'] ?? 'busybox:1.36';
const POD_TIMEOUT_MS = 120_000;
const WEB_PORT = 8080;
// hack/node.sh runs metrics-server with a 15 s resolution, and it needs two
// scrapes of a pod for a CPU rate; an HPA then reads it within its 5 s sync.
const METRICS_TIMEOUT_MS = 90_000;
// A busy loop, held to a tenth of a core by its CPU limit: plainly busy to
// the metrics API, without taking a core of this shared machine.
const BURN_SCRIPT = 'while :; do :; done';
const BURN_RESOURCES = { requests: { cpu: '20m', memory: '16Mi' }, limits: { cpu: '100m', memory: '32Mi' } };

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
 * A resource.Quantity as a number: CPU in cores ("96992383n", "97m", "1"),
 * memory in bytes ("264Ki", "12Mi", "1024").
 */
function quantity(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(n|u|m|k|Ki|Mi|Gi|M|G)?$/.exec(text);
  if (match === null) throw new Error(`not a quantity this test knows: '${text}'`);
  const scale: Record<string, number> = {
    n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30,
  };
  return Number(match[1]) * (match[2] === undefined ? 1 : (scale[match[2]] ?? Number.NaN));
}

/**
 * A busybox command that fetches URL, retrying for up to `seconds`, and
 * prints the body. `timeout`, not `wget -T`: Debian's static busybox 1.35
 * wget crashes with -T when it cannot connect. A failed try's error stays in
 * the pod's log (kube-proxy may not have written a new Service's rules yet),
 * so the body is the log's last line.
 */
function fetchScript(url: string, seconds: number): string {
  return `for i in $(seq 1 ${seconds}); do timeout 3 wget -q -O- '${url}' && exit 0; sleep 1; done; echo 'no answer from ${url}' >&2; exit 1`;
}

function lastLine(log: string): string {
  return log.trim().split('\n').at(-1) ?? '';
}

describe('e2e: a pod runs on the node', function () {
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let autoscaling: AutoscalingV2Api;
  let customObjects: CustomObjectsApi;
  let namespace: string;
  // Served by the web pod; seeing it elsewhere proves the bytes came from there.
  const token = `dcache-e2e-${randomUUID()}`;
  let webPodIp: string;

  before(async function () {
    const kubeConfig = clusterConfig();
    core = kubeConfig.makeApiClient(CoreV1Api);
    apps = kubeConfig.makeApiClient(AppsV1Api);
    autoscaling = kubeConfig.makeApiClient(AutoscalingV2Api);
    customObjects = kubeConfig.makeApiClient(CustomObjectsApi);
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
    expect(lastLine(log), `the log of client-direct:\n${log}`).to.equal(token);
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
    expect(lastLine(log), `the log of client-service:\n${log}`).to.equal(token);
  });

  /** GET /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods: what `kubectl top pods` reads. */
  async function podMetrics(): Promise<PodMetricsList> {
    return (await customObjects.listNamespacedCustomObject({
      group: 'metrics.k8s.io',
      version: 'v1beta1',
      namespace,
      plural: 'pods',
    })) as PodMetricsList;
  }

  it('reports a CPU-burning pod\'s CPU and memory through the metrics API (metrics.k8s.io)', async function () {
    await core.createNamespacedPod({
      namespace,
      body: busyboxPod('burn', BURN_SCRIPT, { container: { resources: BURN_RESOURCES } }),
    });
    try {
      const usage = await waitFor(
        'CPU usage of pod burn in metrics.k8s.io',
        async () => {
          const pod = (await podMetrics()).items.find((item) => item.metadata.name === 'burn');
          const main = pod?.containers.find((container) => container.name === 'main');
          return main !== undefined && quantity(main.usage.cpu) > 0 ? main.usage : undefined;
        },
        { timeoutMs: METRICS_TIMEOUT_MS, intervalMs: 2000 },
      );
      // An idle container shows a few millicores at most; this one spins up to its limit.
      expect(quantity(usage.cpu), `CPU ${usage.cpu}`).to.be.greaterThan(0.01).and.at.most(0.15);
      expect(quantity(usage.memory), `memory ${usage.memory}`).to.be.greaterThan(0);
    } finally {
      await core.deleteNamespacedPod({ namespace, name: 'burn', gracePeriodSeconds: 0 });
    }
  });

  it('gives an HPA the CPU and memory utilization of a Deployment, and it scales on CPU', async function () {
    const labels = { app: 'burn-hpa' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'burn-hpa' },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: busyboxPod('burn-hpa', BURN_SCRIPT, { container: { resources: BURN_RESOURCES } }).spec,
          },
        },
      },
    });
    try {
      // About 500% of the CPU request against a 50% target: the HPA wants
      // more replicas, capped at 2 so that the test stays small.
      await autoscaling.createNamespacedHorizontalPodAutoscaler({
        namespace,
        body: {
          metadata: { name: 'burn-hpa' },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'burn-hpa' },
            minReplicas: 1,
            maxReplicas: 2,
            metrics: [
              { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
              { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 90 } } },
            ],
          },
        },
      });
      const current = (metrics: V2MetricStatus[] | undefined, name: string) =>
        metrics?.find((metric) => metric.type === 'Resource' && metric.resource?.name === name)?.resource?.current;
      const status = await waitFor(
        'HPA burn-hpa to read CPU and memory and scale to 2',
        async () => {
          const hpa = await autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace, name: 'burn-hpa' });
          const cpu = current(hpa.status?.currentMetrics, 'cpu');
          const memory = current(hpa.status?.currentMetrics, 'memory');
          const read = cpu?.averageUtilization !== undefined && memory?.averageUtilization !== undefined;
          return read && hpa.status?.desiredReplicas === 2 ? hpa.status : undefined;
        },
        { timeoutMs: METRICS_TIMEOUT_MS, intervalMs: 2000 },
      );
      const conditions = status.conditions?.map((condition) => `${condition.type}=${condition.status} ${condition.reason}`);
      expect(conditions, 'the HPA reads its metrics').to.include('ScalingActive=True ValidMetricFound');
      expect(current(status.currentMetrics, 'cpu')?.averageUtilization, 'CPU % of the request').to.be.greaterThan(50);
      expect(quantity(current(status.currentMetrics, 'cpu')?.averageValue ?? '0')).to.be.greaterThan(0.01);
      expect(quantity(current(status.currentMetrics, 'memory')?.averageValue ?? '0')).to.be.greaterThan(0);
      const deployment = await apps.readNamespacedDeployment({ namespace, name: 'burn-hpa' });
      expect(deployment.spec?.replicas, 'the HPA scaled the Deployment').to.equal(2);
    } finally {
      // Stop the busy loops now rather than when the namespace goes.
      await autoscaling.deleteNamespacedHorizontalPodAutoscaler({ namespace, name: 'burn-hpa' });
      await apps.deleteNamespacedDeployment({ namespace, name: 'burn-hpa', propagationPolicy: 'Foreground' });
    }
  });
});
