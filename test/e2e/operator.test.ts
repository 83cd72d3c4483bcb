// The end-to-end suite, as a user would run it: `make deploy` (manifests/
// through kustomize, server-side apply, with only the image renamed), one
// DistributedCache, `kubectl wait --for=condition=Ready dcache/NAME`, keys
// through the client Service; then scale, a deleted server, a rolling
// upgrade and a deleted ZooKeeper pod, each under live traffic with 0 misses
// and 0 stale reads; then the CR's deletion, with every child gone.
//
// Runs against whatever cluster KUBECONFIG names, with kubectl on PATH.
// The images must already be on the node (`make e2e` imports them; on kind,
// `kind load docker-image`), as pods use IfNotPresent:
//   E2E_IMAGE            the project image (default distributed-cache:e2e)
//   E2E_ZOOKEEPER_IMAGE  a ZooKeeper image (default zookeeper:3.9, the operator's own default)
import { expect } from 'chai';
import { childNames, selectorString } from '../../operator/resources/names.js';
import { moreTraffic, Traffic, verifyAll, type TrafficStats } from '../support/traffic.js';
import { waitFor } from '../support/wait.js';
import { deployOperator, IMAGE, OPERATOR_NAMESPACE, ZOOKEEPER_IMAGE, type DeployedOperator } from './support/deploy.js';
import { apply, inParallel, kubectl, livePods, portForward, waitForReadyPods } from './support/kubectl.js';

const CACHE = 'e2e';
const KEYS = 10_000;
const LIVE_KEYS = 1_000;

/** A small cache: 1 ZooKeeper member, 3 servers, 1 router, R=2. */
function sample(namespace: string): object {
  return {
    apiVersion: 'cache.distributed.dev/v1alpha1',
    kind: 'DistributedCache',
    metadata: { name: CACHE, namespace },
    spec: {
      replicationFactor: 2,
      servers: { replicas: 3, maxMemory: '64Mi', resources: { requests: { cpu: '50m', memory: '192Mi' }, limits: { memory: '192Mi' } } },
      clients: { replicas: 1, resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '192Mi' } } },
      zookeeper: { replicas: 1, image: ZOOKEEPER_IMAGE, storage: { size: '1Gi' } },
    },
  };
}

