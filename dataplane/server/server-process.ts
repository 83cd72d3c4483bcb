// Wires a cache server: store, HTTP app, ZooKeeper registration, hand-off,
// and the SIGTERM path (leaving → hand keys off → deregister → finish
// in-flight requests → exit).
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningProcess } from '../running-process.js';
import type { DataplaneConfig } from '../config/settings.js';
import { closeServer, createApp, listen } from '../http/app.js';
import { clusterAuthGuard } from '../http/cluster-auth-guard.js';
import { DirectRoutes } from '../http/direct-routes.js';
import { healthRoutes } from '../http/health-routes.js';
import { listenMetrics, METRICS_CLOSE_MS } from '../http/metrics-port.js';
import { publicRoutes } from '../http/public-routes.js';
import { MemberRegistration } from '../membership/registration.js';
import { MemberWatcher } from '../membership/member-watcher.js';
import { StallFence, stallThresholdMs } from '../membership/stall-fence.js';
import { RingFollower } from '../membership/ring-follower.js';
import { reportConnection, ZkSession } from '../membership/zk-session.js';
import { logMetrics } from '../observability/log-metrics.js';
import type { LogSink } from '../observability/log-sink.js';
import type { Logger } from '../observability/logger.js';
import { DataplaneMetrics } from '../observability/metrics.js';
import { placementMetrics } from '../observability/placement-metrics.js';
import type { Member } from '../ring/member.js';
import { RingView } from '../ring/ring-view.js';
import type { ClusterCredential } from '../security/cluster-credential.js';
import { INTERNAL_PATH_PREFIX } from '../security/cluster-token.js';
import { VersionedStore } from '../store/versioned-store.js';
import { ServerChannels } from '../transport/server-channels.js';
import { HybridLogicalClock } from '../version/hlc.js';
import { AntiEntropy } from './antientropy/anti-entropy.js';
import { HandoffCoordinator } from './handoff/handoff-coordinator.js';
import { pullRoutes } from './handoff/pull-route.js';
import { internalRoutes } from './internal-routes.js';
import { LocalBackend } from './local-backend.js';
import { storeMetrics } from './store-metrics.js';

/** The member a server registers as: it starts every session joining (registration.ts). */
function registeredMember(config: DataplaneConfig): Member {
  const member: Member = { id: config.nodeId, address: config.advertiseAddress, state: 'joining', placement: config.placement };
  if (config.zone !== undefined) member.zone = config.zone;
  if (config.nodeName !== undefined) member.node = config.nodeName;
  return member;
}

/** How long shutdown waits for each ZooKeeper step before going on without it. */
const ZK_SHUTDOWN_STEP_MS = 3000;

