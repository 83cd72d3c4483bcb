// The consistency model (README, docs/consistency.md): reads
// and writes of one key, through any router, are linearizable. Real
// ZooKeeper, 3-4 real servers and 2 real routers; 12 clients on 6 hot keys
// record every get, put and delete, and porcupine checks the histories, while
// membership is stable and across a join, a drain and a kill -9; the churn
// again with servers in zones, where placement spreads copies over them.
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalCluster } from '../../support/cluster.js';
import { checkHistory, type CheckVerdict } from '../../support/history-checker.js';
import { HistoryWorkload, type HistoryOp, type WorkloadStats } from '../../support/history.js';
import { expectLinearizable as expectVerdict } from '../../support/history-verdict.js';
import { twoRouterCluster } from '../../support/fault-run.js';

const CLIENTS = 12;
const KEYS = Array.from({ length: 6 }, (_, i) => `hot-${i}`);

let checkedOps = 0;

function expectLinearizable(verdict: CheckVerdict, stats: WorkloadStats, label: string): void {
  checkedOps += expectVerdict(verdict, stats, label);
}

/**
 * Keeps the load running until the history holds `ops` operations (at most a
 * minute more): on a loaded machine a timed run records fewer, and the suite
 * promises at least 20,000 checked operations.
 */
async function untilOps(load: HistoryWorkload, ops: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (load.history.length < ops && Date.now() < deadline) await sleep(200);
}

