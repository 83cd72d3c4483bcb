// The checks every rebalancing scenario ends with, through a router or a
// smart client alike (test/integration/dataplane/rebalancing.test.ts,
// smart-client-rebalancing.test.ts): no miss, no stale read, no error, and
// every key back to 2 copies.
import { expect } from 'chai';
import type { LocalCluster } from './cluster.js';
import { holders } from './inspect.js';
import type { KeyValueTarget } from './key-value-target.js';
import type { DataplaneProcess } from './dataplane-process.js';
import { moreTraffic, verifyAll, type Traffic, type TrafficStats } from './traffic.js';
import { waitFor } from './wait.js';

export function expectClean(stats: TrafficStats, label: string): void {
  // Printed for the record: the closing note of the hand-off work quotes these lines.
  console.log(`      [${label}] reads ${stats.reads}, writes ${stats.writes}, misses ${stats.misses}, stale ${stats.stale}, errors ${stats.errors}`);
  expect(stats.misses, stats.firstProblems.join('\n')).to.equal(0);
  expect(stats.stale, stats.firstProblems.join('\n')).to.equal(0);
  expect(stats.errors, stats.firstProblems.join('\n')).to.equal(0);
  expect(stats.reads).to.be.greaterThan(1000);
}

/** Waits until every key is held by at least 2 live servers, asked directly. */
export async function waitForTwoCopies(cluster: LocalCluster, keys: string[]): Promise<void> {
  await waitFor('every key back to 2 copies', async () => {
    const copies = await holders(cluster.liveServers, keys);
    return [...copies.values()].every((where) => where.length >= 2);
  }, { timeoutMs: 60_000, intervalMs: 500 });
}

/** Every acknowledged write reads back, unchanged, through `via` (a router's base URL, or a target). */
export async function expectAllReadable(via: string | KeyValueTarget, acked: Map<string, string>): Promise<void> {
  const check = await verifyAll(via, acked);
  expect(check.misses, `missing after the change: ${check.misses.slice(0, 5).join(', ')}`).to.deep.equal([]);
  expect(check.stale, `stale after the change: ${check.stale.slice(0, 5).join(', ')}`).to.deep.equal([]);
}

/** SIGTERMs the first 2 of the cluster's servers at once under `traffic`, lets it run on past the change, and stops it. */
export async function drainTwoUnderTraffic(cluster: LocalCluster, traffic: Traffic): Promise<{ leaving: DataplaneProcess[]; stats: TrafficStats }> {
  await moreTraffic(traffic, 500);
  const staying = cluster.liveServers.length - 2;
  const leaving = cluster.servers.slice(0, 2);
  const codes = await Promise.all(leaving.map((s) => s.stop('SIGTERM')));
  expect(codes).to.deep.equal([0, 0]);
  await cluster.waitForMembers(staying);
  await moreTraffic(traffic, 1000);
  return { leaving, stats: await traffic.stop() };
}

/** Every key is held by at least 2 live servers now, asked directly. */
export async function expectTwoCopies(cluster: LocalCluster, keys: string[]): Promise<void> {
  const copies = await holders(cluster.liveServers, keys);
  const short = [...copies].filter(([, where]) => where.length < 2);
  expect(short.length, `keys with fewer than 2 copies, e.g. ${short.slice(0, 3).map(([k]) => k).join(', ')}`).to.equal(0);
}
