// ZooKeeper outages: routers keep serving from the last ring they knew, and a
// server whose session expired registers again.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { LocalCluster } from '../../support/cluster.js';
import { encodeVersion } from '../../../dataplane/version/hlc.js';
import { clusterTokenHeaders } from '../../support/cluster-token.js';
import { call } from '../../support/http.js';
import { seedKeys, Traffic, verifyAll } from '../../support/traffic.js';
import { waitFor } from '../../support/wait.js';
import type { DataplaneProcess } from '../../support/dataplane-process.js';

async function zookeeperConnected(process: DataplaneProcess): Promise<boolean> {
  const metrics = (await call(`${process.url}/metrics`)).text;
  return /dcache_zookeeper_connected\{[^}]*\} 1/.test(metrics);
}

describe('ZooKeeper outages', function () {
  let cluster: LocalCluster;

  beforeEach(async () => {
    cluster = await LocalCluster.start({ servers: 3 });
  });
  afterEach(async () => cluster?.stop());

  it('keeps serving reads and writes from the last ring while ZooKeeper restarts', async () => {
    const acked = await seedKeys(cluster.client.url, 1000);
    const before = await cluster.ring();
    const traffic = new Traffic(() => cluster.client.url, acked, { workers: 4 }).start();

    await cluster.zookeeper.stop();
    await waitFor('the client to notice ZooKeeper is gone', async () => !(await zookeeperConnected(cluster.client)));
    const during = await verifyAll(cluster.client.url, acked);
    expect(during.misses, 'misses while ZooKeeper is down').to.deep.equal([]);
    expect((await cluster.ring()).members, 'the last known ring stays').to.deep.equal(before.members);
    expect((await call(`${cluster.client.url}/readyz`)).status).to.equal(200);

    await cluster.zookeeper.restart();
    await waitFor('the client to reconnect', () => zookeeperConnected(cluster.client));
    await cluster.waitForMembers(3);
    const stats = await traffic.stop();

    expect(stats.reads + stats.writes, 'traffic ran').to.be.greaterThan(100);
    expect(stats, stats.firstProblems.join('\n')).to.include({ misses: 0, stale: 0, errors: 0 });
    const after = await verifyAll(cluster.client.url, acked);
    expect(after.misses).to.deep.equal([]);
    expect(after.stale).to.deep.equal([]);
  });

  it('keeps every session when the ZooKeeper member a process talks to freezes (an ensemble of 3)', async function () {
    this.timeout(120_000);
    await cluster.stop();
    // 6 s sessions: the watchdog gives a member 1.5 s to answer, then the session moves on.
    cluster = await LocalCluster.start({ servers: 3, zookeeperMembers: 3, env: { ZK_SESSION_TIMEOUT: '6s' } });
    const acked = await seedKeys(cluster.client.url, 1000);
    const before = await cluster.ring();
    const traffic = new Traffic(() => cluster.client.url, acked, { workers: 4 }).start();

    // Each member in turn is frozen for longer than a session: a member on a dead node answers
    // nothing and refuses nothing. Every process was talking to one of them.
    for (const member of cluster.zookeepers) {
      member.pause();
      await sleep(9_000);
      member.resume();
      await cluster.waitForMembers(3);
    }
    const stats = await traffic.stop();

    const processes = [...cluster.servers, cluster.client];
    const moved = processes.filter((p) => p.logTail(2000).includes('resuming the session on another member'));
    console.log(`      ${moved.length} of ${processes.length} processes moved their session to another member; ` +
      `${stats.reads} reads, ${stats.writes} writes, ${stats.misses} misses, ${stats.stale} stale, ${stats.errors} errors`);
    for (const process of processes) {
      const sessions = process.logTail(2000).match(/ZooKeeper session established/g) ?? [];
      expect(sessions, `sessions of ${process.options.nodeId ?? 'the router'}`).to.have.length(1);
    }
    expect(moved.length, 'processes that lost their member').to.be.greaterThan(0);
    const after = await cluster.ring();
    expect(after.members, 'no server left the ring').to.deep.equal(before.members);
    expect(after.epoch, 'the ring never changed').to.equal(before.epoch);
    expect(stats, stats.firstProblems.join('\n')).to.include({ misses: 0, stale: 0, errors: 0 });
    const check = await verifyAll(cluster.client.url, acked);
    expect([check.misses, check.stale]).to.deep.equal([[], []]);
  });

  it('a router stopped longer than the stall limit answers 503 until ZooKeeper confirms its ring, then serves', async () => {
    const acked = await seedKeys(cluster.client.url, 100);
    const [key, value] = [...acked][0] as [string, string];
    const router = cluster.client;
    router.pause();
    // Asked while it is stopped: the request waits in its socket and is the first thing it sees on waking.
    const asked = fetch(`${router.url}/api/get/${encodeURIComponent(key)}`);
    await sleep(3000); // past the 2 s limit (half of a 2 s session, at least 2 s)
    router.resume();
    const first = await asked;
    const body = (await first.json()) as { error: string };
    expect(first.status, 'the first answer after waking').to.equal(503);
    expect(body.error).to.match(/stopped for a while/);
    expect(first.headers.get('retry-after')).to.equal('1');
    await waitFor('the router to serve again', async () => (await call(`${router.url}/api/get/${encodeURIComponent(key)}`)).status === 200,
      { timeoutMs: 10_000, intervalMs: 100 });
    expect((await call(`${router.url}/api/get/${encodeURIComponent(key)}`)).text).to.equal(value);
    expect(router.logTail(50)).to.contain('view of the ring confirmed by ZooKeeper after a stall');
  });

  it('a server stopped longer than the stall limit refuses the writes waiting in its sockets until ZooKeeper confirms its ring', async () => {
    const server = cluster.servers[2]!;
    const batch = (key: string) => fetch(`${server.url}/internal/v1/batch`, {
      method: 'POST', headers: { ...clusterTokenHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ ops: [{ op: 'put', key, value: 'v', version: encodeVersion(Date.now(), 0, 'it'), expiresAt: 0 }] }),
    });
    server.pause();
    // Sent while it is stopped, as a router's write of the ring before the stop: it waits in the socket.
    const asked = batch('stall-fenced');
    await sleep(3000); // past the 2 s limit (its 2 s session ends too: it comes back as a joiner)
    server.resume();
    const first = (await (await asked).json()) as { results: unknown[] };
    expect(first.results, 'the write that waited while it was stopped').to.deep.equal([{ refused: 'leaving' }]);
    await waitFor('the server to take writes again', async () => {
      const { results } = (await (await batch('after-the-stall')).json()) as { results: Array<{ stored?: boolean }> };
      return results[0]?.stored === true;
    }, { timeoutMs: 15_000, intervalMs: 100 });
    expect(server.logTail(80)).to.contain('view of the ring confirmed by ZooKeeper after a stall');
    await cluster.waitForMembers(3);
  });

  it('registers a server again after its session expires', async () => {
    const acked = await seedKeys(cluster.client.url, 300);
    const paused = cluster.servers[1]!;
    const epochBefore = (await cluster.ring()).epoch;

    // A stopped process cannot heartbeat: ZooKeeper expires its session (2 s in tests).
    paused.pause();
    const without = await cluster.waitForMembers(2);
    expect(without.members.map((m) => m.id)).not.to.include(paused.options.nodeId);
    paused.resume();

    const back = await cluster.waitForMembers(3);
    expect(back.members.map((m) => m.id)).to.deep.equal(['server-1', 'server-2', 'server-3']);
    expect(back.epoch).to.be.greaterThan(epochBefore + 1);
    await waitFor('the server to be ready again', async () => (await call(`${paused.url}/readyz`)).status === 200);
    expect(paused.logTail(200)).to.contain('ZooKeeper session expired; starting a new one');

    const check = await verifyAll(cluster.client.url, acked);
    expect(check.misses).to.deep.equal([]);
    expect(check.stale).to.deep.equal([]);
  });
});
