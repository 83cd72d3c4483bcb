// The data plane's process contract: the environment variables and flags a
// server or router reads, its default ports and the unit syntax of its values.
// The operator builds pods from this same module, so it imports nothing else
// from dataplane/. Pure, and imports nothing.

/** The CLI's first argument; `client` is the router. */
export type Role = 'server' | 'client';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where each role listens unless PORT says otherwise. */
export const DEFAULT_PORT = { server: 8080, client: 5000 } as const satisfies Record<Role, number>;
/**
 * The port the operator gives METRICS_PORT in its pods: /metrics alone, so that
 * a NetworkPolicy can let scrapers reach it and nothing else. 9464 is the
 * port OpenTelemetry's Prometheus exporter made common.
 */
export const OPERATOR_METRICS_PORT = 9464;
/** ZooKeeper's client port, which ZK_CONNECT names. */
export const ZOOKEEPER_CLIENT_PORT = 2181;

/** ZK_CONNECT's syntax: host:port pairs, then an optional chroot (also the CRD's pattern for it). */
export const ZK_CONNECT_PATTERN = '^[^\\s,/]+:[0-9]+(,[^\\s,/]+:[0-9]+)*(/[^\\s]*)?$';

/** Read for ADVERTISE_ADDRESS's default; Kubernetes sets it from the pod's IP. */
export const POD_IP_ENV = 'POD_IP';

// The defaults and bounds below are also the CRD's for the spec fields behind
// these settings, so a cache that leaves a field out runs what a bare server
// would, and the API server refuses what a server would refuse.

/** REPLICATION_FACTOR's default and bounds (spec.replicationFactor). */
export const DEFAULT_REPLICATION_FACTOR = 2;
export const REPLICATION_FACTOR_RANGE = { min: 1, max: 16 } as const;
/** MAX_MEMORY's default and the least it may be (spec.servers.maxMemory). */
export const DEFAULT_MAX_MEMORY = '256Mi';
export const MAX_MEMORY_FLOOR = '1Mi';
/** DRAIN_TIMEOUT's default (spec.servers.drainTimeoutSeconds). */
export const DEFAULT_DRAIN_TIMEOUT_SECONDS = 30;
/** ANTI_ENTROPY_INTERVAL's default (docs/consistency.md, "Replicas converge by themselves"). */
export const DEFAULT_ANTI_ENTROPY_INTERVAL_MS = 30_000;

export interface SettingSpec {
  env: string;
  /** None for a secret: a flag's value is visible to anyone who can list processes. */
  flag?: string;
  /** A switch: its flag alone means true. */
  boolean?: true;
  roles: readonly Role[];
  describe: string;
}

