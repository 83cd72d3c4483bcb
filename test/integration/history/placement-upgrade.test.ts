// Issue 23: changing the placement rule is itself a ring change. A fleet of
// the release before zone placement (3 servers and 2 routers of 8a282b5, built
// from git by hack/build-release.sh) is replaced pod by pod under traffic, the
// way the operator rolls it: the routers first (it turns a stronger placement on
// only once every router is new), then each server: a new one with a zone
// starts and serves, then an old one is SIGTERMed and drains. While any old
// server is in the ring every process keeps the old rule (an old member counts
// as placement none); when the last one leaves, the rings of that change differ
// in rule and the hand-off moves keys. Checked: the history on 6 hot keys by
// porcupine, 300 keys for misses and stale reads throughout, the seeded keys
// read back whole, and at the end zone placement in force, zone-safe, and every
// key's 2 copies held in 2 distinct zones.
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Member } from '../../../dataplane/ring/member.js';
import { Ring } from '../../../dataplane/ring/ring.js';
import type { RingDescription } from '../../../dataplane/ring/ring-view.js';
import { LocalCluster } from '../../support/cluster.js';
import type { DataplaneProcess } from '../../support/dataplane-process.js';
import { startFaultRun, trafficLine, type FaultRun } from '../../support/fault-run.js';
import { checkHistory } from '../../support/history-checker.js';
import { expectLinearizable } from '../../support/history-verdict.js';
import { handoffReports, holders } from '../../support/inspect.js';
import { RELEASE_BEFORE_PLACEMENT, releaseMain } from '../../support/previous-release.js';
import { seedKeys, verifyAll } from '../../support/traffic.js';
import { waitFor } from '../../support/wait.js';

const SERVERS = 3;
const HOT = Array.from({ length: 6 }, (_, i) => `hot-${i}`);
const RATE = 600;
/** Written once before the upgrade and read back whole after it; the keys whose copies are checked for zones. */
const BULK = 5000;
/** How long a router out of the clients' list still finishes ops in flight before its SIGTERM (a pod out of its Service first). */
const ROUTER_GRACE_MS = 1000;

/** Hand-off figures so far, summed over every server, old and new (their "hand-off finished" lines). */
interface Moved {
  /** Keys a joiner pulled, and values a drain or rebalance sent: the copies that really travelled. */
  values: Map<string, number>;
  /** Keys a drain or rebalance offered by version first (most the receiver already held). */
  offered: Map<string, number>;
}

function copiesMoved(cluster: LocalCluster): Moved {
  const moved: Moved = { values: new Map(), offered: new Map() };
  const add = (into: Map<string, number>, kind: string, n: number): void => {
    if (n > 0) into.set(kind, (into.get(kind) ?? 0) + n);
  };
  for (const r of handoffReports(cluster.servers)) {
    add(moved.values, r.kind, r.kind === 'join' ? r.keysReceived : r.valuesSent ?? 0);
    if (r.kind !== 'join') add(moved.offered, r.kind, r.keysSent);
  }
  return moved;
}

/** The order the figures are printed in. */
const HANDOFF_KINDS = ['join', 'drain', 'rebalance'] as const;

const sum = (counts: ReadonlyMap<string, number>): number => [...counts.values()].reduce((a, b) => a + b, 0);

/** What moved between two readings, e.g. "drain 1880, join 2685 values moved (drain 2670 versions offered)". */
function movedSince(before: Moved, after: Moved): string {
  const since = (a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): Array<[string, number]> =>
    HANDOFF_KINDS.map((kind): [string, number] => [kind, (b.get(kind) ?? 0) - (a.get(kind) ?? 0)]).filter(([, n]) => n > 0);
  const values = since(before.values, after.values);
  const offered = since(before.offered, after.offered);
  return `${values.map(([kind, n]) => `${kind} ${n}`).join(', ') || 'no'} values moved` +
    (offered.length > 0 ? ` (${offered.map(([kind, n]) => `${kind} ${n}`).join(', ')} versions offered)` : '');
}

