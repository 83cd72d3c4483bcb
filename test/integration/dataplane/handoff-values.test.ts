// Versions first, values where they are missing (issue 17; docs/architecture.md,
// "Hand-off"): a hand-off whose receivers already hold the keys moves their
// versions only, a receiver that lacks keys still gets every value, and no
// acknowledged write is lost either way. Real ZooKeeper, real server processes.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { LocalCluster } from '../../support/cluster.js';
import type { DataplaneProcess } from '../../support/dataplane-process.js';
import { holders, type HandoffReport } from '../../support/inspect.js';
import { seedKeys, verifyAll } from '../../support/traffic.js';
import { waitFor } from '../../support/wait.js';

const KEYS = 5000;

/** Every "hand-off finished" line a server logged, including those that moved no value. */
function reports(server: DataplaneProcess, kind: string): HandoffReport[] {
  return readFileSync(server.logFile, 'utf8').split('\n')
    .filter((line) => line.includes('"hand-off finished"'))
    .map((line) => JSON.parse(line) as HandoffReport)
    .filter((report) => report.kind === kind);
}

async function expectAllReadable(cluster: LocalCluster, acked: Map<string, string>): Promise<void> {
  const check = await verifyAll(cluster.client.url, acked);
  expect(check.misses, `missing: ${check.misses.slice(0, 5).join(', ')}`).to.deep.equal([]);
  expect(check.stale, `stale: ${check.stale.slice(0, 5).join(', ')}`).to.deep.equal([]);
}

describe('hand-off sends versions first, values only where missing (R=2)', function () {
  let cluster: LocalCluster;
  afterEach(async () => cluster?.stop());

  it('a drain whose receivers already hold every key re-sends no value', async () => {
    cluster = await LocalCluster.start({ servers: 3 });
    const acked = await seedKeys(cluster.client.url, KEYS);
    // The newcomer pulls its keys from their holders, which keep them until they prune (30 s after
    // the ring settles): when it drains at once, every receiver already holds what it would send.
    const newcomer = await cluster.addServer();
    await cluster.waitForMembers(4);
    expect(await newcomer.stop('SIGTERM')).to.equal(0);
    await cluster.waitForMembers(3);

    const [drain] = reports(newcomer, 'drain');
    console.log(`      [drain to holders] ${JSON.stringify(drain)}`);
    expect(drain, 'the drain report').to.not.equal(undefined);
    expect(drain!.keysSent, 'copies handed off').to.be.greaterThan(KEYS / 4);
    expect(drain!.valuesSent, 'values re-sent').to.equal(0);
    expect(drain!.failed ?? 0).to.equal(0);
    // About 40 bytes a key for the offer (key, stamp, writer index) and 1 for the answer; a value's put was 100+.
    expect(drain!.bytesSent! / drain!.keysSent, 'bytes sent per key').to.be.below(50);
    await expectAllReadable(cluster, acked);
  });

  it('a drain to members that lack the keys sends their values, and every key keeps 2 copies', async () => {
    cluster = await LocalCluster.start({ servers: 3 });
    const acked = await seedKeys(cluster.client.url, KEYS);
    const leaving = cluster.servers[0]!;
    expect(await leaving.stop('SIGTERM')).to.equal(0);
    await cluster.waitForMembers(2);

    const [drain] = reports(leaving, 'drain');
    console.log(`      [drain 3→2] ${JSON.stringify(drain)}`);
    // From 3 to 2 servers with R=2, each key the leaver held has one new owner, which lacked it.
    expect(drain!.valuesSent, 'values sent').to.be.greaterThan(KEYS / 3);
    expect(drain!.valuesSent, 'one value per copy handed off').to.equal(drain!.keysSent);
    await expectAllReadable(cluster, acked);
    const copies = await holders(cluster.liveServers, [...acked.keys()]);
    expect([...copies.values()].filter((where) => where.length < 2), 'keys with fewer than 2 copies').to.deep.equal([]);
  });

  it('a server that re-joins with its keys pulls only what changed while it was away', async () => {
    cluster = await LocalCluster.start({ servers: 3 });
    const acked = await seedKeys(cluster.client.url, KEYS);
    const sleeper = cluster.servers[2]!;
    // Paused past its 2 s session: it is dropped, the others restore 2 copies, and on waking it
    // registers as joining in a new session and pulls, holding every key it had.
    sleeper.pause();
    await cluster.waitForMembers(2);
    const changed = await seedKeys(cluster.client.url, 200, 'while-away');
    for (const [key, value] of changed) acked.set(key, value);
    sleeper.resume();
    await waitFor('the sleeper to pull again', () => reports(sleeper, 'join').length >= 2, { timeoutMs: 30_000 });
    await cluster.waitForMembers(3);

    const rejoin = reports(sleeper, 'join').at(-1)!;
    console.log(`      [re-join] ${JSON.stringify(rejoin)}`);
    // It owns about 2/3 of the 5,200 keys; only the 200 new ones (about 2/3 of them) were missing.
    expect(rejoin.keysReceived, 'entries pulled').to.be.below(300);
    await expectAllReadable(cluster, acked);
  });
});
