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

export class RequestMetrics {
  private readonly counts = new Map<string, { labels: { route: string; method: string; status: string }; value: number }>();
  private readonly latency = new Map<string, LatencySeries>();

  constructor(registry: Registry) {
    registry.registerMetric(scrapeOnly(
      'dcache_http_requests_total', 'HTTP requests answered, by route template, method and status', 'counter',
      () => [...this.counts.values()].map(({ labels, value }) => ({ labels, value })),
    ));
    registry.registerMetric(scrapeOnly(
      'dcache_http_request_duration_seconds', 'HTTP request latency, by route template and method', 'histogram',
      () => [...this.latency.values()].flatMap((series) => histogramSamples(series)),
    ));
  }

  record(route: string, method: string, status: number, seconds: number): void {
    const countKey = `${route} ${method} ${status}`;
    const count = this.counts.get(countKey);
    if (count) count.value++;
    else this.counts.set(countKey, { labels: { route, method, status: String(status) }, value: 1 });

    const latencyKey = `${route} ${method}`;
    let series = this.latency.get(latencyKey);
    if (!series) {
      series = { labels: { route, method }, buckets: new Float64Array(LATENCY_BUCKETS_SECONDS.length), sum: 0, count: 0 };
      this.latency.set(latencyKey, series);
    }
    const bucket = LATENCY_BUCKETS_SECONDS.findIndex((bound) => seconds <= bound);
    if (bucket !== -1) series.buckets[bucket]!++;
    series.sum += seconds;
    series.count++;
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
