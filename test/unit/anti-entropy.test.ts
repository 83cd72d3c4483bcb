// Anti-entropy's decisions (dataplane/store/version-digest.ts,
// dataplane/ring/antientropy-plan.ts) and its walks of real stores
// (dataplane/server/antientropy/digest-scan.ts).
import { expect } from 'chai';
import {
  ANTI_ENTROPY_LAG_MS, antiEntropyDue, antiEntropyWindow, convergenceBoundMs, nextCycleAt, placementFingerprint, sharersOf,
} from '../../dataplane/ring/antientropy-plan.js';
import { Ring } from '../../dataplane/ring/ring.js';
import { digestShares, keysInBuckets } from '../../dataplane/server/antientropy/digest-scan.js';
import { bucketOf, comparableIn, DIGEST_BUCKETS, VersionDigest } from '../../dataplane/store/version-digest.js';
import { VersionedStore } from '../../dataplane/store/versioned-store.js';
import { encodeVersion } from '../../dataplane/version/hlc.js';
import { members, ownersTable } from '../support/members.js';

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);
const v = (ms: number, writer = 'r1'): string => encodeVersion(ms, 0, writer);

function digestOf(entries: Array<[string, string]>): VersionDigest {
  const digest = new VersionDigest();
  for (const [key, version] of entries) digest.add(key, version);
  return digest;
}

