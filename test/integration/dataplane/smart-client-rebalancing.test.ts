// The router's rebalancing scenarios (rebalancing.test.ts) with smart clients
// (client/) instead: live traffic straight to the owners while servers join,
// drain and crash, and zero misses, zero stale reads and zero errors for every
// acknowledged write. Two clients share the traffic, one following the ring
// through a router and one through ZooKeeper; each op picks one, so a read
// often comes through the client that did not make the write.
import type { CacheClient } from '../../../client/src/index.js';
import { LocalCluster } from '../../support/cluster.js';
import { handoffReports, summarize } from '../../support/inspect.js';
import { smartClientTarget, type KeyValueTarget } from '../../support/key-value-target.js';
import { drainTwoUnderTraffic, expectAllReadable, expectClean, expectTwoCopies, waitForTwoCopies } from '../../support/rebalancing-checks.js';
import { viaRouter, viaZooKeeper } from '../../support/smart-client.js';
import { moreTraffic, seedKeys, Traffic } from '../../support/traffic.js';

const KEYS = 5000;

describe('rebalancing under live traffic through smart clients (R=2)', function () {
  let cluster: LocalCluster;
  let clients: CacheClient[] = [];
  let targets: KeyValueTarget[] = [];
  const either = (): KeyValueTarget => targets[Math.floor(Math.random() * targets.length)] as KeyValueTarget;

  async function start(servers: number): Promise<Map<string, string>> {
    cluster = await LocalCluster.start({ servers });
    clients = await Promise.all([viaRouter(cluster), viaZooKeeper(cluster)]);
    targets = clients.map(smartClientTarget);
    return seedKeys(targets[0] as KeyValueTarget, KEYS);
  }

  /** Every acknowledged write reads back through both clients and through the router. */
  async function expectAllReadableEverywhere(acked: Map<string, string>): Promise<void> {
    for (const target of targets) await expectAllReadable(target, acked);
    await expectAllReadable(cluster.client.url, acked);
  }

  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.stop();
  });

  it('adding 2 servers to 3 loses and staleifies nothing', async () => {
    const acked = await start(3);
    const traffic = new Traffic(either, acked).start();
    await moreTraffic(traffic, 500);

    await Promise.all([cluster.addServer(), cluster.addServer()]);
    await cluster.waitForMembers(5);
    await moreTraffic(traffic, 1000);
    const stats = await traffic.stop();

    console.log(`      [smart clients, scale-up 3→5] ${summarize(handoffReports(cluster.servers))}`);
    expectClean(stats, 'smart clients, scale-up 3→5');
    await expectAllReadableEverywhere(acked);
  });

  it('SIGTERM of 2 of 5 servers at once hands their keys off', async () => {
    const acked = await start(5);
    const { leaving, stats } = await drainTwoUnderTraffic(cluster, new Traffic(either, acked).start());

    console.log(`      [smart clients, scale-down 5→3] ${summarize(handoffReports(leaving))}`);
    expectClean(stats, 'smart clients, scale-down 5→3');
    await expectAllReadableEverywhere(acked);
    await expectTwoCopies(cluster, [...acked.keys()]);
  });

  it('kill -9 of 1 of 3 loses nothing, and every key is back to 2 copies', async () => {
    const acked = await start(3);
    const traffic = new Traffic(either, acked).start();
    await moreTraffic(traffic, 500);

    await cluster.servers[0]!.kill();
    await moreTraffic(traffic, 500); // before ZooKeeper notices: the clients fall through to the live replica
    await cluster.waitForMembers(2);
    await waitForTwoCopies(cluster, [...acked.keys()]);
    await moreTraffic(traffic, 500);
    const stats = await traffic.stop();

    console.log(`      [smart clients, kill -9 1 of 3] ${summarize(handoffReports(cluster.liveServers))}`);
    expectClean(stats, 'smart clients, kill -9 1 of 3');
    await expectAllReadableEverywhere(acked);
  });
});