export const SETTINGS = {
  zkConnect: { env: 'ZK_CONNECT', flag: '--zk-connect', roles: ['server', 'client'], describe: `ZooKeeper connect string (default 127.0.0.1:${ZOOKEEPER_CLIENT_PORT})` },
  zkSessionTimeout: { env: 'ZK_SESSION_TIMEOUT', flag: '--zk-session-timeout', roles: ['server', 'client'], describe: 'ZooKeeper session timeout (default 10s)' },
  cacheName: { env: 'CACHE_NAME', flag: '--cache-name', roles: ['server', 'client'], describe: 'which cache; its ZooKeeper root is /distributed-cache/<CACHE_NAME> (default "default")' },
  host: { env: 'HOST', flag: '--host', roles: ['server', 'client'], describe: 'bind address (default 0.0.0.0)' },
  port: { env: 'PORT', flag: '--port', roles: ['server', 'client'], describe: `listen port (default: server ${DEFAULT_PORT.server}, client ${DEFAULT_PORT.client})` },
  metricsPort: { env: 'METRICS_PORT', flag: '--metrics-port', roles: ['server', 'client'], describe: `also serve /metrics, and nothing else, on this port, in the public port's scheme (default: none, /metrics on PORT only; the operator sets ${OPERATOR_METRICS_PORT})` },
  nodeId: { env: 'NODE_ID', flag: '--node-id', roles: ['server'], describe: 'unique member id (default: hostname)' },
  advertiseAddress: { env: 'ADVERTISE_ADDRESS', flag: '--advertise-address', roles: ['server'], describe: `host:port where routers and peers reach this server (default $${POD_IP_ENV}:$PORT, else HOST:PORT)` },
  zone: { env: 'ZONE', flag: '--zone', roles: ['server'], describe: 'its zone (the node\'s topology.kubernetes.io/zone): a key\'s copies go to distinct zones (default: none known, a zone of its own)' },
  nodeName: { env: 'NODE_NAME', flag: '--node-name', roles: ['server'], describe: 'its machine (the Kubernetes node): copies go to distinct nodes when zones run out (default: none known, a node of its own)' },
  placement: { env: 'PLACEMENT', flag: '--placement', roles: ['server'], describe: 'zone|node|none: how a key\'s copies are spread; the weakest any server runs with is in force (default zone)' },
  replicationFactor: { env: 'REPLICATION_FACTOR', flag: '--replication-factor', roles: ['server', 'client'], describe: `copies of each key (default ${DEFAULT_REPLICATION_FACTOR})` },
  maxMemory: { env: 'MAX_MEMORY', flag: '--max-memory', roles: ['server'], describe: `LRU bound on stored bytes, e.g. 256Mi (default ${DEFAULT_MAX_MEMORY})` },
  maxEntries: { env: 'MAX_ENTRIES', flag: '--max-entries', roles: ['server'], describe: 'optional LRU bound on the number of keys' },
  drainTimeout: { env: 'DRAIN_TIMEOUT', flag: '--drain-timeout', roles: ['server'], describe: `longest hand-off on SIGTERM (default ${DEFAULT_DRAIN_TIMEOUT_SECONDS}s)` },
  leaveNotice: { env: 'LEAVE_NOTICE', flag: '--leave-notice', roles: ['server'], describe: 'on SIGTERM, stay registered as leaving at least this long, so peers\' readiness probes see the hand-off (default 0s; the operator sets 3s)' },
  antiEntropyInterval: { env: 'ANTI_ENTROPY_INTERVAL', flag: '--anti-entropy-interval', roles: ['server'], describe: 'how often a server compares the versions it shares with each peer and repairs what differs (default 30s; 0 turns it off; at least 1s)' },
  coalesce: { env: 'ROUTER_COALESCE', flag: '--router-coalesce', roles: ['client'], describe: 'on|off: batch requests for the same server per event-loop turn (default on; off only to measure what it buys)' },
  clusterToken: { env: 'CLUSTER_TOKEN', roles: ['server', 'client'], describe: 'the shared token every internal call carries; sent and accepted (README "Security")' },
  clusterTokenPrevious: { env: 'CLUSTER_TOKEN_PREVIOUS', roles: ['server', 'client'], describe: 'the token before a rotation: still accepted, and sent when a peer refuses the current one' },
  clusterTokenFile: { env: 'CLUSTER_TOKEN_FILE', flag: '--cluster-token-file', roles: ['server', 'client'], describe: 'instead of CLUSTER_TOKEN: a file with the current token on its first line, the previous one on an optional second; re-read every 2s' },
  clientTokensFile: { env: 'CLIENT_TOKENS_FILE', flag: '--client-tokens-file', roles: ['client'], describe: 'turns client auth on: a file of bearer tokens, one per line (# comments), that the public API requires; re-read every 2s (README "Security")' },
  tlsCert: { env: 'TLS_CERT_FILE', flag: '--tls-cert', roles: ['client'], describe: 'with TLS_KEY_FILE: serve the public API over HTTPS with this PEM certificate (chain); both files re-read every 2s (README "Security")' },
  tlsKey: { env: 'TLS_KEY_FILE', flag: '--tls-key', roles: ['client'], describe: 'with TLS_CERT_FILE: the PEM private key of that certificate' },
  insecure: { env: 'INSECURE', flag: '--insecure', boolean: true, roles: ['server', 'client'], describe: 'true: start without a cluster token, leaving internal routes open to anyone (local experiments only)' },
  logLevel: { env: 'LOG_LEVEL', flag: '--log-level', roles: ['server', 'client'], describe: `pino level: ${LOG_LEVELS.join(', ')} (default info)` },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

// Unit parsers: they return undefined for input they cannot read, so the caller can name the setting.

/**
 * A byte size as a Kubernetes quantity, `1048576`, `256Mi`, `1G`: the sizes
 * both Kubernetes and parseByteSize read (also the CRD's pattern for
 * spec.servers.maxMemory).
 */
export const BYTE_SIZE_PATTERN = '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$';
const BYTE_SIZE = new RegExp(BYTE_SIZE_PATTERN);
const BYTE_MULTIPLIERS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Reads a byte size written as BYTE_SIZE_PATTERN says, or with `K` for kilo. */
export function parseByteSize(text: string): number | undefined {
  // Kubernetes spells kilo `k` only; MAX_MEMORY has always taken `K` as well.
  const size = text.trim().replace(/K$/, 'k');
  const match = BYTE_SIZE.exec(size);
  if (!match) return undefined;
  const suffix = match[2];
  const amount = Number(suffix === undefined ? size : size.slice(0, -suffix.length));
  const multiplier = suffix === undefined ? 1 : (BYTE_MULTIPLIERS[suffix] as number);
  const bytes = Math.floor(amount * multiplier);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Reads a Go-style duration (`500ms`, `30s`, `1m30s`) into milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let index = 0;
  while (index < trimmed.length) {
    part.lastIndex = index;
    const match = part.exec(trimmed);
    if (!match) return undefined;
    total += Number(match[1]) * (DURATION_UNITS[match[2] as string] as number);
    index = part.lastIndex;
  }
  return index > 0 ? Math.round(total) : undefined;
}
