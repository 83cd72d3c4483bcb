// A cache across three zones, under live traffic, while machines fail: the
// cluster of `make e2e` (hack/node.sh: dcache-node-a, -b and -c, one per
// zone, the hub routing between them) runs 3 ZooKeeper members, 6 servers and
// 2 routers spread over the zones; traffic goes through the client Service
// from the hub. Then a node is drained and uncordoned (the PodDisruptionBudgets
// pace it), a node is frozen for 60 s and thawed, a node is cut off from the
// others for 60 s and healed, and a node dies with its zone (processes
// killed, traffic dropped). Each runs under traffic with 0 misses and 0 stale
// reads, every key written at the start is read back before and after, and
// the cache settles before the next change.
//
// The faults need hack/node.sh's cluster (DCACHE_CLUSTER_DIR, which
// `hack/node.sh exec` sets); elsewhere (kind, hack/kind-e2e.sh with its three
// zones) this file checks the spread through a port-forward, says loudly that
// it skips the faults, and skips them.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { RingDescription } from '../../dataplane/ring/ring-view.js';
import { childNames, selectorString } from '../../operator/resources/names.js';
import { moreTraffic, seedKeys, Traffic, verifyAll, type TrafficStats } from '../support/traffic.js';
import { waitFor } from '../support/wait.js';
import { deployOperator, ZOOKEEPER_IMAGE, type DeployedOperator } from './support/deploy.js';
import { apply, kubectl, portForward, readyPods, savePodLogs, waitForReadyPods } from './support/kubectl.js';

const run = promisify(execFile);
const CLUSTER_DIR = process.env['DCACHE_CLUSTER_DIR'] ?? '';
const NODE_SH = resolve('hack/node.sh');
const CACHE = 'zones';
const ZONE_LABEL = 'topology.kubernetes.io/zone';
const SEEDED = 5_000;
const LIVE_KEYS = 600;
const SERVERS = 6;
const ROUTERS = 2;
/** As long as issue 24 asks: past the node's NotReady (20 s here) and its pods' eviction (30 s more). */
const FROZEN_MS = 60_000;

/** 3 ZooKeeper members, 6 servers, 2 routers, R=2, zone placement (the default). */
function sample(namespace: string): object {
  return {
    apiVersion: 'cache.distributed.dev/v1alpha1',
    kind: 'DistributedCache',
    metadata: { name: CACHE, namespace },
    spec: {
      replicationFactor: 2,
      servers: { replicas: SERVERS, maxMemory: '32Mi', resources: { requests: { cpu: '20m', memory: '128Mi' }, limits: { memory: '128Mi' } } },
      clients: { replicas: ROUTERS, resources: { requests: { cpu: '20m', memory: '128Mi' }, limits: { memory: '192Mi' } } },
      zookeeper: { replicas: 3, image: ZOOKEEPER_IMAGE, storage: { size: '1Gi' }, resources: { requests: { cpu: '50m', memory: '256Mi' }, limits: { memory: '512Mi' } } },
    },
  };
}

async function nodeTool(command: string, letter: string): Promise<void> {
  await run(NODE_SH, [command, CLUSTER_DIR, letter]);
}

interface PodPlace {
  name: string;
  node: string;
}

