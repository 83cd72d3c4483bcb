// What one anti-entropy cycle costs a server (docs/consistency.md, "Replicas
// converge by themselves"): the walk that digests what it shares with each
// peer, against the baseline of a walk that only asks each key's owners (what
// every hand-off scan does), over one store of 100-byte values on a ring of six
// servers in three zones, in one process and one run, in interleaved rounds.
// Bytes: one digest request and its answer per peer while replicas agree.
import { ANTI_ENTROPY_DIGEST_PATH, type DigestRequest } from '../../dataplane/protocol/antientropy.js';
import { antiEntropyWindow, placementFingerprint } from '../../dataplane/ring/antientropy-plan.js';
import type { Member } from '../../dataplane/ring/member.js';
import { Ring } from '../../dataplane/ring/ring.js';
import { digestShares, type ShareScope } from '../../dataplane/server/antientropy/digest-scan.js';
import { DIGEST_BUCKETS, type DigestWindow, type VersionDigest } from '../../dataplane/store/version-digest.js';
import { VersionedStore } from '../../dataplane/store/versioned-store.js';
import { HybridLogicalClock } from '../../dataplane/version/hlc.js';

export interface AntiEntropyRow {
  keys: number;
  /** The median walk that only looks up each key's owners, in ms: the baseline. */
  owners_walk_ms: number;
  /** The median digest walk, in ms. */
  digest_walk_ms: number;
  /** Digest walk against the owners walk. */
  ratio: number;
  /** Nanoseconds of digest walk per key held. */
  ns_per_key: number;
  /** Share of one core that a cycle of this store takes at the default 30 s interval. */
  core_share_at_30s: number;
  /** One peer's digest request, as sent, plus an answer that no bucket differs. */
  bytes_per_peer: number;
  peers: number;
}

const ROUNDS = 5;
const VALUE = 'v'.repeat(100);
const INTERVAL_MS = 30_000;

function sixServers(): Member[] {
  return ['a', 'a', 'b', 'b', 'c', 'c'].map((zone, i) => ({
    id: `server-${i + 1}`, address: `10.0.0.${i + 1}:8080`, state: 'serving', placement: 'zone', zone, node: `node-${i + 1}`,
  }));
}

function ownersWalkMs(store: VersionedStore, ring: Ring): number {
  const started = process.hrtime.bigint();
  let owned = 0;
  for (const key of store.keys()) {
    if (store.peek(key) && ring.ownersOf(key, 2).some((m) => m.id === 'server-1')) owned++;
  }
  if (owned === 0) throw new Error('server-1 owns no key');
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** One digest walk as a cycle makes it: its ms, and the digests it made. */
async function digestWalk(scope: ShareScope, window: DigestWindow): Promise<{ ms: number; digests: Map<string, VersionDigest> }> {
  const started = process.hrtime.bigint();
  const digests = await digestShares(scope, window, DIGEST_BUCKETS);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, digests };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** Measures a server holding `keys` keys, a third of which server-1 (the one digesting) owns a copy of. */
export async function measureAntiEntropy(keys: number): Promise<AntiEntropyRow> {
  const members = sixServers();
  const ring = new Ring(members);
  // Written a minute ago, so every entry is in the window.
  const now = Date.now();
  const clock = new HybridLogicalClock('bench-router', () => now - 60_000);
  const store = new VersionedStore({ maxBytes: 4 * 2 ** 30 });
  for (let i = 0; i < keys; i++) store.set(`bench-key-${i}`, VALUE, clock.next());
  const scope: ShareScope = { store, ring, selfId: 'server-1', replicationFactor: 2 };
  const window = antiEntropyWindow(now, INTERVAL_MS);
  ownersWalkMs(store, ring);
  let walk = await digestWalk(scope, window); // warm-up: the JIT
  const owners: number[] = [];
  const digests: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    owners.push(ownersWalkMs(store, ring));
    walk = await digestWalk(scope, window);
    digests.push(walk.ms);
  }
  const [first] = walk.digests.values();
  if (!first) throw new Error('server-1 shares no key with any peer');
  const request: DigestRequest = {
    from: 'server-1', placement: placementFingerprint(members), cutoffMs: window.cutoffMs, horizonMs: window.horizonMs,
    buckets: DIGEST_BUCKETS, digest: first.encode(),
  };
  const bytes = Buffer.byteLength(JSON.stringify(request)) + Buffer.byteLength(JSON.stringify({ differ: [] })) + ANTI_ENTROPY_DIGEST_PATH.length;
  const ownersMs = median(owners);
  const digestMs = median(digests);
  return {
    keys, owners_walk_ms: Math.round(ownersMs), digest_walk_ms: Math.round(digestMs), ratio: digestMs / ownersMs,
    ns_per_key: Math.round((digestMs * 1e6) / keys), core_share_at_30s: digestMs / INTERVAL_MS, bytes_per_peer: bytes, peers: walk.digests.size,
  };
}
