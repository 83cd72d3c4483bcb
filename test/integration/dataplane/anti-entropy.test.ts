// Replicas converge by themselves (docs/consistency.md, "Replicas converge by
// themselves"): 3 real servers (R = 2) and a router, over a real ZooKeeper.
// Writes reach only one owner of their key, as when the other owner's copy is
// lost on the way (a partition, a stall past the router's timeout): the
// second owner missed a put, the deciding owner missed one, the second owner
// missed a delete, or never held the key at all. Nothing reads those keys, so
// read repair cannot help. With anti-entropy every owner holds the newest
// version within the stated bound; with it off, the same gaps stay.
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { convergenceBoundMs } from '../../../dataplane/ring/antientropy-plan.js';
import type { RingDescription } from '../../../dataplane/ring/ring-view.js';
import { Ring } from '../../../dataplane/ring/ring.js';
import type { BatchOp, BatchResult } from '../../../dataplane/protocol/internal-batch.js';
import { encodeVersion } from '../../../dataplane/version/hlc.js';
import { LocalCluster } from '../../support/cluster.js';
import { clusterTokenHeaders } from '../../support/cluster-token.js';
import type { DataplaneProcess } from '../../support/dataplane-process.js';
import { call } from '../../support/http.js';
import { metric } from '../../support/inspect.js';
import { waitFor } from '../../support/wait.js';

const INTERVAL_MS = 2000;
const KEYS_PER_GAP = 50;
const GAPS = ['second-missed-put', 'decider-missed-put', 'second-missed-delete', 'second-never-held'] as const;
type Gap = (typeof GAPS)[number];

interface Planted {
  key: string;
  gap: Gap;
  owners: DataplaneProcess[];
  /** The version every owner must end with. */
  newest: string;
}

async function batch(server: DataplaneProcess, ops: BatchOp[]): Promise<BatchResult[]> {
  const answer = await call(`${server.url}/internal/v1/batch`, {
    method: 'POST', headers: { ...clusterTokenHeaders(), 'content-type': 'application/json' }, body: JSON.stringify({ ops }),
  });
  expect(answer.status, answer.text).to.equal(200);
  return (answer.json() as { results: BatchResult[] }).results;
}

/**
 * Writes each gap's keys as a writer whose copy to one owner was lost: a
 * first version on both owners (unless the gap is a key never held), then a
 * newer put or delete on one owner only. Versions are real HLC stamps of now.
 */
async function plantGaps(cluster: LocalCluster): Promise<Planted[]> {
  const ring: RingDescription = await cluster.ring();
  const placement = new Ring(ring.members);
  const byId = new Map(cluster.servers.map((s) => [s.options.nodeId, s]));
  const planted: Planted[] = [];
  let counter = 0;
  const stamp = (): string => encodeVersion(Date.now(), counter++ % 0xffff, 'test-writer');
  for (const gap of GAPS) {
    for (let i = 0; i < KEYS_PER_GAP; i++) {
      const key = `${gap}-${i}`;
      const owners = placement.ownersOf(key, 2).map((m) => byId.get(m.id) as DataplaneProcess);
      const [decider, second] = owners as [DataplaneProcess, DataplaneProcess];
      const first = stamp();
      if (gap !== 'second-never-held') {
        for (const owner of owners) await batch(owner, [{ op: 'put', key, value: 'first', version: first, expiresAt: 0 }]);
      }
      const newest = stamp();
      const onlyOn = gap === 'decider-missed-put' ? second : decider;
      const op: BatchOp = gap === 'second-missed-delete'
        ? { op: 'del', key, version: newest }
        : { op: 'put', key, value: 'newest', version: newest, expiresAt: 0 };
      const [result] = await batch(onlyOn, [op]);
      expect(result).to.include({ stored: true });
      planted.push({ key, gap, owners, newest });
    }
  }
  return planted;
}

/** The planted keys whose owners do not all hold the newest version (a tombstone counts by its version). */
async function stillDiverged(planted: readonly Planted[]): Promise<Planted[]> {
  const behind: Planted[] = [];
  for (const entry of planted) {
    for (const owner of entry.owners) {
      const [result] = await batch(owner, [{ op: 'get', key: entry.key }]);
      const version = (result as { version?: string } | undefined)?.version;
      if (version !== entry.newest) {
        behind.push(entry);
        break;
      }
    }
  }
  return behind;
}

