// The operator's Prometheus metrics (/metrics on HEALTH_PORT).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ApplyReason } from '../reconcile/drift.js';
import type { WriteObserver } from '../reconcile/ports.js';

export class OperatorMetrics implements WriteObserver {
  readonly registry = new Registry();

  readonly reconciles = new Counter({
    name: 'dcache_operator_reconcile_total',
    help: 'Reconciles of a DistributedCache, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly reconcileErrors = new Counter({
    name: 'dcache_operator_reconcile_errors_total',
    help: 'Reconciles that failed (they are retried with backoff).',
    registers: [this.registry],
  });

  readonly reconcileDuration = new Histogram({
    name: 'dcache_operator_reconcile_duration_seconds',
    help: 'How long one reconcile took.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly applies = new Counter({
    name: 'dcache_operator_applies_total',
    help: 'Server-side applies of a child, by kind and why (missing, changed, drifted).',
    labelNames: ['kind', 'reason'] as const,
    registers: [this.registry],
  });

  readonly deletes = new Counter({
    name: 'dcache_operator_deletes_total',
    help: 'Children deleted because the spec no longer asks for them, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly statusWrites = new Counter({
    name: 'dcache_operator_status_writes_total',
    help: 'Writes of a DistributedCache status.',
    registers: [this.registry],
  });

  readonly apiRequests = new Counter({
    name: 'dcache_operator_api_requests_total',
    help: 'Requests to the Kubernetes API (watches excluded), by verb, resource and HTTP code.',
    labelNames: ['verb', 'resource', 'code'] as const,
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'dcache_operator_workqueue_depth',
    help: 'Keys waiting in the work queue.',
    registers: [this.registry],
  });

  readonly leader = new Gauge({
    name: 'dcache_operator_leader',
    help: '1 while this replica holds the leader Lease.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  applied(kind: string, reason: ApplyReason): void {
    this.applies.inc({ kind, reason });
  }

  deleted(kind: string): void {
    this.deletes.inc({ kind });
  }

  statusWritten(): void {
    this.statusWrites.inc();
  }
}
