// The server's in-memory store: LRU bounded by bytes (and optionally by count),
// per-key expiry, and versioned writes where the highest version wins. The LRU
// itself is lru-cache; this module adds the cache's rules on top of it.
import { LRUCache } from 'lru-cache';
import { EntryTooLargeError } from '../protocol/errors.js';
import { compareVersions, type Version } from '../version/hlc.js';
import { entryBytes, isExpired, TOMBSTONE_TTL_MS, type StoredEntry } from './entry.js';

export interface StoreLimits {
  maxBytes: number;
  maxEntries?: number | undefined;
}

/** What a versioned write did: stored it, or kept a newer (or equal) version. */
export type WriteOutcome = 'stored' | 'superseded';

export class VersionedStore {
  private readonly lru: LRUCache<string, StoredEntry>;
  private evictionCount = 0;

  constructor(readonly limits: StoreLimits, private readonly now: () => number = Date.now) {
    this.lru = new LRUCache<string, StoredEntry>({
      maxSize: limits.maxBytes,
      ...(limits.maxEntries ? { max: limits.maxEntries } : {}),
      sizeCalculation: (entry, key) => entryBytes(key, entry),
      dispose: (_entry, _key, reason) => {
        if (reason === 'evict') this.evictionCount++;
      },
    });
  }

  /** The live value of a key, or undefined when absent, deleted or expired. */
  get(key: string): { value: string; version: Version } | undefined {
    const entry = this.read(key);
    return entry && entry.value !== null ? { value: entry.value, version: entry.version } : undefined;
  }

  /** The entry for a key, tombstones included; expired entries are dropped here. */
  read(key: string): StoredEntry | undefined {
    const entry = this.lru.get(key);
    if (entry && isExpired(entry, this.now())) {
      this.lru.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Like read, without making the key recently used (for hand-off and repair). */
  peek(key: string): StoredEntry | undefined {
    const entry = this.lru.peek(key);
    return entry && !isExpired(entry, this.now()) ? entry : undefined;
  }

  /** Stores a value or tombstone unless the key already holds a newer or equal version. */
  apply(key: string, entry: StoredEntry): WriteOutcome {
    if (isExpired(entry, this.now())) return 'superseded';
    const current = this.peek(key);
    if (current && compareVersions(current.version, entry.version) >= 0) return 'superseded';
    const bytes = entryBytes(key, entry);
    if (bytes > this.limits.maxBytes) throw new EntryTooLargeError(bytes, this.limits.maxBytes);
    // The size is passed in, so lru-cache does not measure the entry a second time.
    this.lru.set(key, entry, { size: bytes });
    return 'stored';
  }

  set(key: string, value: string, version: Version, expiresAt = 0): WriteOutcome {
    return this.apply(key, { value, version, expiresAt });
  }

  /**
   * Replaces the key with a tombstone; reports whether a live value was there,
   * and the version of what was there (value or tombstone), if anything.
   */
  delete(key: string, version: Version): { outcome: WriteOutcome; existed: boolean; previous?: Version } {
    const current = this.peek(key);
    const existed = current !== undefined && current.value !== null;
    const outcome = this.apply(key, { value: null, version, expiresAt: this.now() + TOMBSTONE_TTL_MS });
    return current === undefined ? { outcome, existed } : { outcome, existed, previous: current.version };
  }

  /** Every unexpired entry, tombstones included, without touching recency. */
  *entries(): Generator<[string, StoredEntry]> {
    const now = this.now();
    for (const [key, entry] of this.lru.entries()) {
      if (!isExpired(entry, now)) yield [key, entry];
    }
  }

  /**
   * A snapshot of the keys held. Hand-off walks this list and peeks each key,
   * so concurrent writes never disturb the walk (and no values are copied).
   */
  keys(): string[] {
    return [...this.lru.keys()];
  }

  /** Drops a key outright (no tombstone): used when a hand-off moved it away. */
  forget(key: string): void {
    this.lru.delete(key);
  }

  get keyCount(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  get evictions(): number {
    return this.evictionCount;
  }
}
