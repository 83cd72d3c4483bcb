// The data plane's configuration: each setting of the contract's table, read
// from its flag or environment variable and checked.
import { hostname } from 'node:os';
import {
  DEFAULT_ANTI_ENTROPY_INTERVAL_MS,
  DEFAULT_DRAIN_TIMEOUT_SECONDS,
  DEFAULT_MAX_MEMORY,
  DEFAULT_PORT,
  DEFAULT_REPLICATION_FACTOR,
  LOG_LEVELS,
  MAX_MEMORY_FLOOR,
  parseByteSize,
  parseDurationMs,
  POD_IP_ENV,
  REPLICATION_FACTOR_RANGE,
  SETTINGS,
  ZK_CONNECT_PATTERN,
  ZOOKEEPER_CLIENT_PORT,
  type LogLevel,
  type Role,
  type SettingName,
  type SettingSpec,
} from './contract.js';
import { tokenProblem, type TokenSetting } from '../security/cluster-token.js';
import { FAILURE_DOMAIN_PATTERN, PLACEMENT_MODES, type PlacementMode } from '../ring/member.js';

export interface DataplaneConfig {
  role: Role;
  zkConnect: string;
  zkSessionTimeoutMs: number;
  cacheName: string;
  host: string;
  port: number;
  /** A second port that serves /metrics alone, when set. */
  metricsPort: number | undefined;
  nodeId: string;
  advertiseAddress: string;
  /** Its zone and node, when known (docs/architecture.md "Placement"). */
  zone: string | undefined;
  nodeName: string | undefined;
  placement: PlacementMode;
  replicationFactor: number;
  maxMemoryBytes: number;
  maxEntries: number | undefined;
  drainTimeoutMs: number;
  /** The least time a leaving server stays registered (docs/architecture.md, "Readiness means replicated"). */
  leaveNoticeMs: number;
  /** How often replicas compare digests; 0 is off (docs/consistency.md, "Replicas converge by themselves"). */
  antiEntropyIntervalMs: number;
  logLevel: LogLevel;
  coalesce: boolean;
  clusterToken: TokenSetting;
  /** Client auth is on when set (routers only): the bearer tokens file. */
  clientTokensFile: string | undefined;
  /** The public API speaks HTTPS when set (routers only). */
  tls: TlsFiles | undefined;
}

/** A certificate and its private key, as PEM files; their contents are checked when read (security/tls-credential.ts). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

const ZK_CONNECT = new RegExp(ZK_CONNECT_PATTERN);
const DEFAULT_MAX_MEMORY_BYTES = parseByteSize(DEFAULT_MAX_MEMORY) as number;
const MAX_MEMORY_FLOOR_BYTES = parseByteSize(MAX_MEMORY_FLOOR) as number;

/** A setting that cannot be used; the message names it so the operator can fix it. */
export class ConfigError extends Error {
  constructor(readonly setting: string, detail: string) {
    super(`invalid ${setting}: ${detail}`);
    this.name = 'ConfigError';
  }
}

/** Reads `--flag=value` and `--flag value` pairs, and switches alone (`--insecure`); unknown flags are errors. */
function readFlags(argv: readonly string[]): Map<string, string> {
  const specs: readonly SettingSpec[] = Object.values(SETTINGS);
  const known = new Set(specs.map((s) => s.flag));
  const switches = new Set(specs.filter((s) => s.boolean).map((s) => s.flag));
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if (!known.has(flag)) throw new ConfigError(flag, 'unknown flag (see --help)');
    if (eq !== -1) {
      values.set(flag, arg.slice(eq + 1));
    } else if (switches.has(flag)) {
      values.set(flag, 'true');
    } else {
      const next = argv[i + 1];
      if (next === undefined) throw new ConfigError(flag, 'missing value');
      values.set(flag, next);
      i++;
    }
  }
  return values;
}

function integerIn(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(name, `"${text}" is not a whole number`);
  const value = Number(text);
  if (value < min || value > max) throw new ConfigError(name, `${value} is outside ${min}..${max}`);
  return value;
}

function durationIn(name: string, text: string, minMs: number): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new ConfigError(name, `"${text}" is not a duration like 30s or 500ms`);
  if (ms < minMs) throw new ConfigError(name, `must be at least ${minMs}ms`);
  return ms;
}

/**
 * Builds the configuration for a role from the environment and flags (flags win).
 * Pure: the caller passes env, argv and the machine's hostname.
 */
