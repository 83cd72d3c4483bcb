// Assembles a role's Koa app from small middlewares, in the order
// metrics → errors → routes, and starts its HTTP server.
//
// A request meets up to three dispatchers, fastest first, all with the same
// error answers (error-answer.ts) and request recorder (request-recorder.ts):
//   1. direct routes (direct-routes.ts): plain node:http in front of Koa, for
//      the internal batch route, which carries every forwarded op and
//      hand-off copy, and the public single-key routes (the route table's
//      plain routes); Koa's per-request work took ~40% of the batch route's time;
//   2. the route table's fast path (route-table.ts): a Map lookup for fixed
//      paths and one trailing :param, since @koa/router composes a fresh
//      middleware chain per request (~30% of a server's GET throughput);
//   3. @koa/router: everything else, HEAD, and the 405 answers.
// README "The hot path" and docs/architecture.md have the measurements.
import { createServer, type Server } from 'node:http';
import { createServer as createSecureServer, type Server as SecureServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import Koa from 'koa';
import type { RouteTable } from './route-table.js';
import type { DirectRoutes, RequestGuard } from './direct-routes.js';
import { CONNECTION_LIMITS, guardConnections, serverTimeouts } from './connection-guard.js';
import { errorsMiddleware } from './errors-middleware.js';
import { requestsMiddleware } from './request-recorder.js';
import { MAX_REQUEST_HEAD_BYTES } from '../protocol/limits.js';
import type { Logger } from '../observability/logger.js';
import type { DataplaneMetrics } from '../observability/metrics.js';

/** A request guard (client auth) in front of every route Koa serves; the direct routes call the same one. */
function guardMiddleware(guard: RequestGuard): Koa.Middleware {
  return (ctx, next) => {
    const refusal = guard(ctx.req, ctx.path);
    if (refusal) throw refusal;
    return next();
  };
}

/**
 * One route table holds every route, so each request is matched once. A
 * `guard` (client auth) runs before any route, its refusals answered and counted as theirs.
 */
export function createApp(routes: RouteTable, metrics: DataplaneMetrics, logger: Logger, guard?: RequestGuard): Koa {
  const app = new Koa();
  // Errors are answered and logged by errorsMiddleware; Koa's own printer stays quiet.
  app.silent = true;
  // Outside the errors middleware, so that a failure is recorded with the status it is answered with.
  app.use(requestsMiddleware(metrics.requests));
  app.use(errorsMiddleware(logger));
  if (guard !== undefined) app.use(guardMiddleware(guard));
  app.use(routes.dispatch());
  app.use(routes.router.routes());
  // Not `throw: true`: @koa/router sets Allow only when it does not throw, and a method it does not
  // implement (TRACE) would throw a 501 that became a 500. errorsMiddleware answers both as 405.
  app.use(routes.router.allowedMethods());
  return app;
}

/** Listens on host:port and resolves once the port is bound; direct routes are answered before Koa. */
export function listen(app: Koa, host: string, port: number, direct?: DirectRoutes, limits = CONNECTION_LIMITS): Promise<Server> {
  const listener = direct ? direct.listener(app.callback()) : app.callback();
  // The head must be large enough for a full-size value sent the prototype's way, in the query string.
  const server = createServer({ maxHeaderSize: MAX_REQUEST_HEAD_BYTES, ...serverTimeouts(limits) });
  guardConnections(server, limits, listener);
  return bind(server, host, port);
}

/**
 * The same over HTTPS (a router with TLS on): the same guards, and a TLS
 * handshake must finish within the head's deadline, else a client could hold
 * a connection for Node's default of 120 s before sending a byte of HTTP.
 * The pair changes later through the server's setSecureContext (security/tls-credential.ts).
 */
export function listenSecure(
  app: Koa, host: string, port: number, tls: SecureContextOptions, direct?: DirectRoutes, limits = CONNECTION_LIMITS,
): Promise<SecureServer> {
  const server = createSecureServer(
    { ...tls, handshakeTimeout: limits.headersTimeoutMs, maxHeaderSize: MAX_REQUEST_HEAD_BYTES, ...serverTimeouts(limits) },
  );
  guardConnections(server, limits, direct ? direct.listener(app.callback()) : app.callback());
  return bind(server, host, port);
}

function bind<T extends Server | SecureServer>(server: T, host: string, port: number): Promise<T> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Stops accepting connections and waits for in-flight requests, up to a deadline. */
export function closeServer(server: Server | SecureServer, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, timeoutMs);
    deadline.unref();
    server.close(() => {
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}
