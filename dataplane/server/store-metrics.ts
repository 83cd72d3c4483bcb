// Store metrics, read from the store when Prometheus scrapes.
import { Counter, Gauge } from 'prom-client';
import type { DataplaneMetrics } from '../observability/metrics.js';
import type { VersionedStore } from '../store/versioned-store.js';

export function storeMetrics(store: VersionedStore, metrics: DataplaneMetrics): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'dcache_store_keys', help: 'Keys held, tombstones included', registers,
    collect() { this.set(store.keyCount); },
  });
  new Gauge({
    name: 'dcache_store_bytes', help: 'Bytes held, as counted against MAX_MEMORY', registers,
    collect() { this.set(store.bytes); },
  });
  new Gauge({
    name: 'dcache_store_max_bytes', help: 'MAX_MEMORY', registers,
    collect() { this.set(store.limits.maxBytes); },
  });
  // The store keeps its own running count (the eviction path stays free of
  // prom-client); each scrape adds what it grew by since the last one.
  let reported = 0;
  new Counter({
    name: 'dcache_store_evictions_total', help: 'Keys evicted by the LRU since start', registers,
    collect() {
      const evictions = store.evictions;
      this.inc(evictions - reported);
      reported = evictions;
    },
  });
}
