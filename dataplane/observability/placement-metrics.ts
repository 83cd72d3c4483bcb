// What the placement in force gives, as metrics (ring/placement-report.ts):
// zone safety, the keys a zone or node would take with it, and on a server
// its own share of the keyspace. Computed when scraped, once per ring, since
// a report hashes thousands of sample keys (~20 ms) and rings change rarely.
import { Gauge } from 'prom-client';
import { keyspaceReport, type KeyspaceReport } from '../ring/placement-report.js';
import type { Ring } from '../ring/ring.js';
import type { RingView } from '../ring/ring-view.js';
import type { DataplaneMetrics } from './metrics.js';

/** Registers the placement gauges over `view`; `selfId` (a server's) adds its share of the keyspace. */
export function placementMetrics(metrics: DataplaneMetrics, view: RingView, selfId?: string): void {
  let reportedRing: Ring | undefined;
  let report: KeyspaceReport | undefined;
  const current = (): KeyspaceReport => {
    if (report === undefined || reportedRing !== view.ring) {
      reportedRing = view.ring;
      report = keyspaceReport(view.ring, view.replicationFactor);
    }
    return report;
  };
  const registers = [metrics.registry];

  new Gauge({
    name: 'dcache_ring_zone_safe',
    help: 'Placement in force (label placement) and whether a whole zone can be lost with no key: 1 when every key\'s copies are in R distinct zones; reason says why not',
    labelNames: ['placement', 'reason'] as const,
    registers,
    collect() {
      this.reset();
      const safety = view.zoneSafety();
      this.set({ placement: view.ring.placement, reason: safety.reason }, safety.zoneSafe ? 1 : 0);
    },
  });
  new Gauge({
    name: 'dcache_ring_keys_in_one_zone_ratio',
    help: 'Fraction of the keyspace whose copies are all in one zone (lost with it), estimated over sample keys',
    registers,
    collect() {
      this.set(current().inOneZone);
    },
  });
  new Gauge({
    name: 'dcache_ring_keys_on_one_node_ratio',
    help: 'Fraction of the keyspace whose copies are all on one node (lost with it), estimated over sample keys',
    registers,
    collect() {
      this.set(current().onOneNode);
    },
  });
  if (selfId === undefined) return;
  new Gauge({
    name: 'dcache_keyspace_share_ratio',
    help: 'Fraction of the keyspace of which this server holds a copy once the current change completes (the shares of all servers sum to R)',
    registers,
    collect() {
      this.set(current().shares.get(selfId) ?? 0);
    },
  });
}