async function total(cluster: LocalCluster, name: string, labels: Record<string, string> = {}): Promise<number> {
  const values = await Promise.all(cluster.servers.map((s) => metric(s, name, labels)));
  return values.reduce((sum, value) => sum + value, 0);
}

describe('anti-entropy: replicas converge by themselves (3 servers, R = 2)', function () {
  this.timeout(120_000);
  const bound = convergenceBoundMs(INTERVAL_MS);
  let cluster: LocalCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it(`repairs puts, deletes and keys one owner missed within the bound (${bound / 1000} s at an interval of ${INTERVAL_MS / 1000} s)`, async function () {
    cluster = await LocalCluster.start({ servers: 3, env: { ANTI_ENTROPY_INTERVAL: `${INTERVAL_MS}ms` } });
    const planted = await plantGaps(cluster);
    const plantedAt = Date.now();
    expect(await stillDiverged(planted), 'every planted key starts with an owner behind').to.have.length(planted.length);

    // The bound, plus a cycle's own run and the time to read 400 copies back on a loaded machine.
    await waitFor('every owner of every planted key to hold its newest version', async () =>
      (await stillDiverged(planted)).length === 0, { timeoutMs: bound + 10_000, intervalMs: 500 });
    const tookMs = Date.now() - plantedAt;
    const repaired = await total(cluster, 'dcache_antientropy_keys_repaired_total');
    console.log(`      ${planted.length} planted gaps converged in ${(tookMs / 1000).toFixed(1)} s (bound ${bound / 1000} s); copies repaired: ${repaired}`);
    // One copy per gap, pushed by the owner that held the newer version; the older side's offers were declined.
    expect(repaired).to.equal(planted.length);
  });

  it('sends only digests once replicas agree: buckets are compared, none differs, no key is offered', async function () {
    cluster = await LocalCluster.start({ servers: 3, env: { ANTI_ENTROPY_INTERVAL: `${INTERVAL_MS}ms` } });
    const seeded = await plantGaps(cluster);
    await waitFor('the planted gaps to converge', async () => (await stillDiverged(seeded)).length === 0, { timeoutMs: bound + 10_000, intervalMs: 500 });
    const compared = await total(cluster, 'dcache_antientropy_ranges_compared_total');
    const differing = await total(cluster, 'dcache_antientropy_ranges_differing_total');
    const repaired = await total(cluster, 'dcache_antientropy_keys_repaired_total');
    const bytes = await total(cluster, 'dcache_antientropy_bytes_total');
    const cycles = await total(cluster, 'dcache_antientropy_cycle_duration_seconds_count');
    const comparedBefore = await total(cluster, 'dcache_antientropy_comparisons_total', { outcome: 'compared' });
    await waitFor('two more cycles on every server', async () =>
      (await total(cluster as LocalCluster, 'dcache_antientropy_cycle_duration_seconds_count')) >= cycles + 6, { timeoutMs: 4 * INTERVAL_MS + 5000 });
    expect(await total(cluster, 'dcache_antientropy_ranges_compared_total')).to.be.greaterThan(compared);
    expect(await total(cluster, 'dcache_antientropy_ranges_differing_total')).to.equal(differing);
    expect(await total(cluster, 'dcache_antientropy_keys_repaired_total')).to.equal(repaired);
    const comparisons = (await total(cluster, 'dcache_antientropy_comparisons_total', { outcome: 'compared' })) - comparedBefore;
    const perComparison = ((await total(cluster, 'dcache_antientropy_bytes_total')) - bytes) / comparisons;
    console.log(`      ${comparisons} comparisons of agreeing replicas: ${Math.round(perComparison)} bytes each (the digest of 1,024 buckets and its answer)`);
    // A digest of 1,024 buckets is 8 KiB, 11 KiB in base64, with the members' fingerprint and the answer; nothing else travels.
    expect(perComparison).to.be.within(8 * 1024, 13 * 1024);
    expect(await total(cluster, 'dcache_antientropy_comparisons_total', { outcome: 'failed' })).to.equal(0);
  });

  it('leaves the same gaps in place with ANTI_ENTROPY_INTERVAL=0, which shows the check can fail', async function () {
    cluster = await LocalCluster.start({ servers: 3, env: { ANTI_ENTROPY_INTERVAL: '0' } });
    const planted = await plantGaps(cluster);
    await sleep(bound + 2000);
    expect(await stillDiverged(planted)).to.have.length(planted.length);
    expect(await total(cluster, 'dcache_antientropy_comparisons_total')).to.equal(0);
  });
});