describe('anti-entropy', () => {
  describe('version digests', () => {
    const entries: Array<[string, string]> = Array.from({ length: 2000 }, (_, i) => [`key-${i}`, v(T0 - i)]);

    it('are the same whatever order the keys are visited in', () => {
      expect(digestOf([...entries].reverse()).encode()).to.equal(digestOf(entries).encode());
    });

    it('differ in exactly the bucket of a key whose version differs', () => {
      const changed = entries.map(([key, version]): [string, string] => (key === 'key-77' ? [key, v(T0 + 5)] : [key, version]));
      expect(digestOf(entries).differingBuckets(digestOf(changed))).to.deep.equal([bucketOf('key-77')]);
    });

    it('differ in exactly the bucket of a key one side lacks', () => {
      const without = entries.filter(([key]) => key !== 'key-1500');
      expect(digestOf(without).differingBuckets(digestOf(entries))).to.deep.equal([bucketOf('key-1500')]);
    });

    it('tell apart two writes of one ms by their writers', () => {
      expect(digestOf([['k', v(T0, 'r1')]]).differingBuckets(digestOf([['k', v(T0, 'r2')]]))).to.have.length(1);
    });

    it('travel as base64 and come back equal; a digest of the wrong size is refused', () => {
      const digest = digestOf(entries);
      const decoded = VersionDigest.decode(digest.encode(), DIGEST_BUCKETS);
      expect(decoded?.differingBuckets(digest)).to.deep.equal([]);
      expect(VersionDigest.decode(digest.encode(), DIGEST_BUCKETS * 2)).to.equal(undefined);
      expect(VersionDigest.decode('not a digest', DIGEST_BUCKETS)).to.equal(undefined);
    });

    it('spread keys evenly over the buckets', () => {
      const counts = new Array<number>(DIGEST_BUCKETS).fill(0);
      for (let i = 0; i < 100_000; i++) counts[bucketOf(`user:${i}`)] = (counts[bucketOf(`user:${i}`)] as number) + 1;
      // About 98 per bucket; a fair spread stays well within half of that either way.
      expect(Math.min(...counts)).to.be.greaterThan(49);
      expect(Math.max(...counts)).to.be.lessThan(147);
    });
  });

  describe('which entries are compared (comparableIn)', () => {
    const window = { cutoffMs: T0, horizonMs: 30_000 };
    const table: Array<[string, { version: string; expiresAt: number }, boolean]> = [
      ['a write of the cutoff ms', { version: encodeVersion(T0, 0xffff, 'r9'), expiresAt: 0 }, true],
      ['not a write of the ms after it: it may still be on its way', { version: v(T0 + 1), expiresAt: 0 }, false],
      ['an entry that expires after the horizon', { version: v(T0 - 1), expiresAt: T0 + 30_001 }, true],
      ['not one that expires at the horizon: a replica may already have dropped it', { version: v(T0 - 1), expiresAt: T0 + 30_000 }, false],
    ];
    for (const [what, entry, expected] of table) {
      it(what, () => expect(comparableIn(window)({ value: 'x', ...entry })).to.equal(expected));
    }
  });

  describe('cycles', () => {
    const interval = 10_000;

    it('give peers asked anywhere in one interval the same window, and the next interval a later one', () => {
      const start = Math.floor(T0 / interval) * interval;
      const early = antiEntropyWindow(start + 1, interval);
      const late = antiEntropyWindow(start + interval - 1, interval);
      expect(late).to.deep.equal(early);
      expect(early.cutoffMs).to.equal(start - ANTI_ENTROPY_LAG_MS);
      expect(antiEntropyWindow(start + interval, interval).cutoffMs).to.equal(early.cutoffMs + interval);
    });

    it('start early in the next interval', () => {
      const start = Math.floor(T0 / interval) * interval;
      expect(nextCycleAt(start + 3000, interval, 0)).to.equal(start + interval);
      expect(nextCycleAt(start + 3000, interval, 0.999)).to.be.within(start + interval, start + interval + interval / 4);
    });

    it('bound convergence by the lag, an interval and its jitter (47.5 s at the default 30 s)', () => {
      expect(convergenceBoundMs(30_000)).to.equal(47_500);
      expect(convergenceBoundMs(10_000)).to.equal(22_500);
    });

    const settled = { state: 'serving' as const, handingOff: false, zkConnected: true, settled: true, selfId: 'a' };
    const dueTable: Array<[string, Partial<typeof settled> & { members?: string[] }, boolean]> = [
      ['run when everything is settled', {}, true],
      ['not while a member joins: it is still pulling what it will share', { members: ['a', 'b:joining'] }, false],
      ['not while a member leaves', { members: ['a', 'b:leaving'] }, false],
      ['not while keys move', { handingOff: true }, false],
      ['not without ZooKeeper: the view may be old', { zkConnected: false }, false],
      ['not while this server leaves', { state: 'leaving' as never }, false],
    ];
    for (const [what, facts, expected] of dueTable) {
      it(what, () => {
        const view = members(...(facts.members ?? ['a', 'b', 'c']));
        expect(antiEntropyDue({ ...settled, ...facts, members: view })).to.equal(expected);
      });
    }
  });

  describe('which peers share a key (sharersOf)', () => {
    const view = members('a', 'b', 'c');
    const table = ownersTable({ k1: ['a', 'b'], k2: ['b', 'c'] }, view);

    it('the other owners of a key this server owns', () => expect(sharersOf('k1', table, 'a', 2)).to.deep.equal(['b']));
    it('nobody for a key it does not own', () => expect(sharersOf('k2', table, 'a', 2)).to.deep.equal([]));

    it('is symmetric on a real ring: b shares a key with a exactly when a shares it with b', () => {
      const ring = new Ring(members('a', 'b', 'c', 'd'));
      for (let i = 0; i < 500; i++) {
        const key = `k${i}`;
        for (const self of ['a', 'b', 'c', 'd']) {
          for (const peer of sharersOf(key, ring, self, 2)) expect(sharersOf(key, ring, peer, 2)).to.include(self);
        }
      }
    });

    it('tells views apart by failure domains, not only ids', () => {
      const before = placementFingerprint(members('a', 'b'));
      const zoned = placementFingerprint(members('a', 'b').map((m) => ({ ...m, zone: 'zone-a' })));
      expect(zoned).to.not.equal(before);
      expect(placementFingerprint(members('a', 'b'))).to.equal(before);
    });
  });

  describe('walking two real stores', () => {
    const ring = new Ring(members('a', 'b'));
    const window = { cutoffMs: T0, horizonMs: 30_000 };
    const now = (): number => T0 + 15_000;

    it('finds the keys one replica missed, and offers only those of the differing buckets', async () => {
      const a = new VersionedStore({ maxBytes: 64 * 2 ** 20 }, now);
      const b = new VersionedStore({ maxBytes: 64 * 2 ** 20 }, now);
      for (let i = 0; i < 5000; i++) {
        a.set(`k${i}`, 'x', v(T0 - 10_000 + i));
        // b missed every 500th write, and holds an older version of key k7.
        if (i === 7) b.set('k7', 'older', v(T0 - 20_000));
        else if (i % 500 !== 0) b.set(`k${i}`, 'x', v(T0 - 10_000 + i));
      }
      // b holds a newer version of k8: a offers it too, and b will decline it.
      b.set('k8', 'newer', v(T0 - 1000));
      // A write after the cutoff is left for a later window.
      a.set('recent', 'x', v(T0 + 5));

      const ofA = (await digestShares({ store: a, ring, selfId: 'a', replicationFactor: 2 }, window, DIGEST_BUCKETS)).get('b');
      const ofB = (await digestShares({ store: b, ring, selfId: 'b', replicationFactor: 2 }, window, DIGEST_BUCKETS)).get('a');
      expect(ofA?.count).to.equal(5000);
      const differ = new Set(ofA?.differingBuckets(ofB as VersionDigest));
      const offered = await keysInBuckets({ store: a, ring, selfId: 'a', replicationFactor: 2 }, window, 'b', differ, DIGEST_BUCKETS);
      const missed = ['k0', 'k500', 'k1000', 'k1500', 'k2000', 'k2500', 'k3000', 'k3500', 'k4000', 'k4500'];
      expect(offered).to.include.members([...missed, 'k7', 'k8']);
      expect(offered).to.not.include('recent');
      // Only the differing buckets' keys: about 12 buckets of 5 keys each, not the 5,000.
      expect(offered.length).to.be.lessThan(200);
    });
  });
});
