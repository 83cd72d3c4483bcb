// Store gauges, read from the store when Prometheus scrapes.
import { Gauge } from 'prom-client';
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
  new Gauge({
    name: 'dcache_store_evictions', help: 'Keys evicted by the LRU since start (a counter exposed as a gauge)', registers,
    collect() { this.set(store.evictions); },
  });
}