export function parseConfig(
  role: Role,
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
  machineHostname: string = hostname(),
): DataplaneConfig {
  const flags = readFlags(argv);
  const raw = (name: SettingName): string | undefined => {
    const spec: SettingSpec = SETTINGS[name];
    if (!spec.roles.includes(role)) {
      // Another role's environment variable is ignored; its flag is a mistake.
      if (spec.flag !== undefined && flags.has(spec.flag)) throw new ConfigError(spec.flag, `only applies to the ${spec.roles.join(' and ')} role`);
      return undefined;
    }
    const value = (spec.flag !== undefined ? flags.get(spec.flag) : undefined) ?? env[spec.env];
    return value === '' ? undefined : value;
  };
  const label = (name: SettingName): string => SETTINGS[name].env;

  const zkConnect = raw('zkConnect') ?? `127.0.0.1:${ZOOKEEPER_CLIENT_PORT}`;
  if (!ZK_CONNECT.test(zkConnect)) {
    throw new ConfigError(label('zkConnect'), `"${zkConnect}" is not a list of host:port`);
  }
  const cacheName = raw('cacheName') ?? 'default';
  if (!/^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/i.test(cacheName)) {
    throw new ConfigError(label('cacheName'), `"${cacheName}" must be 1-63 letters, digits, '.', '_' or '-'`);
  }
  const host = raw('host') ?? '0.0.0.0';
  const portText = raw('port');
  const port = portText === undefined ? DEFAULT_PORT[role] : integerIn(label('port'), portText, 1, 65535);
  const metricsPortText = raw('metricsPort');
  const metricsPort = metricsPortText === undefined ? undefined : integerIn(label('metricsPort'), metricsPortText, 1, 65535);
  if (metricsPort === port) throw new ConfigError(label('metricsPort'), `${metricsPort} is also ${label('port')}; give /metrics a port of its own, or leave it unset`);
  const nodeId = raw('nodeId') ?? machineHostname;
  if (role === 'server' && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(nodeId)) {
    throw new ConfigError(label('nodeId'), `"${nodeId}" must be letters, digits, '.', '_' or '-'`);
  }
  const advertiseAddress = raw('advertiseAddress') ?? `${env[POD_IP_ENV] || host}:${port}`;
  if (!/^[^\s/]+:\d{1,5}$/.test(advertiseAddress)) {
    throw new ConfigError(label('advertiseAddress'), `"${advertiseAddress}" is not host:port`);
  }
  const failureDomain = (name: 'zone' | 'nodeName'): string | undefined => {
    const text = raw(name);
    if (text === undefined || text === '') return undefined;
    if (!FAILURE_DOMAIN_PATTERN.test(text)) {
      throw new ConfigError(label(name), `"${text}" must be 1-253 letters, digits, '.', '_' or '-', starting and ending with a letter or digit`);
    }
    return text;
  };
  const zone = failureDomain('zone');
  const nodeName = failureDomain('nodeName');
  const placement = raw('placement') ?? 'zone';
  if (!(PLACEMENT_MODES as readonly string[]).includes(placement)) {
    throw new ConfigError(label('placement'), `"${placement}" is not one of ${PLACEMENT_MODES.join(', ')}`);
  }
  const rText = raw('replicationFactor');
  const replicationFactor =
    rText === undefined
      ? DEFAULT_REPLICATION_FACTOR
      : integerIn(label('replicationFactor'), rText, REPLICATION_FACTOR_RANGE.min, REPLICATION_FACTOR_RANGE.max);

  const memText = raw('maxMemory');
  let maxMemoryBytes = DEFAULT_MAX_MEMORY_BYTES;
  if (memText !== undefined) {
    const parsed = parseByteSize(memText);
    if (parsed === undefined) throw new ConfigError(label('maxMemory'), `"${memText}" is not a size like 256Mi or 1G`);
    if (parsed < MAX_MEMORY_FLOOR_BYTES) throw new ConfigError(label('maxMemory'), `must be at least ${MAX_MEMORY_FLOOR}`);
    maxMemoryBytes = parsed;
  }
  const entriesText = raw('maxEntries');
  const maxEntries = entriesText === undefined ? undefined : integerIn(label('maxEntries'), entriesText, 1, 2 ** 32);

  const drainText = raw('drainTimeout');
  const drainTimeoutMs = drainText === undefined ? DEFAULT_DRAIN_TIMEOUT_SECONDS * 1000 : durationIn(label('drainTimeout'), drainText, 0);
  const noticeText = raw('leaveNotice');
  const leaveNoticeMs = noticeText === undefined ? 0 : durationIn(label('leaveNotice'), noticeText, 0);
  const antiEntropyText = raw('antiEntropyInterval');
  const antiEntropyIntervalMs = antiEntropyText === undefined ? DEFAULT_ANTI_ENTROPY_INTERVAL_MS : durationIn(label('antiEntropyInterval'), antiEntropyText, 0);
  if (antiEntropyIntervalMs > 0 && antiEntropyIntervalMs < 1000) {
    throw new ConfigError(label('antiEntropyInterval'), `"${antiEntropyText ?? ''}" must be 0 (off) or at least 1s`);
  }
  const sessionText = raw('zkSessionTimeout');
  const zkSessionTimeoutMs = sessionText === undefined ? 10_000 : durationIn(label('zkSessionTimeout'), sessionText, 1000);

  const coalesceText = raw('coalesce') ?? 'on';
  if (coalesceText !== 'on' && coalesceText !== 'off') throw new ConfigError(label('coalesce'), `"${coalesceText}" must be on or off`);

  const level = raw('logLevel') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(label('logLevel'), `"${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  }

  return {
    role, zkConnect, zkSessionTimeoutMs, cacheName, host, port, metricsPort, nodeId, advertiseAddress,
    zone, nodeName, placement: placement as PlacementMode, replicationFactor, maxMemoryBytes, maxEntries, drainTimeoutMs, leaveNoticeMs, antiEntropyIntervalMs, logLevel: level as LogLevel, coalesce: coalesceText === 'on',
    clusterToken: tokenSetting(raw),
    clientTokensFile: raw('clientTokensFile'),
    tls: tlsFiles(raw),
  };
}

/** TLS_CERT_FILE and TLS_KEY_FILE: both, or neither (plain HTTP). */
function tlsFiles(raw: (name: SettingName) => string | undefined): TlsFiles | undefined {
  const certFile = raw('tlsCert');
  const keyFile = raw('tlsKey');
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    const [missing, given] = certFile === undefined ? [SETTINGS.tlsCert, SETTINGS.tlsKey] : [SETTINGS.tlsKey, SETTINGS.tlsCert];
    throw new ConfigError(missing.env, `not set (${missing.flag}), but ${given.env} (${given.flag}) is; HTTPS needs both the certificate and its key`);
  }
  return { certFile, keyFile };
}

/**
 * The cluster token's setting: CLUSTER_TOKEN (+ CLUSTER_TOKEN_PREVIOUS) or
 * CLUSTER_TOKEN_FILE, and none only with INSECURE. A file's contents are
 * checked when it is read (security/cluster-credential.ts). Messages never quote a token.
 */
function tokenSetting(raw: (name: SettingName) => string | undefined): TokenSetting {
  const label = (name: SettingName): string => SETTINGS[name].env;
  const current = raw('clusterToken');
  const previous = raw('clusterTokenPrevious');
  const file = raw('clusterTokenFile');
  const insecureText = raw('insecure') ?? 'false';
  if (insecureText !== 'true' && insecureText !== 'false') throw new ConfigError(label('insecure'), `"${insecureText}" must be true or false`);
  if (file !== undefined) {
    if (current !== undefined || previous !== undefined) {
      throw new ConfigError(label('clusterTokenFile'), `set it or ${label('clusterToken')}, not both (the file holds the previous token too)`);
    }
    return { source: 'file', path: file };
  }
  if (current === undefined) {
    if (previous !== undefined) throw new ConfigError(label('clusterToken'), `not set, but ${label('clusterTokenPrevious')} is`);
    if (insecureText === 'true') return { source: 'none' };
    throw new ConfigError(
      label('clusterToken'),
      `not set; set it or ${label('clusterTokenFile')}, or pass ${SETTINGS.insecure.flag} (${label('insecure')}=true) to leave internal routes open`,
    );
  }
  for (const [name, token] of [['clusterToken', current], ['clusterTokenPrevious', previous]] as const) {
    const problem = token === undefined ? undefined : tokenProblem(token);
    if (problem !== undefined) throw new ConfigError(label(name), problem);
  }
  return { source: 'env', tokens: { current, previous } };
}

/** The --help text, generated from the same table. */
export function usage(): string {
  const lines = ['usage: node dist/dataplane/main.js <server|client> [flags]', '', 'Each flag overrides the environment variable beside it.', ''];
  for (const spec of Object.values(SETTINGS) as SettingSpec[]) {
    lines.push(`  ${(spec.flag ?? '').padEnd(22)} ${spec.env.padEnd(20)} [${spec.roles.join(', ')}] ${spec.describe}`);
  }
  return lines.join('\n');
}
