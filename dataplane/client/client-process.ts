// Wires a router: the member watcher feeds the ring view; the public API
// routes every key through it. While ZooKeeper is unreachable the last view
// stays in force.
import type { DataplaneConfig } from '../config/settings.js';
import { createApp, listen } from '../http/app.js';
import { healthRoutes } from '../http/health-routes.js';
import { publicRoutes } from '../http/public-routes.js';
import { MemberWatcher } from '../membership/member-watcher.js';
import { reportConnection, ZkSession } from '../membership/zk-session.js';
import type { Logger } from '../observability/logger.js';
import { DataplaneMetrics } from '../observability/metrics.js';
import { RingView } from '../ring/ring-view.js';
import { closeServer, type RunningProcess } from '../server/server-process.js';
import { HybridLogicalClock } from '../version/hlc.js';
import { RouterBackend } from './router-backend.js';
import { ServerChannels } from './server-channels.js';
import { hostname } from 'node:os';

/** How long a stopping router waits for in-flight requests. */
const ROUTER_DRAIN_MS = 10_000;

export async function startClient(config: DataplaneConfig, logger: Logger): Promise<RunningProcess> {
  const metrics = new DataplaneMetrics('client');
  const view = new RingView(config.replicationFactor);
  const channels = new ServerChannels();
  // Each router stamps its own writes; its id breaks ties between routers.
  const clock = new HybridLogicalClock(`${hostname()}:${config.port}:${process.pid}`);

  const session = new ZkSession(config.zkConnect, config.zkSessionTimeoutMs, logger);
  reportConnection(session, metrics.zookeeperConnected);
  const watcher = new MemberWatcher(session, config.cacheName, logger);
  watcher.on('members', (members) => {
    if (!view.update(members)) return;
    channels.retainOnly(members);
    metrics.recordRing(view.epoch, view.members);
    logger.info({ epoch: view.epoch, members: view.members }, 'ring changed');
  });

  const backend = new RouterBackend(view, channels, clock, metrics, logger);
  const notReadyReason = (): string | undefined => (backend.isReady() ? undefined : 'no cache server in the ring');
  const app = createApp([healthRoutes({ notReadyReason }, metrics), publicRoutes(backend)], metrics, logger);
  const server = await listen(app, config.host, config.port);
  logger.info({ host: config.host, port: config.port }, 'client listening');
  session.start();

  return {
    async shutdown() {
      await closeServer(server, ROUTER_DRAIN_MS);
      watcher.stop();
      session.close();
      await channels.closeAll();
      logger.info('client stopped');
    },
  };
}
