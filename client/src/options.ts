// What an application passes to CacheClient.connect, and the one pure check
// that turns it into settings (or a BadInputError that names the option).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ZK_CONNECT_PATTERN } from '../../dataplane/config/contract.js';
import { tokenProblem, type TokenSetting } from '../../dataplane/security/cluster-token.js';
import type { Logger } from '../../dataplane/observability/logger.js';
import { BadInputError } from './errors.js';

/** Learn the ring from routers' `GET /api/ring` (tried in turn), polled every `pollIntervalMs`. */
export interface RouterRingOptions {
  router: string | readonly string[];
  /** The router's client token, when it has client auth on (README "Security"). */
  bearerToken?: string;
  pollIntervalMs?: number;
}

/** Learn the ring from ZooKeeper directly, as routers do; the cache's replication factor must be given, since ZooKeeper does not hold it. */
export interface ZooKeeperRingOptions {
  zookeeper: string;
  cacheName?: string;
  replicationFactor: number;
  sessionTimeoutMs?: number;
}

/** The cluster token: one string, the current and previous tokens of a rotation, or a token file re-read every 2 s. */
export type ClusterTokenOption = string | { current: string; previous?: string } | { file: string };

export interface CacheClientOptions {
  ring: RouterRingOptions | ZooKeeperRingOptions;
  /** Required unless `insecure`: every server's internal route wants it. */
  clusterToken?: ClusterTokenOption;
  /** Servers started with --insecure take calls without a token. */
  insecure?: boolean;
  /** How long connect() waits for a ring with a server in it. */
  readyTimeoutMs?: number;
  /** This client's id in the versions it stamps; unique per client instance. */
  writerId?: string;
  /** A pino logger; silent by default. */
  logger?: Logger;
}

export type RingSourceSettings =
  | { kind: 'router'; urls: string[]; bearerToken: string | undefined; pollIntervalMs: number }
  | { kind: 'zookeeper'; connect: string; cacheName: string; replicationFactor: number; sessionTimeoutMs: number };

export interface ClientSettings {
  ring: RingSourceSettings;
  token: TokenSetting;
  readyTimeoutMs: number;
  writerId: string;
}

/** Below WRITE_RING_MAX_AGE_MS (router-ring-poller.ts), so that writes seldom wait for a poll. */
export const DEFAULT_POLL_INTERVAL_MS = 200;
export const DEFAULT_READY_TIMEOUT_MS = 10_000;
export const DEFAULT_ZK_SESSION_TIMEOUT_MS = 10_000;
const ZK_CONNECT = new RegExp(ZK_CONNECT_PATTERN);

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new BadInputError(`${name} must be a positive number of milliseconds`);
  return value;
}

function routerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BadInputError(`ring.router: "${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BadInputError(`ring.router: "${text}" is not http or https`);
  return url.origin;
}

function ringSettings(ring: CacheClientOptions['ring'] | undefined): RingSourceSettings {
  if (ring !== undefined && 'router' in ring) {
    const urls = (typeof ring.router === 'string' ? [ring.router] : [...ring.router]).map(routerUrl);
    if (urls.length === 0) throw new BadInputError('ring.router must name at least one router');
    return { kind: 'router', urls, bearerToken: ring.bearerToken, pollIntervalMs: positive(ring.pollIntervalMs, DEFAULT_POLL_INTERVAL_MS, 'ring.pollIntervalMs') };
  }
  if (ring !== undefined && 'zookeeper' in ring) {
    if (!ZK_CONNECT.test(ring.zookeeper)) throw new BadInputError(`ring.zookeeper: "${ring.zookeeper}" is not a list of host:port`);
    const r = ring.replicationFactor;
    if (!Number.isInteger(r) || r < 1 || r > 16) throw new BadInputError('ring.replicationFactor must be the cache\'s REPLICATION_FACTOR, a whole number from 1 to 16');
    const cacheName = ring.cacheName ?? 'default';
    if (cacheName === '' || cacheName.includes('/')) throw new BadInputError(`ring.cacheName: "${cacheName}" is not a cache name`);
    return {
      kind: 'zookeeper', connect: ring.zookeeper, cacheName, replicationFactor: r,
      sessionTimeoutMs: positive(ring.sessionTimeoutMs, DEFAULT_ZK_SESSION_TIMEOUT_MS, 'ring.sessionTimeoutMs'),
    };
  }
  throw new BadInputError('ring must be { router: url } or { zookeeper: connectString, replicationFactor }');
}

function tokenSetting(token: ClusterTokenOption | undefined, insecure: boolean): TokenSetting {
  if (token === undefined) {
    if (insecure) return { source: 'none' };
    throw new BadInputError('clusterToken is required (the servers\' internal routes want it), unless insecure: true');
  }
  if (typeof token !== 'string' && 'file' in token) return { source: 'file', path: token.file };
  const tokens = typeof token === 'string' ? { current: token } : { current: token.current, previous: token.previous };
  for (const [which, value] of [['current', tokens.current], ['previous', tokens.previous]] as const) {
    if (value === undefined) continue;
    const problem = tokenProblem(value);
    if (problem !== undefined) throw new BadInputError(`clusterToken: the ${which} token ${problem}`);
  }
  return { source: 'env', tokens };
}

/** Checks the options and fills in defaults; throws BadInputError naming the first bad option. */
export function resolveOptions(options: CacheClientOptions): ClientSettings {
  const writerId = options.writerId ?? `client-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  if (writerId === '') throw new BadInputError('writerId must not be empty');
  return {
    ring: ringSettings(options.ring),
    token: tokenSetting(options.clusterToken, options.insecure === true),
    readyTimeoutMs: positive(options.readyTimeoutMs, DEFAULT_READY_TIMEOUT_MS, 'readyTimeoutMs'),
    writerId,
  };
}