describe('e2e: the operator and a cache run from our images', function () {
  const names = childNames(CACHE);
  let operator: DeployedOperator | undefined;
  let namespace: string;
  let forward: { port: number; stop: () => void } | undefined;
  const base = () => `http://127.0.0.1:${forward?.port ?? 0}`;
  /** Every key written so far, with its acknowledged value: checked after each change. */
  const stored = new Map<string, string>();

  before(async function () {
    operator = await deployOperator();
    namespace = `e2e-cache-${Date.now()}`;
    await kubectl(['create', 'namespace', namespace]);
  });

  after(async function () {
    forward?.stop();
    if (namespace !== undefined) await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => undefined);
    await operator?.remove();
  });

  it('runs the operator as a pod from the project image', async function () {
    await kubectl(['-n', OPERATOR_NAMESPACE, 'rollout', 'status', 'deployment/distributed-cache-operator', '--timeout=180s']);
    const images = await kubectl([
      '-n', OPERATOR_NAMESPACE, 'get', 'pods', '-l', 'app.kubernetes.io/name=distributed-cache-operator',
      '-o', 'jsonpath={.items[*].spec.containers[*].image}',
    ]);
    expect(images.split(' ')).to.deep.equal([IMAGE]);
  });

  it('runs ZooKeeper from the ZooKeeper image, and the servers and router from the project image', async function () {
    await apply(sample(namespace));
    // The pods exist only once the operator has reconciled.
    for (const component of ['zookeeper', 'server', 'client'] as const) {
      await waitFor(`${component} pods`, async () => (await livePods(namespace, selectorString(CACHE, component))).length > 0, {
        timeoutMs: 120_000, intervalMs: 500,
      });
    }
    await kubectl(['-n', namespace, 'wait', '--for=condition=Ready', 'pod', '-l', selectorString(CACHE, 'zookeeper'), '--timeout=240s']);
    const images = await kubectl(['-n', namespace, 'get', 'pods', '-o', 'jsonpath={range .items[*]}{.spec.containers[0].image}{"\\n"}{end}']);
    expect(new Set(images.trim().split('\n'))).to.deep.equal(new Set([IMAGE, ZOOKEEPER_IMAGE]));
  });

  it('makes the cache Ready (kubectl wait --for=condition=Ready dcache)', async function () {
    await kubectl(['-n', namespace, 'wait', '--for=condition=Ready', `dcache/${CACHE}`, '--timeout=240s']);
    // What a user sees at this point (the README quotes it).
    console.log(indent(await kubectl(['-n', namespace, 'get', 'dcache'])));
    console.log(indent(await kubectl(['-n', namespace, 'get', 'pods'])));
  });

  it(`stores ${KEYS} keys through the client Service (POST /api/post) and reads them all back (GET /api/get)`, async function () {
    forward = await portForward(namespace, `svc/${names.client}`, 5000);
    const value = (i: number) => `value-${i}-${namespace}`;
    await inParallel(KEYS, async (i) => {
      const response = await fetch(`${base()}/api/post?key=key-${i}&value=${value(i)}`, { method: 'POST' });
      expect(response.status, `POST key-${i}`).to.equal(200);
      await response.text();
      stored.set(`key-${i}`, value(i));
    });
    const misses: number[] = [];
    await inParallel(KEYS, async (i) => {
      const response = await fetch(`${base()}/api/get/key-${i}`);
      const body = await response.text();
      if (response.status !== 200 || body !== value(i)) misses.push(i);
    });
    expect(misses, 'keys missing or stale').to.deep.equal([]);
  });

  describe('under live traffic: 0 misses and 0 stale reads', function () {
    /** Keys that the traffic rewrites and reads back all through the changes. */
    const live = new Map(Array.from({ length: LIVE_KEYS }, (_, i) => [`live-${i}`, `live-${i}-initial`] as const));

    before(async function () {
      await inParallel(LIVE_KEYS, async (i) => {
        const response = await fetch(`${base()}/api/keys/live-${i}`, { method: 'PUT', body: `live-${i}-initial` });
        expect(response.status, `PUT live-${i}`).to.equal(204);
        await response.text();
      });
    });

    /**
     * Runs `change` while a writer and a reader run, and then until the traffic
     * has gone on a while past it; then reads back every key ever stored.
     */
    async function underTraffic(scenario: string, change: () => Promise<void>): Promise<void> {
      const traffic = new Traffic(base, live, { workers: 8, writeRatio: 0.3, maxDurationMs: 900_000, requestTimeoutMs: 10_000 }).start();
      const started = Date.now();
      let stats: TrafficStats;
      try {
        await moreTraffic(traffic, 200);
        await change();
        await moreTraffic(traffic, 500);
      } finally {
        stats = await traffic.stop();
      }
      expectNoLoss(`${scenario}: ${((Date.now() - started) / 1000).toFixed(0)} s`, stats);
      await expectStoredIntact(scenario);
    }

    /** Prints what a run of traffic saw, and fails on any miss or stale read. */
    function expectNoLoss(label: string, stats: TrafficStats): void {
      console.log(`      ${label}: ${stats.reads} reads, ${stats.writes} writes, ${stats.misses} misses, ${stats.stale} stale, ${stats.errors} errors`);
      if (stats.firstProblems.length > 0) console.log(indent(stats.firstProblems.join('\n'), 8));
      expect(stats.misses, `misses (${label})`).to.equal(0);
      expect(stats.stale, `stale reads (${label})`).to.equal(0);
    }

    /** Reads back every key stored so far. */
    async function expectStoredIntact(after: string): Promise<void> {
      const check = await verifyAll(base(), stored);
      expect(check.misses, `${KEYS} stored keys missing after ${after}`).to.deep.equal([]);
      expect(check.stale, `${KEYS} stored keys stale after ${after}`).to.deep.equal([]);
    }

    const servers = () => selectorString(CACHE, 'server');
    const cacheReady = () => kubectl(['-n', namespace, 'wait', '--for=condition=Ready', `dcache/${CACHE}`, '--timeout=300s']);

    const serverGeneration = () => kubectl(['-n', namespace, 'get', `deployment/${names.server}`, '-o', 'jsonpath={.metadata.generation}']);

    it('kubectl scale dcache --replicas=5, then back to 3, one server at a time', async function () {
      this.timeout(900_000);
      let generationBefore = 0;
      await underTraffic('scale 3 -> 5 -> 3', async () => {
        await kubectl(['-n', namespace, 'scale', `dcache/${CACHE}`, '--replicas=5']);
        await waitForReadyPods(namespace, servers(), 5, 300_000);
        await cacheReady();
        generationBefore = Number(await serverGeneration());
        await kubectl(['-n', namespace, 'scale', `dcache/${CACHE}`, '--replicas=3']);
        await waitForReadyPods(namespace, servers(), 3, 300_000);
        await cacheReady();
      });
      const replicas = await kubectl(['-n', namespace, 'get', `dcache/${CACHE}`, '-o', 'jsonpath={.spec.servers.replicas}/{.status.replicas}']);
      expect(replicas).to.equal('3/3');
      // 5 -> 4 -> 3, each step once Replicated: two changes of the server Deployment, where one jump would be one.
      expect(Number(await serverGeneration()) - generationBefore, 'scale-down steps').to.equal(2);
      // Once the last removed server's znode is gone, the others count it as leaving for a 5 s grace, and say
      // so in their readiness: Replicated may be False for that moment after Ready was seen, then True again.
      await kubectl(['-n', namespace, 'wait', '--for=condition=Replicated', `dcache/${CACHE}`, '--timeout=60s']);
    });

    it('deletes one server pod', async function () {
      this.timeout(600_000);
      const [victim] = await livePods(namespace, servers());
      await underTraffic(`delete pod ${victim}`, async () => {
        await kubectl(['-n', namespace, 'delete', 'pod', victim as string, '--wait=false']);
        const now = await waitForReadyPods(namespace, servers(), 3, 300_000);
        expect(now).not.to.include(victim);
        await cacheReady();
      });
    });

    it('rolls every server, one at a time through its drain (a change to spec.servers.maxMemory)', async function () {
      this.timeout(900_000);
      const before = await livePods(namespace, servers());
      const checksum = () =>
        kubectl(['-n', namespace, 'get', `deployment/${names.server}`, '-o', "jsonpath={.spec.template.metadata.annotations['cache\\.distributed\\.dev/config-checksum']}"]);
      const oldChecksum = await checksum();
      await underTraffic('rolling upgrade of the servers', async () => {
        await kubectl(['-n', namespace, 'patch', `dcache/${CACHE}`, '--type=merge', '-p', '{"spec":{"servers":{"maxMemory":"80Mi"}}}']);
        await waitFor('the operator to roll the server template', async () => (await checksum()) !== oldChecksum, { timeoutMs: 60_000, intervalMs: 500 });
        await kubectl(['-n', namespace, 'rollout', 'status', `deployment/${names.server}`, '--timeout=600s']);
        const after = await waitForReadyPods(namespace, servers(), 3, 300_000);
        expect(after.filter((pod) => before.includes(pod)), 'servers not replaced').to.deep.equal([]);
        await cacheReady();
      });
    });

    it('deletes the ZooKeeper pod', async function () {
      this.timeout(600_000);
      const zookeeper = selectorString(CACHE, 'zookeeper');
      const uid = () => kubectl(['-n', namespace, 'get', 'pod', `${names.zookeeper}-0`, '-o', 'jsonpath={.metadata.uid}']);
      const oldUid = await uid();
      await underTraffic('delete the ZooKeeper pod', async () => {
        await kubectl(['-n', namespace, 'delete', 'pod', `${names.zookeeper}-0`, '--wait=false']);
        await waitFor('a new ZooKeeper pod', async () => (await uid().catch(() => oldUid)) !== oldUid, { timeoutMs: 120_000, intervalMs: 500 });
        await waitForReadyPods(namespace, zookeeper, 1, 300_000);
        await cacheReady();
      });
    });
    it('autoscales: the HPA adds servers under CPU load and removes them after it, with nothing lost', async function () {
      this.timeout(1_200_000);
      const hpaName = names.server;
      const TARGET_CPU = 40;
      await kubectl(['-n', namespace, 'patch', `dcache/${CACHE}`, '--type=merge', '-p', JSON.stringify({
        spec: { autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 5, targetCPUUtilizationPercentage: TARGET_CPU, scaleDownStabilizationWindowSeconds: 30 } },
      })]);
      // The HPA must read real CPU from the metrics API, and see the servers idle, before the load starts.
      await waitFor('the HPA to read the servers\' CPU below its target, wanting 3', async () => {
        const [cpu, desired] = (await kubectl([
          '-n', namespace, 'get', `hpa/${hpaName}`, '-o', 'jsonpath={.status.currentMetrics[0].resource.current.averageUtilization} {.status.desiredReplicas}',
        ])).split(' ');
        return cpu !== '' && Number(cpu) < TARGET_CPU && desired === '3' ? cpu : undefined;
      }, { timeoutMs: 240_000, intervalMs: 2_000 });
      const serverCount = async () => (await livePods(namespace, servers())).length;

      const heavy = new Traffic(base, live, { workers: 24, writeRatio: 0.5, maxDurationMs: 600_000, requestTimeoutMs: 10_000 }).start();
      const loadStarted = Date.now();
      let upSeconds: number;
      let heavyStats: TrafficStats;
      try {
        await waitFor('the HPA to add servers', async () => (await serverCount()) > 3, { timeoutMs: 480_000, intervalMs: 2_000 });
        const grown = await serverCount();
        await waitForReadyPods(namespace, servers(), grown, 300_000);
        upSeconds = (Date.now() - loadStarted) / 1000;
      } finally {
        heavyStats = await heavy.stop();
      }
      const peak = await serverCount();
      // Light traffic keeps checking every key while the HPA scales back down.
      const light = new Traffic(base, live, { workers: 2, writeRatio: 0.3, pauseMs: 100, maxDurationMs: 900_000, requestTimeoutMs: 10_000 }).start();
      const loadStopped = Date.now();
      let downSeconds: number;
      let lightStats: TrafficStats;
      try {
        await waitForReadyPods(namespace, servers(), 3, 720_000);
        downSeconds = (Date.now() - loadStopped) / 1000;
        await cacheReady();
      } finally {
        lightStats = await light.stop();
      }
      console.log(
        `      HPA: 3 -> ${peak} servers ${upSeconds.toFixed(0)} s after the load started, back to 3 ${downSeconds.toFixed(0)} s after it stopped ` +
          `(scale-down window 30 s, one server a minute)`,
      );
      for (const [phase, stats] of [['under load', heavyStats], ['after it', lightStats]] as const) expectNoLoss(phase, stats);
      await expectStoredIntact('autoscaling');
    });
  });

  // Mocha runs a suite's own tests before its nested suites: this one must be a suite to come last.
  describe('deleting the DistributedCache', function () {
    it('deletes every child with it', async function () {
      this.timeout(600_000);
      forward?.stop();
      forward = undefined;
      await kubectl(['-n', namespace, 'delete', `dcache/${CACHE}`, '--wait=true', '--timeout=120s']);
      const kinds = 'statefulsets,deployments,replicasets,services,poddisruptionbudgets,horizontalpodautoscalers,networkpolicies,secrets,pods,persistentvolumeclaims';
      const left = await waitFor(
        'every child of the cache to be gone',
        async () => {
          const out = await kubectl(['-n', namespace, 'get', kinds, '-l', `app.kubernetes.io/instance=${CACHE}`, '-o', 'name']);
          return out.trim() === '' ? 'none' : undefined;
        },
        { timeoutMs: 300_000, intervalMs: 2_000 },
      );
      expect(left).to.equal('none');
    });
  });
});

function indent(text: string, spaces = 6): string {
  return text.trimEnd().split('\n').map((line) => ' '.repeat(spaces) + line).join('\n');
}
