// The two walks of a store that anti-entropy makes: one that digests, per
// peer, the comparable entries this server shares with it, and one that
// lists the keys of the buckets a peer found different. Both take turns with
// requests on the event loop, as hand-off scans do.
import { sharersOf } from '../../ring/antientropy-plan.js';
import type { Ownership } from '../../ring/ring.js';
import { bucketOf, comparableIn, VersionDigest, type DigestWindow } from '../../store/version-digest.js';
import type { VersionedStore } from '../../store/versioned-store.js';
import { KEYS_PER_TURN, nextTurn } from '../handoff/scan-turns.js';

export interface ShareScope {
  store: VersionedStore;
  ring: Ownership;
  selfId: string;
  replicationFactor: number;
}

/** Digests of what this server shares with each peer, keyed by peer id (a peer it shares nothing with has none). */
export async function digestShares(scope: ShareScope, window: DigestWindow, buckets: number): Promise<Map<string, VersionDigest>> {
  const { store, ring, selfId, replicationFactor } = scope;
  const digests = new Map<string, VersionDigest>();
  const comparable = comparableIn(window);
  let scanned = 0;
  for (const key of store.keys()) {
    if (++scanned % KEYS_PER_TURN === 0) await nextTurn();
    const entry = store.peek(key);
    if (!entry || !comparable(entry)) continue;
    for (const peer of sharersOf(key, ring, selfId, replicationFactor)) {
      let digest = digests.get(peer);
      if (!digest) {
        digest = new VersionDigest(buckets);
        digests.set(peer, digest);
      }
      digest.add(key, entry.version);
    }
  }
  return digests;
}

/** The comparable keys shared with `peer` that fall in the given buckets: what is offered to it. */
export async function keysInBuckets(
  scope: ShareScope, window: DigestWindow, peer: string, differ: ReadonlySet<number>, buckets: number,
): Promise<string[]> {
  const { store, ring, selfId, replicationFactor } = scope;
  const keys: string[] = [];
  const comparable = comparableIn(window);
  let scanned = 0;
  for (const key of store.keys()) {
    if (++scanned % KEYS_PER_TURN === 0) await nextTurn();
    if (!differ.has(bucketOf(key, buckets))) continue;
    const entry = store.peek(key);
    if (entry && comparable(entry) && sharersOf(key, ring, selfId, replicationFactor).includes(peer)) keys.push(key);
  }
  return keys;
}
