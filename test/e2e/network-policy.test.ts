// The cache's NetworkPolicies, enforced: on the cluster of hack/node.sh,
// kube-router (firewall only) on every node; on kind, kindnet. Probe pods with
// different labels try each path into a cache's pods, and each path's result is
// printed and asserted. A path is open if a try within 5 s gets an answer;
// kube-router rejects denied traffic (ICMP port unreachable: "Connection
// refused"), and a closed path prints what its last try said.
//
// E2E_BUSYBOX_IMAGE names a busybox image already on the nodes (hack/node.sh
// imports one), as in node-smoke.test.ts.
import { expect } from 'chai';
import { OPERATOR_METRICS_PORT } from '../../dataplane/config/contract.js';
import { childNames, selectorString } from '../../operator/resources/names.js';
import { waitFor } from '../support/wait.js';
import { deployOperator, ZOOKEEPER_IMAGE, type DeployedOperator } from './support/deploy.js';
import { apply, kubectl } from './support/kubectl.js';

const BUSYBOX_IMAGE = process.env['E2E_BUSYBOX_IMAGE'] ?? 'busybox:1.36';
const CACHE = 'fenced';
const PROMETHEUS_LABEL = { 'app.kubernetes.io/name': 'prometheus' };
const SHOP_LABEL = { 'dcache-e2e/role': 'shop' };
const TRIES = 5;

type Result = 'open' | 'closed';
type Paths = Record<string, Result>;

/** One server, one router, one ZooKeeper member, policies on (the default). */
function sample(namespace: string, clientFrom?: object[]): object {
  return {
    apiVersion: 'cache.distributed.dev/v1alpha1',
    kind: 'DistributedCache',
    metadata: { name: CACHE, namespace },
    spec: {
      replicationFactor: 1,
      servers: { replicas: 1, maxMemory: '16Mi', resources: { requests: { cpu: '20m', memory: '96Mi' }, limits: { memory: '96Mi' } } },
      clients: { replicas: 1, resources: { requests: { cpu: '20m', memory: '128Mi' }, limits: { memory: '160Mi' } } },
      zookeeper: { replicas: 1, image: ZOOKEEPER_IMAGE, storage: { size: '1Gi' }, resources: { requests: { cpu: '50m', memory: '256Mi' }, limits: { memory: '512Mi' } } },
      ...(clientFrom === undefined ? {} : { networkPolicy: { clientFrom } }),
    },
  };
}

