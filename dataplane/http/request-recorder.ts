// The one request recorder for every dispatcher: each request is counted
// and timed once answered, by route template (never by raw path, so keys do
// not become label values). Koa's two tiers are recorded by the middleware,
// labelled with the template the route table or @koa/router matched; the
// direct routes call recordRequest themselves.
import type { Middleware } from 'koa';
import type { RequestMetrics } from '../observability/request-metrics.js';

/** @koa/router leaves the template it matched on the context, under this name. */
interface MatchedRoute {
  _matchedRoute?: string;
}

/** Labels a Koa request with its route template, as @koa/router does (the route table's fast path). */
export function markRoute(ctx: object, template: string): void {
  (ctx as MatchedRoute)._matchedRoute = template;
}

/** Records one answered request; `started` is its performance.now() on arrival. */
export function recordRequest(metrics: RequestMetrics, route: string, method: string, status: number, started: number): void {
  metrics.record(route, method, status, (performance.now() - started) / 1000);
}

export function requestsMiddleware(metrics: RequestMetrics): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      recordRequest(metrics, (ctx as MatchedRoute)._matchedRoute ?? 'unmatched', ctx.method, ctx.status, started);
    }
  };
}
