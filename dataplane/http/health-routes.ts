// Liveness, readiness and Prometheus metrics: the same on both roles.
import { RouteTable } from './route-table.js';
import { ServiceUnavailableError } from '../protocol/errors.js';
import { RETRY_AFTER_SECONDS } from '../protocol/limits.js';
import type { DataplaneMetrics } from '../observability/metrics.js';

export interface Readiness {
  /** Undefined when ready; otherwise the reason it is not. */
  notReadyReason(): string | undefined;
}

export function healthRoutes(readiness: Readiness, metrics: DataplaneMetrics, router = new RouteTable()): RouteTable {
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', (ctx) => {
    const reason = readiness.notReadyReason();
    if (reason !== undefined) throw new ServiceUnavailableError(`not ready: ${reason}`, RETRY_AFTER_SECONDS);
    ctx.body = { status: 'ready' };
  });
  return metricsRoutes(metrics, router);
}

/** Prometheus text: on the public port, and alone on METRICS_PORT (metrics-port.ts). */
export function metricsRoutes(metrics: DataplaneMetrics, router = new RouteTable()): RouteTable {
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  return router;
}