export async function startServer(config: DataplaneConfig, credential: ClusterCredential, logger: Logger, logSink: LogSink): Promise<RunningProcess> {
  const metrics = new DataplaneMetrics('server');
  logMetrics(logSink, metrics);
  const store = new VersionedStore({ maxBytes: config.maxMemoryBytes, maxEntries: config.maxEntries });
  storeMetrics(store, metrics);
  const clock = new HybridLogicalClock(config.nodeId);
  const channels = new ServerChannels(credential);

  const session = new ZkSession(config.zkConnect, config.zkSessionTimeoutMs, logger);
  reportConnection(session, metrics.zookeeperConnected);
  const registration = new MemberRegistration(
    session, config.cacheName, registeredMember(config), logger,
  );
  // A server treats a vanished member as gone at once: its keys need new copies.
  const view = new RingView({ replicationFactor: config.replicationFactor, departedGraceMs: 0 });
  placementMetrics(metrics, view, config.nodeId);
  const coordinator = new HandoffCoordinator({
    selfId: config.nodeId, replicationFactor: config.replicationFactor, store, view, registration, session,
    channels, credential, metrics, logger, drainTimeoutMs: config.drainTimeoutMs, zkSessionTimeoutMs: config.zkSessionTimeoutMs,
  });
  const antiEntropy = new AntiEntropy({
    selfId: config.nodeId, replicationFactor: config.replicationFactor, store, view, channels, metrics, logger,
    intervalMs: config.antiEntropyIntervalMs, facts: () => coordinator.settledFacts(),
  });
  const watcher = new MemberWatcher(session, config.cacheName, logger);
  const follower = new RingFollower(watcher, { view, channels, metrics, logger, onChange: (before) => coordinator.onRingChange(before) });
  // A server that was stopped (its node frozen, a long pause) answers the requests that waited in its
  // sockets first, as an owner of a ring that may be long gone: until ZooKeeper confirms its view it takes
  // no write and marks its reads leaving (docs/consistency.md, "A router that was stopped": servers too).
  const fence = new StallFence(stallThresholdMs(config.zkSessionTimeoutMs), () => watcher.refresh(), logger);
  watcher.on('read', (startedAt: number) => fence.confirmed(startedAt));
  const acceptsWrites = (): boolean => coordinator.acceptsWrites() && fence.fencedReason() === undefined;
  fence.start();

  const notServingReason = (): string | undefined => {
    if (!registration.isRegistered) return 'not registered in ZooKeeper yet';
    if (coordinator.memberState === 'joining') return 'joining: receiving its keys';
    if (coordinator.memberState === 'leaving') return 'leaving the cache';
    return undefined;
  };
  const backend = new LocalBackend(store, clock, metrics, () => view.describe(), () => notServingReason() === undefined);
  // Ready means replicated (docs/architecture.md, "Readiness means replicated"): Kubernetes then paces
  // rollouts and evictions on it. The public routes only need the server to serve.
  const router = healthRoutes({ notReadyReason: () => notServingReason() ?? coordinator.notReplicatedReason() }, metrics);
  pullRoutes(store, config.nodeId, router);
  publicRoutes(backend, router);
  const app = createApp(router, metrics, logger);
  // Every internal route, the direct batch route and Koa's pull route alike, is behind the cluster token.
  const guarded = new DirectRoutes(metrics.requests, logger).guard(INTERNAL_PATH_PREFIX, clusterAuthGuard(credential, metrics.internalAuthFailures)).serve(router);
  const direct = antiEntropy.routes(internalRoutes(store, metrics, acceptsWrites, guarded));
  const server: Server = await listen(app, config.host, config.port, direct);
  logger.info({ host: config.host, port: config.port, advertise: config.advertiseAddress }, 'server listening');
  const metricsServer = await listenMetrics(config, metrics, logger);
  if (/^(0\.0\.0\.0|\[?::\]?):/.test(config.advertiseAddress)) {
    logger.warn({ advertise: config.advertiseAddress }, 'advertising a wildcard address; set ADVERTISE_ADDRESS or POD_IP so peers on other hosts can reach this server');
  }

  // ZooKeeper may come up after us: wait for it instead of failing.
  session.start();
  await registration.waitUntilRegistered();
  antiEntropy.start();

  return {
    async shutdown() {
      logger.info('leaving the cache');
      fence.stop();
      const noticeEnds = Date.now() + config.leaveNoticeMs;
      antiEntropy.stop();
      await coordinator.drain();
      // Stay visible as leaving until every peer's readiness probe has seen it (LEAVE_NOTICE).
      await sleep(Math.max(0, noticeEnds - Date.now()));
      // ZooKeeper may be down at this moment; the session's end removes the znode anyway.
      await settleWithin(registration.deregister(), ZK_SHUTDOWN_STEP_MS);
      coordinator.stop();
      follower.stop();
      watcher.stop();
      await closeServer(server, config.drainTimeoutMs);
      if (metricsServer !== undefined) await closeServer(metricsServer, METRICS_CLOSE_MS);
      await channels.closeAll();
      session.close();
      logger.info({ keys: store.keyCount }, 'server stopped');
    },
  };
}

/** Waits for a promise, but never longer than ms, and never throws. */
function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    promise.catch(() => undefined).finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
