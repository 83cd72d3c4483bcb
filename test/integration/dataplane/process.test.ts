// The processes' life cycle: refusing bad settings at start, waiting for
// ZooKeeper instead of crashing, and leaving cleanly on SIGTERM.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '../../support/cluster.js';
import { DataplaneProcess } from '../../support/dataplane-process.js';
import { call } from '../../support/http.js';
import { waitFor } from '../../support/wait.js';

const MAIN = fileURLToPath(new URL('../../../dataplane/main.js', import.meta.url));

function runMain(args: string[], env: Record<string, string>): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 10_000 });
  return { status: result.status, stderr: result.stderr };
}

describe('process life cycle', function () {
  describe('bad settings', () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['server'], { MAX_MEMORY: 'plenty' }, /^distributed-cache server: invalid MAX_MEMORY: "plenty" is not a size like 256Mi or 1G$/],
      [['client'], { PORT: '0' }, /^distributed-cache client: invalid PORT: 0 is outside 1\.\.65535$/],
      [['server', '--drain-timeout', 'forever'], {}, /^distributed-cache server: invalid DRAIN_TIMEOUT: "forever" is not a duration/],
      [['client', '--replication-factor=x'], {}, /^distributed-cache client: invalid REPLICATION_FACTOR/],
      [['server'], {}, /^distributed-cache server: invalid CLUSTER_TOKEN: not set; set it or CLUSTER_TOKEN_FILE, or pass --insecure/],
      [['client'], {}, /^distributed-cache client: invalid CLUSTER_TOKEN: not set/],
      [['server'], { CLUSTER_TOKEN_FILE: '/nonexistent/token' }, /^distributed-cache server: invalid CLUSTER_TOKEN_FILE: cannot read \/nonexistent\/token: ENOENT$/],
    ];
    for (const [args, env, line] of cases) {
      it(`stops at start with one line for ${args.join(' ')} ${JSON.stringify(env)}`, () => {
        const { status, stderr } = runMain(args, env);
        expect(status).to.equal(2);
        const lines = stderr.trim().split('\n');
        expect(lines).to.have.length(1);
        expect(lines[0]).to.match(line);
      });
    }

    it('refuses an unknown role with usage', () => {
      const { status, stderr } = runMain(['router'], {});
      expect(status).to.equal(2);
      expect(stderr).to.contain('the first argument must be "server" or "client"');
    });
  });

  describe('with a cluster', () => {
    let cluster: LocalCluster;
    beforeEach(async () => {
      cluster = await LocalCluster.start({ servers: 2 });
    });
    afterEach(async () => cluster?.stop());

    it('waits for ZooKeeper at start instead of crashing', async () => {
      await cluster.zookeeper.stop();
      const late = await DataplaneProcess.start(
        { role: 'server', zkConnect: cluster.zookeeper.connectString, cacheName: cluster.cacheName, nodeId: 'late-server' },
        { waitReady: false },
      );
      await waitFor('the server to listen', async () => (await call(`${late.url}/healthz`)).status === 200);
      const notReady = await call(`${late.url}/readyz`);
      expect(notReady.status).to.equal(503);
      expect(notReady.text).to.contain('not registered in ZooKeeper yet');
      await cluster.zookeeper.restart();
      await late.waitReady();
      await cluster.waitForMembers(3);
      await late.stop();
    });

    it('refuses to share a NODE_ID with a live server, and takes over once that one is gone', async () => {
      const original = cluster.servers[0]!;
      const twin = await DataplaneProcess.start(
        { role: 'server', zkConnect: cluster.zookeeper.connectString, cacheName: cluster.cacheName, nodeId: original.options.nodeId! },
        { waitReady: false },
      );
      await waitFor('the twin to report the clash', () => twin.logTail(50).includes(`is registered by another server at ${original.address}`));
      expect((await call(`${twin.url}/readyz`)).status).to.equal(503);
      expect((await cluster.ring()).members.find((m) => m.id === original.options.nodeId)?.address).to.equal(original.address);

      await original.kill();
      await twin.waitReady(30_000);
      await waitFor('the ring to point at the twin', async () =>
        (await cluster.ring()).members.find((m) => m.id === original.options.nodeId && m.state === 'serving')?.address === twin.address);
      await twin.stop();
    });

    it('leaves the ring and exits 0 on SIGTERM', async () => {
      const leaving = cluster.servers[0]!;
      expect(await leaving.stop('SIGTERM')).to.equal(0);
      const ring = await cluster.waitForMembers(1);
      expect(ring.members.map((m) => m.id)).not.to.include(leaving.options.nodeId);
      expect(leaving.logTail(50)).to.contain('deregistered from ZooKeeper');
    });

    it('answers /readyz 503 on every peer while a server leaves, and 200 once its keys have new copies', async () => {
      const stayer = cluster.servers[0]!;
      const leaver = await cluster.addServer({ LEAVE_NOTICE: '2s' });
      await cluster.waitForMembers(3);
      await waitFor('the stayer to be ready with three serving', async () => (await call(`${stayer.url}/readyz`)).status === 200);
      const started = Date.now();
      const exited = leaver.stop('SIGTERM');
      const during = await waitFor('the stayer to see the leaver', async () => {
        const answer = await call(`${stayer.url}/readyz`);
        return answer.status === 503 ? answer : undefined;
      }, { timeoutMs: 5000, intervalMs: 20 });
      expect(during.text).to.contain(`hand-off running: ${leaver.options.nodeId} is leaving`);
      expect(await exited).to.equal(0);
      // LEAVE_NOTICE keeps it registered (as leaving) that long, even with nothing to hand off.
      expect(Date.now() - started).to.be.at.least(2000);
      await cluster.waitForMembers(2);
      await waitFor('the stayer to be ready again', async () => (await call(`${stayer.url}/readyz`)).status === 200);
    });
  });
});
