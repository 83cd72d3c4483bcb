// The metrics the processes really export, read from the registries that the
// code builds (not from a list): a server's, a router's and the operator's.
import type { Registry } from 'prom-client';
import { PassThrough } from 'node:stream';
import { logMetrics } from '../../dataplane/observability/log-metrics.js';
import { LogSink } from '../../dataplane/observability/log-sink.js';
import { DataplaneMetrics } from '../../dataplane/observability/metrics.js';
import { placementMetrics } from '../../dataplane/observability/placement-metrics.js';
import { RingView } from '../../dataplane/ring/ring-view.js';
import { storeMetrics } from '../../dataplane/server/store-metrics.js';
import { VersionedStore } from '../../dataplane/store/versioned-store.js';
import { OperatorMetrics } from '../../operator/observability/metrics.js';

export interface ExportedMetric {
  name: string;
  type: string;
  /** Which processes export it. */
  exporters: string[];
}

/** What each process registers, wired as server-process.ts, router-process.ts and operator/main.ts wire it. */
function registries(): Record<string, Registry> {
  const server = new DataplaneMetrics('server');
  logMetrics(new LogSink(new PassThrough()), server);
  storeMetrics(new VersionedStore({ maxBytes: 1 << 20 }), server);
  placementMetrics(server, new RingView(2), 'server-1');
  const router = new DataplaneMetrics('client');
  logMetrics(new LogSink(new PassThrough()), router);
  placementMetrics(router, new RingView(2));
  return {
    server: server.registry,
    router: router.registry,
    operator: new OperatorMetrics().registry,
  };
}

export async function exportedMetrics(): Promise<Map<string, ExportedMetric>> {
  const metrics = new Map<string, ExportedMetric>();
  for (const [exporter, registry] of Object.entries(registries())) {
    for (const { name, type } of await registry.getMetricsAsJSON()) {
      const known = metrics.get(name);
      if (known) known.exporters.push(exporter);
      else metrics.set(name, { name, type: String(type), exporters: [exporter] });
    }
  }
  return metrics;
}

/** The names a query can select: a histogram or summary also has its _bucket/_sum/_count series. */
export function seriesNames(metrics: Iterable<ExportedMetric>): Set<string> {
  const names = new Set<string>();
  for (const { name, type } of metrics) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}
