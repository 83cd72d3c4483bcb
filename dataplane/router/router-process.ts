// Wires a router (the CLI role `client`): the member watcher feeds the ring
// view; the public API routes every key through it. While ZooKeeper is
// unreachable the last view stays in force.
import type { DataplaneConfig } from '../config/settings.js';
import { closeServer, createApp, listen, listenSecure } from '../http/app.js';
import { MemberWatcher } from '../membership/member-watcher.js';
import { RingFollower } from '../membership/ring-follower.js';
import { StallFence, stallThresholdMs } from '../membership/stall-fence.js';
import { reportConnection, ZkSession } from '../membership/zk-session.js';
import { logMetrics } from '../observability/log-metrics.js';
import type { LogSink } from '../observability/log-sink.js';
import type { Logger } from '../observability/logger.js';
import { DataplaneMetrics } from '../observability/metrics.js';
import { placementMetrics } from '../observability/placement-metrics.js';
import type { RunningProcess } from '../running-process.js';
import type { ClusterCredential } from '../security/cluster-credential.js';
import type { ClientCredential } from '../security/client-credential.js';
import type { TlsCredential } from '../security/tls-credential.js';
import { clientAuthGuard } from '../http/client-auth-guard.js';
import { DirectRoutes } from '../http/direct-routes.js';
import { listenMetrics, METRICS_CLOSE_MS } from '../http/metrics-port.js';
import { HybridLogicalClock } from '../version/hlc.js';
import { RouterBackend, routingView } from './router-backend.js';
import { routerRoutes } from './router-routes.js';
import { ServerChannels } from '../transport/server-channels.js';
import type { Server } from 'node:http';
import type { Server as SecureServer } from 'node:https';
import { hostname } from 'node:os';
import type { SecureContextOptions } from 'node:tls';
import type Koa from 'koa';

/** How long a stopping router waits for in-flight requests. */
const ROUTER_DRAIN_MS = 10_000;

/**
 * The public port and, when METRICS_PORT is set, the metrics port: plain
 * HTTP, or HTTPS on both with the pair the credential keeps re-reading.
 */
async function listenPorts(
  app: Koa, direct: DirectRoutes, config: DataplaneConfig, metrics: DataplaneMetrics, logger: Logger, tls: TlsCredential | undefined,
): Promise<{ server: Server | SecureServer; metricsServer: Server | SecureServer | undefined }> {
  const server = tls === undefined ? await listen(app, config.host, config.port, direct) : await listenSecure(app, config.host, config.port, tls.secureContextOptions, direct);
  const metricsServer = await listenMetrics(config, metrics, logger, tls?.secureContextOptions);
  if (tls !== undefined) {
    // Both ports speak HTTPS here; one reload renews both.
    const secure = [server, metricsServer].filter((s) => s !== undefined) as SecureServer[];
    const everyPort = { setSecureContext: (options: SecureContextOptions) => secure.forEach((s) => s.setSecureContext(options)) };
    tls.watch(everyPort, { reloads: metrics.tlsReloads, reloadFailures: metrics.tlsReloadFailures, expiry: metrics.tlsCertificateExpiry }, logger);
  }
  return { server, metricsServer };
}

/**
 * `clientCredential`: client auth is on, and the public API wants its bearer
 * tokens. `tls`: the public port speaks HTTPS only, probes and /metrics
 * included (README "Security").
 */
export async function startRouter(
  config: DataplaneConfig,
  credential: ClusterCredential,
  logger: Logger,
  logSink: LogSink,
  clientCredential?: ClientCredential,
  tls?: TlsCredential,
): Promise<RunningProcess> {
  const metrics = new DataplaneMetrics('client');
  logMetrics(logSink, metrics);
  const view = routingView(config.replicationFactor);
  placementMetrics(metrics, view);
  const channels = new ServerChannels(credential, config.coalesce);
  // Each router stamps its own writes; its id breaks ties between routers.
  const clock = new HybridLogicalClock(`${hostname()}:${config.port}:${process.pid}`);

  const session = new ZkSession(config.zkConnect, config.zkSessionTimeoutMs, logger);
  reportConnection(session, metrics.zookeeperConnected);
  const watcher = new MemberWatcher(session, config.cacheName, logger);
  const follower = new RingFollower(watcher, { view, channels, metrics, logger });
  const fence = new StallFence(stallThresholdMs(config.zkSessionTimeoutMs), () => watcher.refresh(), logger);
  watcher.on('read', (startedAt) => fence.confirmed(startedAt));

  const backend = new RouterBackend(view, channels, clock, metrics, logger, fence);
  const notReadyReason = (): string | undefined => fence.fencedReason() ?? (backend.isReady() ? undefined : 'no cache server in the ring');
  const guard = clientCredential === undefined ? undefined : clientAuthGuard(clientCredential, metrics.clientAuthFailures);
  const routes = routerRoutes(backend, { notReadyReason }, metrics);
  const app = createApp(routes, metrics, logger, guard);
  // The public single-key routes are answered outside Koa (http/direct-routes.ts).
  const direct = new DirectRoutes(metrics.requests, logger).serve(routes, guard);
  const { server, metricsServer } = await listenPorts(app, direct, config, metrics, logger, tls);
  logger.info(
    { host: config.host, port: config.port, clientAuth: guard !== undefined, tls: tls === undefined ? false : { serial: tls.pair.serialNumber, notAfter: tls.pair.notAfter.toISOString() } },
    'client listening',
  );
  session.start();
  fence.start();

  return {
    async shutdown() {
      fence.stop();
      follower.stop();
      await closeServer(server, ROUTER_DRAIN_MS);
      if (metricsServer !== undefined) await closeServer(metricsServer, METRICS_CLOSE_MS);
      watcher.stop();
      session.close();
      await channels.closeAll();
      clientCredential?.stop();
      tls?.stop();
      logger.info('client stopped');
    },
  };
}
