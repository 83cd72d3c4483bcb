// Request counts and latencies, recorded on every request. prom-client hashes
// and validates labels on each inc()/observe() (about a fifth of a server's
// time under load), so these two metrics keep plain counters keyed once per
// label set and become Prometheus samples only when /metrics is scraped.
import type { Metric, Registry } from 'prom-client';

export const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

interface LatencySeries {
  labels: { route: string; method: string };
  /** Observations at or below each bucket's bound (not yet cumulative). */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** One exposition line, in the shape prom-client's registry formats. */
interface Sample {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/** A metric prom-client can scrape: it only needs a name, help, type and get(). */
function scrapeOnly(name: string, help: string, type: 'counter' | 'histogram', values: () => Sample[]): Metric {
  const metric = { name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, aggregator: 'sum', values: values() }) };
  // prom-client types registerMetric() for its own classes, but its registry only calls get().
  return metric as unknown as Metric;
}

/** A label-less counter for the hot path: a plain number, read when scraped. */
export class HotPathCounter {
  private value = 0;

  constructor(registry: Registry, name: string, help: string) {
    registry.registerMetric(scrapeOnly(name, help, 'counter', () => [{ labels: {}, value: this.value }]));
  }

  inc(by = 1): void {
    this.value += by;
  }
}

/** Everything recorded for one route and method. */
interface RouteSeries {
  latency: LatencySeries;
  byStatus: Map<number, { labels: { route: string; method: string; status: string }; value: number }>;
}

export class RequestMetrics {
  /** route → method → series: nested maps, so recording builds no key string per request. */
  private readonly routes = new Map<string, Map<string, RouteSeries>>();

  constructor(registry: Registry) {
    registry.registerMetric(scrapeOnly(
      'dcache_http_requests_total', 'HTTP requests answered, by route template, method and status', 'counter',
      () => this.allSeries().flatMap((series) => [...series.byStatus.values()].map(({ labels, value }) => ({ labels, value }))),
    ));
    registry.registerMetric(scrapeOnly(
      'dcache_http_request_duration_seconds', 'HTTP request latency, by route template and method', 'histogram',
      () => this.allSeries().flatMap((series) => histogramSamples(series.latency)),
    ));
  }

  record(route: string, method: string, status: number, seconds: number): void {
    const series = this.seriesFor(route, method);
    const count = series.byStatus.get(status);
    if (count) count.value++;
    else series.byStatus.set(status, { labels: { route, method, status: String(status) }, value: 1 });

    const { latency } = series;
    for (let bucket = 0; bucket < LATENCY_BUCKETS_SECONDS.length; bucket++) {
      if (seconds <= (LATENCY_BUCKETS_SECONDS[bucket] as number)) {
        latency.buckets[bucket]!++;
        break;
      }
    }
    latency.sum += seconds;
    latency.count++;
  }

  private seriesFor(route: string, method: string): RouteSeries {
    let byMethod = this.routes.get(route);
    if (!byMethod) {
      byMethod = new Map();
      this.routes.set(route, byMethod);
    }
    let series = byMethod.get(method);
    if (!series) {
      series = {
        latency: { labels: { route, method }, buckets: new Float64Array(LATENCY_BUCKETS_SECONDS.length), sum: 0, count: 0 },
        byStatus: new Map(),
      };
      byMethod.set(method, series);
    }
    return series;
  }

  private allSeries(): RouteSeries[] {
    return [...this.routes.values()].flatMap((byMethod) => [...byMethod.values()]);
  }
}

function histogramSamples(series: LatencySeries): Sample[] {
  const name = 'dcache_http_request_duration_seconds';
  const samples: Sample[] = [];
  let cumulative = 0;
  LATENCY_BUCKETS_SECONDS.forEach((bound, i) => {
    cumulative += series.buckets[i] ?? 0;
    samples.push({ metricName: `${name}_bucket`, labels: { ...series.labels, le: bound }, value: cumulative });
  });
  samples.push({ metricName: `${name}_bucket`, labels: { ...series.labels, le: '+Inf' }, value: series.count });
  samples.push({ metricName: `${name}_sum`, labels: series.labels, value: series.sum });
  samples.push({ metricName: `${name}_count`, labels: series.labels, value: series.count });
  return samples;
}
