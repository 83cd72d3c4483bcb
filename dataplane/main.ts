// Entry point: `node dist/dataplane/main.js server|client [flags]`.
import { SETTINGS, type Role } from './config/contract.js';
import { ConfigError, parseConfig, usage } from './config/settings.js';
import { armExitWatchdog } from './exit-watchdog.js';
import { LogSink } from './observability/log-sink.js';
import { createLogger } from './observability/logger.js';
import { ClientCredential } from './security/client-credential.js';
import { ClusterCredential } from './security/cluster-credential.js';
import { TlsCredential } from './security/tls-credential.js';
import { startRouter } from './router/router-process.js';
import type { RunningProcess } from './running-process.js';
import { startServer } from './server/server-process.js';

const ROLES: readonly Role[] = ['server', 'client'];

/** How long a stopped process waits for stdout's reader to take its last lines. */
const LOG_FLUSH_MS = 2000;
/** The safety exit comes this long after the drain timeout. */
const SAFETY_EXIT_AFTER_DRAIN_MS = 15_000;
/** The watchdog kills this long after the safety exit, which only a stuck event loop can miss. */
const WATCHDOG_AFTER_SAFETY_MS = 5000;

async function main(argv: readonly string[]): Promise<void> {
  const [role, ...flags] = argv;
  if (role === '--help' || role === '-h' || flags.includes('--help')) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  if (!ROLES.includes(role as Role)) {
    process.stderr.write(`distributed-cache: the first argument must be "server" or "client"\n${usage()}\n`);
    process.exit(2);
  }
  let config;
  let credential;
  let clientCredential;
  let tls;
  try {
    config = parseConfig(role as Role, process.env, flags);
    credential = await ClusterCredential.open(config.clusterToken);
    if (config.clientTokensFile !== undefined) clientCredential = await ClientCredential.open(config.clientTokensFile);
    if (config.tls !== undefined) tls = await TlsCredential.open(config.tls);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`distributed-cache ${role}: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  // Never blocks on stdout, whatever its reader does (docs/architecture.md, "Logs never block").
  const logSink = new LogSink(process.stdout);
  const logger = createLogger(config.logLevel, { role: config.role, ...(config.role === 'server' ? { node: config.nodeId } : {}) }, logSink);
  if (credential.insecure) {
    logger.warn(
      `INSECURE: started without a cluster token. Anyone who can reach this process can call its internal routes: read every key, and write any version. Set ${SETTINGS.clusterToken.env} or ${SETTINGS.clusterTokenFile.env} outside local experiments.`,
    );
  }
  credential.watch(logger);
  clientCredential?.watch(logger);
  let running: RunningProcess | undefined;
  let stopping = false;
  const exitAfterFlush = async (code: number): Promise<never> => {
    await logSink.flush(LOG_FLUSH_MS);
    process.exit(code);
  };
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    // A second chance for a stuck shutdown: never outlive the drain by much.
    const safetyExitMs = config.drainTimeoutMs + SAFETY_EXIT_AFTER_DRAIN_MS;
    armExitWatchdog(safetyExitMs + WATCHDOG_AFTER_SAFETY_MS, (error) => logger.warn({ err: error }, 'exit watchdog failed; only the safety exit bounds this shutdown'));
    setTimeout(() => process.exit(1), safetyExitMs).unref();
    logger.info({ signal }, 'stopping');
    Promise.resolve(running?.shutdown())
      .then(() => exitAfterFlush(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        return exitAfterFlush(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (error) => logger.error({ err: error }, 'unhandled rejection'));

  running = config.role === 'server'
    ? await startServer(config, credential, logger, logSink)
    : await startRouter(config, credential, logger, logSink, clientCredential, tls);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`distributed-cache: failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
