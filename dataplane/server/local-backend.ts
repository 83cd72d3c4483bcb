// The public API served by a server straight from its own store: what a
// user gets when talking to one server directly (no replication).
import type { CacheBackend, WriteRequest } from '../api/backend.js';
import type { DataplaneMetrics } from '../observability/metrics.js';
import type { RingDescription } from '../ring/ring-view.js';
import type { VersionedStore } from '../store/versioned-store.js';
import type { HybridLogicalClock } from '../version/hlc.js';

export class LocalBackend implements CacheBackend {
  constructor(
    private readonly store: VersionedStore,
    private readonly clock: HybridLogicalClock,
    private readonly metrics: DataplaneMetrics,
    private readonly ring: () => RingDescription,
    private readonly ready: () => boolean,
  ) {}

  async getMany(keys: readonly string[]): Promise<Array<string | undefined>> {
    return keys.map((key) => {
      const value = this.store.get(key)?.value;
      if (value === undefined) this.metrics.misses.inc();
      else this.metrics.hits.inc();
      return value;
    });
  }

  async setMany(writes: readonly WriteRequest[]): Promise<void> {
    const now = Date.now();
    // An entry too large for the store throws EntryTooLargeError: a 413.
    for (const { key, value, ttlSeconds } of writes) this.store.set(key, value, this.clock.next(), ttlSeconds ? now + ttlSeconds * 1000 : 0);
  }

  async delete(key: string): Promise<boolean> {
    return this.store.delete(key, this.clock.next()).existed;
  }

  describeRing(): RingDescription {
    return this.ring();
  }

  isReady(): boolean {
    return this.ready();
  }
}