/** The keys whose owners over `members` differ between placement none (the old rule) and the rule they advertise. */
function keysTheRuleMoves(members: readonly Member[], keys: readonly string[]): number {
  const oldRule = new Ring(members.map(({ placement: _placement, ...rest }) => rest));
  const newRule = new Ring(members);
  const ids = (ring: Ring, key: string): string => ring.ownersOf(key, 2).map((m) => m.id).sort().join(',');
  return keys.filter((key) => ids(oldRule, key) !== ids(newRule, key)).length;
}

/** Keys not yet held by both their owners in `ring`, or whose owners share a zone. */
async function keysNotInTwoZones(cluster: LocalCluster, ring: RingDescription, keys: readonly string[]): Promise<string[]> {
  const owners = new Ring(ring.members);
  const held = await holders(cluster.liveServers, keys);
  return keys.filter((key) => {
    const [first, second] = owners.ownersOf(key, 2);
    const where = held.get(key) ?? [];
    return !first || !second || first.zone === undefined || first.zone === second.zone
      || !where.includes(first.id) || !where.includes(second.id);
  });
}

interface Layout {
  label: string;
  /** The zone of each new server, in the order they replace the old ones. */
  zones: readonly string[];
  /** What the switch from the old rule to zone does to the seeded keys' owners. */
  switchMoves: 'none' | 'some';
}

const LAYOUTS: readonly Layout[] = [
  // The zone rule picks the same owners as the old one here: any 2 servers are in 2 zones.
  { label: 'one new server in each of 3 zones', zones: ['zone-a', 'zone-b', 'zone-c'], switchMoves: 'none' },
  // Here the old rule puts both copies of about a third of the keys in zone-a, so the switch moves them.
  { label: 'new servers in 2 zones, zone-a twice', zones: ['zone-a', 'zone-b', 'zone-a'], switchMoves: 'some' },
];