/** Two routers over a server per entry of `zones`, each on a node of its own (docs/architecture.md "Placement"). */
async function zonedTwoRouterCluster(zones: readonly string[]): Promise<LocalCluster> {
  const cluster = await LocalCluster.start({ servers: 0 });
  try {
    for (const zone of zones) await addZonedServer(cluster, zone);
    const second = await cluster.addClient();
    await Promise.all([cluster.client, second].map((router) => cluster.waitForMembers(zones.length, 'serving', router)));
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

function addZonedServer(cluster: LocalCluster, zone: string): Promise<unknown> {
  return cluster.addServer({ ZONE: zone, NODE_NAME: `node-${cluster.servers.length + 1}` });
}

function workload(cluster: LocalCluster, opsPerSecond: number): HistoryWorkload {
  return new HistoryWorkload({ routers: () => cluster.clients.map((c) => c.url), clients: CLIENTS, keys: KEYS, opsPerSecond });
}

/**
 * 600 ops/s across `change`, until both routers see `members` serving, then checked by porcupine.
 * `caughtInFlight`: a kill may leave ops unanswered (checked as may-or-may-not), up to 2 % of them.
 */
async function acrossChange(
  c: LocalCluster, change: () => Promise<unknown>, members: number, name: string, label: string, { caughtInFlight = false } = {},
): Promise<void> {
  const load = workload(c, 600).start();
  await sleep(2000);
  await change();
  await Promise.all(c.clients.map((router) => c.waitForMembers(members, 'serving', router)));
  await sleep(3000);
  await untilOps(load, 3000);
  const stats = await load.stop();
  const unanswered = expect(stats.unknownWrites + stats.failedReads, stats.problems.join('\n'));
  if (caughtInFlight) unanswered.to.be.below(stats.ops * 0.02);
  else unanswered.to.equal(0);
  expectLinearizable(checkHistory(load.history, name), stats, label);
}

describe('history checker (porcupine) proves it can fail', () => {
  const op = (client: number, kind: HistoryOp['op'], call: number, ret: number | null, output: HistoryOp['output'], value?: string): HistoryOp => ({
    client, op: kind, key: 'k', call, return: ret, output, ...(value === undefined ? {} : { value }),
  });

  it('flags a read of a value older than one a finished write replaced', () => {
    const stale = [
      op(0, 'put', 0, 10, {}, 'a'),
      op(1, 'put', 20, 30, {}, 'b'),
      op(2, 'get', 40, 50, { found: true, value: 'a' }),
    ];
    const verdict = checkHistory(stale, 'self-check-stale-read');
    expect(verdict.result).to.equal('illegal');
    expect(verdict.report, 'the excerpt shows the stale read').to.include('a');
  });

  it('accepts the same history when the second write overlaps the read, and an unanswered write either way', () => {
    const overlapping = [
      op(0, 'put', 0, 10, {}, 'a'),
      op(1, 'put', 20, 60, {}, 'b'),
      op(2, 'get', 40, 50, { found: true, value: 'a' }),
      op(3, 'put', 70, null, { unknown: true }, 'c'),
      op(2, 'get', 80, 90, { found: true, value: 'b' }),
    ];
    expect(checkHistory(overlapping, 'self-check-overlap').result).to.equal('ok');
  });
});

describe('one key through any router is linearizable (porcupine)', function () {
  this.timeout(240_000);
  let cluster: LocalCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  // The same-ms race shows more at moderate rates than flat out: more writes from both routers share a millisecond.
  for (const [opsPerSecond, seconds, ops] of [[300, 8, 2400], [600, 10, 6000], [0, 5, 5000]] as const) {
    const label = `stable, ${opsPerSecond === 0 ? 'flat out' : `${opsPerSecond} ops/s`}`;
    it(`while membership is stable: ${label}`, async () => {
      cluster = await twoRouterCluster(3);
      const load = workload(cluster, opsPerSecond).start();
      await sleep(seconds * 1000);
      await untilOps(load, ops);
      const stats = await load.stop();
      expect(stats.unknownWrites + stats.failedReads, stats.problems.join('\n')).to.equal(0);
      expectLinearizable(checkHistory(load.history, label.replace(/[^a-z0-9]+/g, '-')), stats, label);
    });
  }

  it('across a join (3 → 4 servers), 600 ops/s', async () => {
    const c = (cluster = await twoRouterCluster(3));
    await acrossChange(c, () => c.addServer(), 4, 'join', 'join 3 → 4');
  });

  it('across a drain (SIGTERM 1 of 4), 600 ops/s', async () => {
    const c = (cluster = await twoRouterCluster(4));
    await acrossChange(c, async () => {
      expect(await c.servers[0]!.stop('SIGTERM')).to.equal(0);
    }, 3, 'drain', 'drain 4 → 3');
  });

  it('across a kill -9 (1 of 3), 600 ops/s', async () => {
    const c = (cluster = await twoRouterCluster(3));
    await acrossChange(c, () => c.servers[0]!.kill(), 2, 'kill-9', 'kill -9 1 of 3', { caughtInFlight: true });
  });

  describe('with servers in zones, where placement moves the second copies', () => {
    it('across a join of a third zone (2-2 → 2-2-1), 600 ops/s', async () => {
      const c = (cluster = await zonedTwoRouterCluster(['zone-a', 'zone-a', 'zone-b', 'zone-b']));
      await acrossChange(c, () => addZonedServer(c, 'zone-c'), 5, 'zoned-join', 'zoned join 2-2 → 2-2-1');
    });

    it('across a drain of a zone\'s only server (2-2-1 → 2-2), 600 ops/s', async () => {
      const c = (cluster = await zonedTwoRouterCluster(['zone-a', 'zone-a', 'zone-b', 'zone-b', 'zone-c']));
      await acrossChange(c, async () => {
        expect(await c.servers[4]!.stop('SIGTERM')).to.equal(0);
      }, 4, 'zoned-drain', 'zoned drain 2-2-1 → 2-2');
    });

    it('across a kill -9 (one server of 2-2), 600 ops/s', async () => {
      const c = (cluster = await zonedTwoRouterCluster(['zone-a', 'zone-a', 'zone-b', 'zone-b']));
      await acrossChange(c, () => c.servers[0]!.kill(), 3, 'zoned-kill-9', 'zoned kill -9 1 of 2-2', { caughtInFlight: true });
    });
  });

  it('checked at least 20,000 operations in all', () => {
    console.log(`      histories checked: ${checkedOps} operations in all`);
    expect(checkedOps).to.be.at.least(20_000);
  });
});
