// METRICS_PORT: a second listener that serves /metrics and nothing else, in
// the public port's scheme, so that a NetworkPolicy can let scrapers reach
// the metrics and not the data (docs/operator.md, "Network policies"). It has
// the public port's connection guards; probes stay on the public port.
import type { Server } from 'node:http';
import type { Server as SecureServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { DataplaneMetrics } from '../observability/metrics.js';
import { createApp, listen, listenSecure } from './app.js';
import { metricsRoutes } from './health-routes.js';

/** How long a stopping process waits for a scrape in flight: one takes milliseconds. */
export const METRICS_CLOSE_MS = 1000;

/** Listens on host:port when a metrics port is configured; undefined otherwise. */
export async function listenMetrics(
  { host, metricsPort }: { host: string; metricsPort: number | undefined },
  metrics: DataplaneMetrics,
  logger: Logger,
  tls?: SecureContextOptions,
): Promise<Server | SecureServer | undefined> {
  if (metricsPort === undefined) return undefined;
  const app = createApp(metricsRoutes(metrics), metrics, logger);
  const server = tls === undefined ? await listen(app, host, metricsPort) : await listenSecure(app, host, metricsPort, tls);
  logger.info({ host, port: metricsPort, tls: tls !== undefined }, 'metrics listening');
  return server;
}
