// Compact digests of the versions a server holds, for anti-entropy
// (docs/consistency.md, "Replicas converge by themselves"). Pure.
//
// Keys fall into DIGEST_BUCKETS buckets by a hash of the key alone. A bucket's
// digest is the XOR of a 64-bit hash of (key, version) over its keys, so it
// does not depend on the order keys are visited in, and two replicas that
// hold the same versions of the same keys have equal digests. Versions are
// unique per write, so the value need not be hashed: same version, same write.
import type { StoredEntry } from './entry.js';
import { encodeVersion } from '../version/hlc.js';

/** Buckets per digest: 8 KiB on the wire, and a few hundred keys per bucket at a million shared keys. */
export const DIGEST_BUCKETS = 1024;

const FNV_PRIME = 0x01000193;
const FNV_OFFSET = 0x811c9dc5;
/** A second offset basis, so the digest's two 32-bit lanes are computed apart. */
const SECOND_OFFSET = 0x5bd1e995;

/** 32-bit FNV-1a of a string's UTF-16 code units, continuing from `seed`. */
function fnv1a(text: string, seed: number): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** The bucket of a key: every replica puts a key in the same one, whatever its version. */
export function bucketOf(key: string, buckets = DIGEST_BUCKETS): number {
  return fnv1a(key, FNV_OFFSET) % buckets;
}

/**
 * Which entries two replicas compare: those written before `cutoffMs`, so a
 * write still on its way to its owners does not make buckets differ, and
 * those that do not expire within `horizonMs` after it, so an entry one
 * replica has already dropped as expired is not compared either.
 */
export interface DigestWindow {
  cutoffMs: number;
  horizonMs: number;
}

/** Whether an entry is one the replicas compare in this window; a walk builds the test once. */
export function comparableIn(window: DigestWindow): (entry: StoredEntry) => boolean {
  // Versions sort as strings, and a stamp of the next ms sorts after every version of `cutoffMs`.
  const after = encodeVersion(window.cutoffMs + 1, 0, '');
  const expiresAfter = window.cutoffMs + window.horizonMs;
  return (entry) => entry.version < after && (entry.expiresAt === 0 || entry.expiresAt > expiresAfter);
}

/** The digests of one peer's share of the keys, bucket by bucket, as two 32-bit lanes each. */
export class VersionDigest {
  readonly lanes: Uint32Array;
  /** Entries folded in. */
  count = 0;

  constructor(readonly buckets = DIGEST_BUCKETS) {
    this.lanes = new Uint32Array(buckets * 2);
  }

  add(key: string, version: string): void {
    // The key's hash picks its bucket and seeds the first lane, as bucketOf does.
    const keyHash = fnv1a(key, FNV_OFFSET);
    const bucket = keyHash % this.buckets;
    this.lanes[bucket * 2] = (this.lanes[bucket * 2] as number) ^ fnv1a(version, keyHash);
    this.lanes[bucket * 2 + 1] = (this.lanes[bucket * 2 + 1] as number) ^ fnv1a(version, fnv1a(key, SECOND_OFFSET));
    this.count++;
  }

  /** Little-endian lanes, base64: what travels in a digest request. */
  encode(): string {
    const bytes = Buffer.alloc(this.lanes.length * 4);
    this.lanes.forEach((lane, i) => bytes.writeUInt32LE(lane, i * 4));
    return bytes.toString('base64');
  }

  /** A peer's encoded digest; undefined when it is not one of `buckets` buckets. */
  static decode(text: string, buckets: number): VersionDigest | undefined {
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length !== buckets * 8) return undefined;
    const digest = new VersionDigest(buckets);
    for (let i = 0; i < digest.lanes.length; i++) digest.lanes[i] = bytes.readUInt32LE(i * 4);
    return digest;
  }

  /** The buckets whose digests differ from another's with as many buckets. */
  differingBuckets(other: VersionDigest): number[] {
    const differ: number[] = [];
    for (let bucket = 0; bucket < this.buckets; bucket++) {
      if (this.lanes[bucket * 2] !== other.lanes[bucket * 2] || this.lanes[bucket * 2 + 1] !== other.lanes[bucket * 2 + 1]) {
        differ.push(bucket);
      }
    }
    return differ;
  }
}
