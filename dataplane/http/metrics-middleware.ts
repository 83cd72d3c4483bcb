// Counts and times every request by route template (never by raw path, so
// keys do not become label values).
import type { Middleware } from 'koa';
import type { DataplaneMetrics } from '../observability/metrics.js';

export function metricsMiddleware(metrics: DataplaneMetrics): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      metrics.requests.record(route, ctx.method, ctx.status, (performance.now() - started) / 1000);
    }
  };
}
