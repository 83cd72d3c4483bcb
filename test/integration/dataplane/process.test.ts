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
  });
});
