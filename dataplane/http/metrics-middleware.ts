// Counts and times every request by route template (never by raw path, so
// keys do not become label values).
import type { Middleware } from 'koa';
import type { DataplaneMetrics } from '../observability/metrics.js';

export function metricsMiddleware(metrics: DataplaneMetrics): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequests.inc({ route, method: ctx.method, status: String(ctx.status) });
      metrics.httpDuration.observe({ route, method: ctx.method }, seconds);
    }
  };
}