describe('e2e: NetworkPolicy, enforced on real pods', function () {
  const names = childNames(CACHE);
  let operator: DeployedOperator | undefined;
  let namespace: string;
  let server = '';
  let routerPod = '';
  let zookeeper = '';
  let router = '';
  let probes = 0;

  async function podIp(component: 'server' | 'client' | 'zookeeper'): Promise<string> {
    const ip = await kubectl(['-n', namespace, 'get', 'pods', '-l', selectorString(CACHE, component), '-o', 'jsonpath={.items[0].status.podIP}']);
    expect(ip.trim(), `${component} pod IP`).to.match(/^\d+\.\d+\.\d+\.\d+$/);
    return ip.trim();
  }

  /**
   * Runs a pod with `labels` that tries every path, and returns each path's
   * result. Each path is tried a few times, because a new pod's address may
   * reach the enforcer's allow lists a moment after the pod starts.
   */
  async function probeFrom(who: string, labels: Record<string, string>): Promise<Paths> {
    const name = `probe-${++probes}-${who}`;
    const script = [
      // A closed path also prints what its last try said ("timed out" for a drop, a wget error otherwise).
      `check() { path=$1; shift; i=0; while [ $i -lt ${TRIES} ]; do if out=$("$@" 2>&1); then echo "PATH $path open"; return; fi; i=$((i+1)); sleep 1; done; echo "PATH $path closed"; echo "WHY $path $(echo "$out" | tr '\\n' ' ' | cut -c1-200)"; }`,
      'ruok() { [ "$(echo ruok | timeout 3 nc "$1" 2181)" = imok ]; }',
      // `timeout`, not `wget -T`: Debian's static busybox 1.35 wget crashes with -T.
      `check server-port timeout 3 wget -q -O - http://${server}:8080/healthz`,
      // METRICS_PORT: /metrics alone, which metricsFrom may reach.
      `check server-metrics timeout 3 wget -q -O - http://${server}:${OPERATOR_METRICS_PORT}/metrics`,
      `check router-metrics timeout 3 wget -q -O - http://${routerPod}:${OPERATOR_METRICS_PORT}/metrics`,
      `check zookeeper-port ruok ${zookeeper}`,
      `check router-service timeout 3 wget -q -O - http://${router}:5000/healthz`,
      // Through the router to the server and back: the cache's own paths.
      `check write-and-read sh -c 'timeout 3 wget -q -O - --post-data= "http://${router}:5000/api/post?key=${name}&value=ok" && [ "$(timeout 3 wget -q -O - http://${router}:5000/api/get/${name})" = ok ]'`,
    ].join('\n');
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, labels: { 'dcache-e2e/probe': who, ...labels } },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 1,
        containers: [{
          name: 'probe', image: BUSYBOX_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script],
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '32Mi' } },
        }],
      },
    });
    await waitFor(`probe pod ${name} to finish`, async () => {
      const phase = (await kubectl(['-n', namespace, 'get', 'pod', name, '-o', 'jsonpath={.status.phase}'])).trim();
      return phase === 'Succeeded' || phase === 'Failed' ? phase : undefined;
    }, { timeoutMs: 180_000, intervalMs: 1_000 });
    const log = await kubectl(['-n', namespace, 'logs', name]);
    const paths: Paths = {};
    for (const [, path, result] of log.matchAll(/^PATH (\S+) (open|closed)$/gm)) paths[path as string] = result as Result;
    console.log(`      from a pod labelled ${JSON.stringify(labels)}: ${Object.entries(paths).map(([p, r]) => `${p} ${r}`).join(', ')}`);
    for (const [, path, why] of log.matchAll(/^WHY (\S+) (.*)$/gm)) console.log(`        ${path}: ${why.trim() === '' ? 'timed out' : why.trim()}`);
    return paths;
  }

  before(async function () {
    operator = await deployOperator();
    namespace = `e2e-netpol-${Date.now()}`;
    await kubectl(['create', 'namespace', namespace]);
    await apply(sample(namespace));
    await kubectl(['-n', namespace, 'wait', '--for=condition=Ready', `dcache/${CACHE}`, '--timeout=300s']);
    server = await podIp('server');
    routerPod = await podIp('client');
    zookeeper = await podIp('zookeeper');
    router = (await kubectl(['-n', namespace, 'get', 'service', names.client, '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  });

  after(async function () {
    if (namespace !== undefined) await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => undefined);
    await operator?.remove();
  });

  it('keeps a pod without the allowed labels out of the servers, ZooKeeper and the metrics ports, and lets it use the routers', async function () {
    expect(await probeFrom('outsider', {})).to.deep.equal({
      'server-port': 'closed', 'server-metrics': 'closed', 'router-metrics': 'closed', 'zookeeper-port': 'closed', 'router-service': 'open', 'write-and-read': 'open',
    });
  });

  it('lets a pod labelled like Prometheus scrape the servers\' and the routers\' metrics ports, but not reach a server\'s data port or ZooKeeper', async function () {
    expect(await probeFrom('prometheus', PROMETHEUS_LABEL)).to.deep.equal({
      'server-port': 'closed', 'server-metrics': 'open', 'router-metrics': 'open', 'zookeeper-port': 'closed', 'router-service': 'open', 'write-and-read': 'open',
    });
  });

  it('with clientFrom set, lets only those pods and Prometheus reach the routers', async function () {
    await apply(sample(namespace, [{ podSelector: { matchLabels: SHOP_LABEL } }]));
    await waitFor('the router policy to name clientFrom', async () =>
      (await kubectl(['-n', namespace, 'get', 'networkpolicy', names.client, '-o', 'jsonpath={.spec.ingress[0].from}'])).includes('shop'),
    { timeoutMs: 60_000, intervalMs: 1_000 });
    expect(await probeFrom('outsider', {}), 'a pod clientFrom does not name').to.deep.equal({
      'server-port': 'closed', 'server-metrics': 'closed', 'router-metrics': 'closed', 'zookeeper-port': 'closed', 'router-service': 'closed', 'write-and-read': 'closed',
    });
    expect(await probeFrom('shop', SHOP_LABEL), 'a pod clientFrom names').to.deep.equal({
      'server-port': 'closed', 'server-metrics': 'closed', 'router-metrics': 'closed', 'zookeeper-port': 'closed', 'router-service': 'open', 'write-and-read': 'open',
    });
    expect(await probeFrom('prometheus', PROMETHEUS_LABEL), 'Prometheus (metricsFrom) scrapes the routers, and uses them no more').to.deep.equal({
      'server-port': 'closed', 'server-metrics': 'open', 'router-metrics': 'open', 'zookeeper-port': 'closed', 'router-service': 'closed', 'write-and-read': 'closed',
    });
  });
});
