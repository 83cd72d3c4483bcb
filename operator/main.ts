// Entry point: `node dist/operator/main.js` runs the controller. It waits to
// hold the leader Lease, then reconciles until SIGTERM (or until it loses the
// Lease, when it exits so that its pod restarts as a candidate).
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { DEFAULT_ZOOKEEPER_IMAGE } from './api/defaults.js';
import { LEASE_NAME, OperatorConfigError, parseOperatorConfig, usage, type OperatorConfig } from './config.js';
import { Controller } from './controller/controller.js';
import { LeaderElector } from './controller/leader-election.js';
import { KubeClient } from './kube/client.js';
import { KubeEventRecorder } from './kube/events.js';
import { startHealthServer } from './observability/health-server.js';
import { OperatorMetrics } from './observability/metrics.js';

const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
/** In-flight reconciles get this long to finish on SIGTERM. */
const SHUTDOWN_TIMEOUT_MS = 20_000;

function packageVersion(): string {
  // dist/operator/main.js, or operator/main.ts under a loader: package.json is two or three levels up.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'latest';
  }
  return 'latest';
}

function readConfig(): OperatorConfig {
  const podNamespace = existsSync(SERVICE_ACCOUNT_NAMESPACE_FILE) ? readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, 'utf8').trim() : undefined;
  try {
    return parseOperatorConfig(process.env, { ...(podNamespace ? { podNamespace } : {}), version: packageVersion() });
  } catch (error) {
    if (error instanceof OperatorConfigError) {
      process.stderr.write(`distributed-cache operator: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/** KUBECONFIG, else ~/.kube/config, else the pod's service account (in a cluster). */
function loadKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const config = readConfig();
  const identity = `${hostname()}_${randomUUID().slice(0, 8)}`;
  const logger: Logger = pino({ level: config.logLevel, base: { component: 'operator', identity, pid: process.pid } });
  const metrics = new OperatorMetrics();
  const client = new KubeClient(loadKubeConfig());
  client.observer = (verb, resource, code) => metrics.apiRequests.inc({ verb, resource, code: String(code) });
  const elector = new LeaderElector({ client, namespace: config.leaderElectionNamespace, name: LEASE_NAME, identity, logger });
  let controller: Controller | undefined;

  const health: Server = await startHealthServer(
    config.healthPort,
    {
      // A standby replica is ready (to take over); a leader once its informers hold a complete copy.
      notReadyReason: () => (elector.isLeader && controller?.synced !== true ? 'informers are syncing' : undefined),
    },
    metrics.registry,
  );
  logger.info(config, 'operator starting');

  const stopping = new AbortController();
  let shutdown: Promise<void> | undefined;
  const stop = (signal: string): Promise<void> =>
    (shutdown ??= (async () => {
      logger.info({ signal }, 'stopping');
      setTimeout(() => process.exit(1), SHUTDOWN_TIMEOUT_MS).unref();
      stopping.abort();
      await controller?.stop();
      await elector.release();
      metrics.leader.set(0);
      health.close();
      client.close();
      logger.info('stopped');
    })());
  process.on('SIGTERM', () => void stop('SIGTERM').then(() => process.exit(0)));
  process.on('SIGINT', () => void stop('SIGINT').then(() => process.exit(0)));
  process.on('unhandledRejection', (error) => logger.error({ err: error }, 'unhandled rejection'));

  try {
    await elector.acquire(stopping.signal);
  } catch {
    return; // stopped while waiting
  }
  metrics.leader.set(1);
  controller = new Controller({
    client,
    namespaces: config.watchNamespaces,
    defaults: { dataplaneImage: config.dataplaneImage, zookeeperImage: DEFAULT_ZOOKEEPER_IMAGE },
    events: new KubeEventRecorder(client, hostname(), logger),
    metrics,
    logger,
  });
  await controller.start();
  const outcome = await elector.holdUntilLost(stopping.signal);
  if (outcome === 'lost') {
    // Another replica leads now; carrying on would make two writers.
    metrics.leader.set(0);
    await controller.stop();
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`distributed-cache operator: failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