describe('e2e: a cache across three zones while nodes fail', function () {
  const names = childNames(CACHE);
  let operator: DeployedOperator | undefined;
  let namespace: string;
  let zoneOfNode = new Map<string, string>();
  let base = '';
  let forward: { port: number; stop: () => void } | undefined;
  let seeded = new Map<string, string>();
  const live = new Map(Array.from({ length: LIVE_KEYS }, (_, i) => [`live-${i}`, `live-${i}-initial`] as const));

  async function podsOf(component: 'server' | 'client' | 'zookeeper'): Promise<PodPlace[]> {
    const out = await kubectl([
      '-n', namespace, 'get', 'pods', '-l', selectorString(CACHE, component),
      '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.metadata.deletionTimestamp}{"\\n"}{end}',
    ]);
    return out.split('\n').map((line) => line.split(' ')).filter(([name, , deleting]) => name !== '' && deleting === '')
      .map(([name, node]) => ({ name: name as string, node: node as string }));
  }

  const zonesOf = (pods: PodPlace[]) => new Set(pods.map((p) => zoneOfNode.get(p.node)));

  async function condition(type: string): Promise<{ status: string; reason: string }> {
    const out = await kubectl(['-n', namespace, 'get', `dcache/${CACHE}`, '-o', `jsonpath={.status.conditions[?(@.type=="${type}")].status} {.status.conditions[?(@.type=="${type}")].reason}`]);
    const [status = '', reason = ''] = out.trim().split(' ');
    return { status, reason };
  }

  /** Waits for each condition to be True in turn, and says how long each took from `from`. */
  async function timeUntil(from: number, types: readonly string[]): Promise<string> {
    const took: string[] = [];
    for (const type of types) {
      await waitFor(`${type}=True`, async () => (await condition(type)).status === 'True', { timeoutMs: 300_000, intervalMs: 1_000 });
      took.push(`${type}=True after ${((Date.now() - from) / 1000).toFixed(0)} s`);
    }
    return took.join(', ');
  }

  /** Every node Ready, with no taint of an unreachable or not-ready node left (the taint-eviction controller acts on those). */
  async function nodesHealthy(): Promise<boolean> {
    const out = await kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status} {.spec.taints[*].key}{"\\n"}{end}']);
    return out.trim().split('\n').every((line) => line.startsWith('True') && !/node\.kubernetes\.io\/(unreachable|not-ready)/.test(line));
  }

  /** Each router's own ring (GET /api/ring on its pod): every one of the SERVERS members serving, and zone-safe. */
  async function routersSettled(): Promise<boolean> {
    const ips = await kubectl(['-n', namespace, 'get', 'pods', '-l', selectorString(CACHE, 'client'), '-o', 'jsonpath={.items[*].status.podIP}']);
    const views = await Promise.all(ips.trim().split(/\s+/).filter((ip) => ip !== '').map(async (ip) => {
      const response = await fetch(`http://${ip}:5000/api/ring`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
      return (await response?.json().catch(() => undefined)) as RingDescription | undefined;
    }));
    return views.length === ROUTERS && views.every((view) => view !== undefined && view.placement?.zoneSafe === true &&
      view.members.length === SERVERS && view.members.every((member) => member.state === 'serving'));
  }

  /**
   * Waits until the cache has settled after a change, by what the cluster and the data plane say now, and
   * says how long each step took from `from`: nodes Ready and untainted, no pod of the cache terminating
   * and all of them Ready, each router's ring whole and zone-safe, then the operator's conditions. The
   * conditions alone are not enough: an operator on a node cut off keeps its last ones (docs/operator.md,
   * "Zones"), and the pods of a healed node can still be evicted seconds after it is Ready again, because
   * its kubelet takes a while to report and the taint outlives the heal (a run that went on at once lost zone c while
   * every key's copies were there).
   */
  async function settled(from: number): Promise<string> {
    const took: string[] = [];
    const step = async (what: string, check: () => Promise<boolean>) => {
      await waitFor(what, check, { timeoutMs: 300_000, intervalMs: 1_000 });
      took.push(`${what} after ${((Date.now() - from) / 1000).toFixed(0)} s`);
    };
    await step('nodes Ready and untainted', nodesHealthy);
    await step('pods Ready, none terminating', async () => {
      for (const [component, count] of [['zookeeper', 3], ['server', SERVERS], ['client', ROUTERS]] as const) {
        if ((await readyPods(namespace, selectorString(CACHE, component), count)) === undefined) return false;
      }
      return true;
    });
    await step('routers see every server serving, zone-safe', routersSettled);
    return `${took.join(', ')}, ${await timeUntil(from, ['Replicated', 'Ready', 'ZoneSafe'])}`;
  }

  /** The placement a router reports (GET /api/ring): its mode and whether it is zone-safe. */
  async function placementSeen(): Promise<string> {
    const response = await fetch(`${base}/api/ring`);
    const { placement } = await response.json() as { placement?: object };
    return `a router's placement ${JSON.stringify(placement)}`;
  }

  /** Keeps the pods' logs of a failed scenario beside the cluster's (CI shows where). */
  async function keepLogs(scenario: string): Promise<void> {
    if (CLUSTER_DIR === '') return;
    const dir = resolve(CLUSTER_DIR, 'logs', `${namespace}-${scenario.replace(/[^a-z0-9-]+/gi, '-')}`);
    await savePodLogs(namespace, dir);
    console.log(`        pod logs kept in ${dir}`);
  }

  /** Runs `change` under traffic; 0 misses and 0 stale reads; every seeded key intact after. */
  async function underTraffic(scenario: string, change: () => Promise<string>): Promise<void> {
    const traffic = new Traffic(() => base, live, { workers: 6, writeRatio: 0.3, maxDurationMs: 900_000, requestTimeoutMs: 10_000 }).start();
    const started = Date.now();
    console.log(`      before: servers on ${(await podsOf('server')).map((p) => zoneOfNode.get(p.node)).sort().join(' ')}; ${await placementSeen()}`);
    let stats: TrafficStats;
    let recovered: string;
    try {
      await moreTraffic(traffic, 200);
      recovered = await change();
      await moreTraffic(traffic, 500);
    } catch (error) {
      // A cache that never settled says why in its pods' logs (a server's /readyz reason, for one).
      await keepLogs(scenario).catch(() => undefined);
      throw error;
    } finally {
      stats = await traffic.stop();
    }
    console.log(`      ${scenario}: ${((Date.now() - started) / 1000).toFixed(0)} s, ${recovered}; ${stats.reads} reads, ${stats.writes} writes, ` +
      `${stats.misses} misses, ${stats.stale} stale, ${stats.errors} failed requests`);
    if (stats.firstProblems.length > 0) console.log(stats.firstProblems.map((p) => `        ${p}`).join('\n'));
    const check = await verifyAll(base, seeded);
    if (stats.misses + stats.stale + check.misses.length + check.stale.length > 0) {
      console.log(`        after it, ${check.misses.length} of ${seeded.size} seeded keys missing and ${check.stale.length} stale`);
      await keepLogs(scenario);
    }
    expect(stats.misses, `misses (${scenario})`).to.equal(0);
    expect(stats.stale, `stale reads (${scenario})`).to.equal(0);
    expect(check.misses, `seeded keys missing after ${scenario}`).to.deep.equal([]);
    expect(check.stale, `seeded keys stale after ${scenario}`).to.deep.equal([]);
  }

  before(async function () {
    const nodes = await kubectl(['get', 'nodes', '-o', `jsonpath={range .items[*]}{.metadata.name} {.metadata.labels.topology\\.kubernetes\\.io/zone}{"\\n"}{end}`]);
    zoneOfNode = new Map(nodes.trim().split('\n').map((line) => line.split(' ') as [string, string]));
    if (new Set(zoneOfNode.values()).size < 3) {
      throw new Error(`this suite needs nodes in 3 zones (${ZONE_LABEL}); found ${JSON.stringify([...zoneOfNode])}: run it with \`make e2e\` or hack/kind-e2e.sh`);
    }
    operator = await deployOperator();
    namespace = `e2e-zones-${Date.now()}`;
    await kubectl(['create', 'namespace', namespace]);
  });

  after(async function () {
    forward?.stop();
    if (namespace !== undefined) await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => undefined);
    await operator?.remove();
  });

  it('spreads ZooKeeper, the servers and the routers over the three zones, and is ZoneSafe', async function () {
    await apply(sample(namespace));
    await kubectl(['-n', namespace, 'wait', '--for=condition=Ready', `dcache/${CACHE}`, '--timeout=300s'])
      .catch(async (error: unknown) => {
        console.log(await kubectl(['-n', namespace, 'get', 'pods', '-o', 'wide']));
        throw error;
      });
    await waitFor('ZoneSafe=True', async () => (await condition('ZoneSafe')).status === 'True', { timeoutMs: 120_000, intervalMs: 1_000 });
    const zookeeper = await podsOf('zookeeper');
    const servers = await podsOf('server');
    const routers = await podsOf('client');
    console.log((await kubectl(['get', 'nodes', '-L', ZONE_LABEL])).replace(/^/gm, '      '));
    console.log((await kubectl(['-n', namespace, 'get', 'pods', '-o', 'wide'])).replace(/^/gm, '      '));
    expect(zonesOf(zookeeper).size, 'ZooKeeper members, one per zone').to.equal(3);
    expect(zonesOf(servers).size, 'servers in every zone').to.equal(3);
    expect(zonesOf(routers).size, 'routers in two zones').to.equal(2);

    if (CLUSTER_DIR !== '') {
      // From the hub, through its kube-proxy: a port-forward would die with the node of the pod it goes to.
      const service = await kubectl(['-n', namespace, 'get', 'service', names.client, '-o', 'jsonpath={.spec.clusterIP}']);
      base = `http://${service.trim()}:5000`;
    } else {
      forward = await portForward(namespace, `svc/${names.client}`, 5000);
      base = `http://127.0.0.1:${forward.port}`;
    }
    seeded = await seedKeys(base, SEEDED);
    for (const [key, value] of live) {
      const response = await fetch(`${base}/api/keys/${key}`, { method: 'PUT', body: value });
      expect(response.status, `PUT ${key}`).to.equal(204);
      await response.text();
    }
  });

  it('runs ZooKeeper members that log, with a JVM heap of half their memory limit', async function () {
    for (const { name } of await podsOf('zookeeper')) {
      const log = await kubectl(['-n', namespace, 'logs', name]);
      // ZooKeeper states Runtime.maxMemory() at start; with the serial collector it is the heap less a survivor space.
      const max = /Server environment:os\.memory\.max=(\d+)MB/.exec(log);
      expect(max, `${name} logs its environment (an image without an SLF4J binding logs nothing): ${log.slice(0, 500)}`).to.not.equal(null);
      expect(Number(max?.[1]), `${name}'s heap in MB, for a limit of 512Mi`).to.be.within(224, 256);
    }
  });

  describe('under live traffic, on the cluster of hack/node.sh', function () {
    before(function () {
      if (CLUSTER_DIR === '') {
        console.warn('      SKIPPED: node faults need the cluster of hack/node.sh (DCACHE_CLUSTER_DIR, set by `hack/node.sh exec`; `make e2e`)');
        this.skip();
      }
    });

    it('kubectl drain of a node, then uncordon: the PodDisruptionBudgets pace the evictions', async function () {
      const node = [...zoneOfNode.keys()][1] as string;
      await underTraffic(`drain ${node}`, async () => {
        const from = Date.now();
        await kubectl(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=600s']);
        const drained = ((Date.now() - from) / 1000).toFixed(0);
        expect((await podsOf('server')).filter((p) => p.node === node), 'servers left on the drained node').to.deep.equal([]);
        await kubectl(['uncordon', node]);
        // Settled (every ZooKeeper member back in the quorum, every key at its copies in two zones): safe to lose
        // a zone again. Without the wait the next test once killed a node while the drained node's ZooKeeper
        // member was still starting, a double fault no ensemble of 3 survives.
        return `drained in ${drained} s, ${await settled(from)}`;
      });
    });

    /**
     * A node out of reach for FROZEN_MS, by `fault` (undone by `undo`), under traffic; then the cache
     * settles.
     */
    async function nodeAwhile(letter: string, what: string, fault: string, undo: string): Promise<void> {
      const node = `dcache-node-${letter}`;
      expect(zoneOfNode.has(node), `${node} is a node`).to.equal(true);
      await underTraffic(`${node} ${what} for ${FROZEN_MS / 1000} s`, async () => {
        const from = Date.now();
        await nodeTool(fault, letter);
        try {
          await sleep(FROZEN_MS);
        } finally {
          await nodeTool(undo, letter);
        }
        // Its evicted pods are killed once its kubelet reaches the API again; the ZooKeeper member comes back on its volume there.
        return `${undo} after ${FROZEN_MS / 1000} s, ${await settled(from)}`;
      });
    }

    it('a node frozen for 60 s, then thawed: its pods are replaced meanwhile, and it comes back without stale reads', async function () {
      this.timeout(600_000);
      await nodeAwhile('a', 'frozen', 'freeze', 'thaw');
    });

    it('a node cut off for 60 s, then healed: its processes run on alone, and nothing they missed is lost or read stale', async function () {
      this.timeout(600_000);
      // Every packet between it and the hub or the other nodes is dropped, not refused: its servers, router
      // and ZooKeeper member keep running without a quorum, and the rest replace them meanwhile.
      await nodeAwhile('b', 'cut off', 'partition', 'heal');
    });

    it('a node dies with its zone: its pods are replaced in the other zones, and no key is lost', async function () {
      const letter = 'c';
      const node = `dcache-node-${letter}`;
      expect(zoneOfNode.has(node), `${node} is a node`).to.equal(true);
      // Losing a zone keeps every key only while each key's copies are in two zones, which is what the routers' rings say.
      await waitFor('routers see every server serving, zone-safe', routersSettled, { timeoutMs: 300_000, intervalMs: 1_000 });
      await underTraffic(`zone ${zoneOfNode.get(node)} lost (${node} killed)`, async () => {
        const from = Date.now();
        await nodeTool('kill', letter);
        // The upstream way to free a dead node's StatefulSet pods and volumes (docs/operator.md, "A node that died").
        await waitFor(`${node} NotReady`, async () => (await kubectl(['get', 'node', node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).trim() !== 'True',
          { timeoutMs: 120_000, intervalMs: 1_000 });
        await kubectl(['taint', 'node', node, 'node.kubernetes.io/out-of-service=nodeshutdown:NoExecute', '--overwrite']);
        await waitForReadyPods(namespace, selectorString(CACHE, 'server'), 6, 300_000);
        return timeUntil(from, ['Replicated']);
      });
      const servers = await podsOf('server');
      expect(servers.filter((p) => p.node === node), 'servers on the dead node').to.deep.equal([]);
      expect(zonesOf(servers).size, 'servers in the two zones left').to.equal(2);
    });
  });
});
