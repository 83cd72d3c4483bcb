// dcache_log_lines_dropped_total, read from the log sink when Prometheus scrapes.
import { Counter } from 'prom-client';
import type { LogSink } from './log-sink.js';
import type { DataplaneMetrics } from './metrics.js';

export function logMetrics(sink: LogSink, metrics: DataplaneMetrics): void {
  // The sink keeps its own count (logging stays free of prom-client, and
  // counts lines dropped before the registry existed); each scrape adds what
  // it grew by since the last one.
  let reported = 0;
  new Counter({
    name: 'dcache_log_lines_dropped_total',
    help: 'Log lines dropped because stdout\'s reader fell 1 MiB behind or was gone (docs/architecture.md, "Logs never block")',
    registers: [metrics.registry],
    collect() {
      const dropped = sink.dropped;
      this.inc(dropped - reported);
      reported = dropped;
    },
  });
}