describe(`upgrading from ${RELEASE_BEFORE_PLACEMENT} (before zone placement) pod by pod under traffic, history checked (porcupine)`, function () {
  this.timeout(150_000);
  let oldMain = '';
  let cluster: LocalCluster | undefined;
  let run: FaultRun | undefined;
  before(() => {
    oldMain = releaseMain(RELEASE_BEFORE_PLACEMENT);
  });
  afterEach(async () => {
    // A failed test leaves its clients running; they would spin against the stopped processes.
    await run?.stop();
    run = undefined;
    await cluster?.stop();
    cluster = undefined;
  });

  for (const layout of LAYOUTS) {
    it(`replaces 3 old servers and 2 old routers, ${layout.label}: no miss, no stale read, linearizable, then zone placement and every key in 2 zones`, async () => {
      const label = `upgrade, ${layout.label}`;
      const started = performance.now();
      const seconds = (since: number): string => ((performance.now() - since) / 1000).toFixed(1);
      const c = (cluster = await LocalCluster.start({ servers: SERVERS, main: oldMain }));
      await c.addClient({}, { main: oldMain });
      const oldServers = [...c.servers].sort((a, b) => a.options.nodeId!.localeCompare(b.options.nodeId!));
      const inService: DataplaneProcess[] = [...c.clients];
      const allRoutersSee = (servers: number): Promise<unknown> =>
        Promise.all(inService.map((router) => c.waitForMembers(servers, 'serving', router)));
      await allRoutersSee(SERVERS);
      expect((await c.ring(inService[0])).placement, 'a router of the old release knows no placement').to.equal(undefined);

      const bulk = await seedKeys(inService[0]!.url, BULK, 'bulk');
      const r = (run = await startFaultRun(c, { keys: HOT, opsPerSecond: RATE, routers: () => inService }));
      await sleep(2000);
      const steps: string[] = [];

      // Routers first: each new one takes traffic once it sees the ring, then an old one leaves the list and stops.
      let since = performance.now();
      for (const old of [...inService]) {
        const fresh = await c.addClient();
        await c.waitForMembers(SERVERS, 'serving', fresh);
        inService.push(fresh);
        inService.splice(inService.indexOf(old), 1);
        await sleep(ROUTER_GRACE_MS);
        expect(await old.stop('SIGTERM'), old.logTail()).to.equal(0);
      }
      steps.push(`2 routers replaced in ${seconds(since)} s`);
      const routersNew = await c.ring(inService[0]);
      expect(routersNew.placement, 'old servers only: the old rule').to.include({ mode: 'none', zoneSafe: false, reason: 'PlacementNotZone' });

      // Then the servers, one at a time: a new one serves, then an old one drains.
      let lastSigterm = 0;
      let movedBefore = copiesMoved(c);
      const replaced = (i: number): string => `${oldServers[i]!.options.nodeId} -> ${c.servers[SERVERS + i]!.options.nodeId} (${layout.zones[i]})`;
      for (const [i, zone] of layout.zones.entries()) {
        since = performance.now();
        await c.addServer({ ZONE: zone, NODE_NAME: `node-${i + 1}`, PLACEMENT: 'zone' });
        await allRoutersSee(SERVERS + 1);
        const old = oldServers[i]!;
        lastSigterm = performance.now();
        expect(await old.stop('SIGTERM'), old.logTail()).to.equal(0);
        await allRoutersSee(SERVERS);
        if (i === layout.zones.length - 1) break; // the switch: reported once its hand-off is done, below
        const moved = copiesMoved(c);
        steps.push(`${replaced(i)} in ${seconds(since)} s: ${movedSince(movedBefore, moved)}`);
        movedBefore = moved;
        const ring = await c.ring(inService[0]);
        expect(ring.placement, `${SERVERS - 1 - i} old server(s) left: the old rule holds`).to.include({ mode: 'none', reason: 'PlacementNotZone' });
      }

      // The last old server is gone: zone placement on every router, and the keys moved to it.
      const rings = await Promise.all(inService.map((router) => waitFor(`zone placement, zone-safe, on ${router.url}`, async () => {
        const ring = await c.ring(router);
        return ring.placement?.mode === 'zone' && ring.placement.zoneSafe ? ring : undefined;
      }, { timeoutMs: 30_000 })));
      const ring = rings[0]!;
      expect(ring.members.map((m) => `${m.id}/${m.zone}/${m.placement}`)).to.have.members(
        layout.zones.map((zone, i) => `server-${SERVERS + i + 1}/${zone}/zone`),
      );
      const checked = [...bulk.keys(), ...r.traffic.acked.keys()];
      await waitFor('every key held by its 2 owners, in 2 distinct zones', async () => (await keysNotInTwoZones(c, ring, checked)).length === 0, {
        timeoutMs: 60_000, intervalMs: 500,
      });
      const switchSeconds = seconds(lastSigterm);
      const ruleMoves = keysTheRuleMoves(ring.members, [...bulk.keys()]);
      steps.push(`${replaced(layout.zones.length - 1)}, the switch to zone placement: every key in 2 zones ${switchSeconds} s after the SIGTERM; ` +
        movedSince(movedBefore, copiesMoved(c)));
      await sleep(2000);

      const stats = await r.stop();
      run = undefined;
      for (const step of steps) console.log(`      [${label}] ${step}`);
      console.log(`      [${label}] the switch changes the owners of ${ruleMoves} of ${BULK} seeded keys; ` +
        `${sum(copiesMoved(c).values)} values moved in all; the upgrade under traffic took ${seconds(started)} s`);
      console.log(trafficLine(label, stats.traffic));
      expectLinearizable(checkHistory(r.history.history, label.replace(/[^a-z0-9]+/gi, '-')), stats.history, label);
      expect(stats.traffic.misses, stats.traffic.firstProblems.join('\n')).to.equal(0);
      expect(stats.traffic.stale, stats.traffic.firstProblems.join('\n')).to.equal(0);
      // Every step is graceful (routers leave the clients' list first, servers drain): no request fails.
      expect(stats.traffic.errors, stats.traffic.firstProblems.join('\n')).to.equal(0);
      if (layout.switchMoves === 'none') expect(ruleMoves, 'one server per zone: the zone rule picks the old owners').to.equal(0);
      else expect(ruleMoves, 'the switch really moves keys').to.be.above(BULK / 10);

      const readBack = await verifyAll(inService[0]!.url, bulk);
      console.log(`      [${label}] read back ${readBack.checked} seeded keys: misses ${readBack.misses.length}, stale ${readBack.stale.length}`);
      expect(readBack.misses, `missing: ${readBack.misses.slice(0, 5).join(', ')}`).to.deep.equal([]);
      expect(readBack.stale, `stale: ${readBack.stale.slice(0, 5).join(', ')}`).to.deep.equal([]);
    });
  }
});
