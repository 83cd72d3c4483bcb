// The smart client: an application's own router, in-process. It learns the
// ring from a router or from ZooKeeper, and sends each call straight to the
// key's owners through the router's own routing core (RouterBackend: the
// same batching, versions, read fall-through and write rules), so a call
// costs one hop instead of two (docs/architecture.md, "The smart client").
import { setTimeout as sleep } from 'node:timers/promises';
import type { WriteRequest } from '../../dataplane/api/backend.js';
import { ConfigError } from '../../dataplane/config/settings.js';
import { RingFollower, type MemberSource } from '../../dataplane/membership/ring-follower.js';
import { createLogger, type Logger } from '../../dataplane/observability/logger.js';
import { RETRY_AFTER_SECONDS } from '../../dataplane/protocol/limits.js';
import { validateBatchSize, validateKey, validateTtl, validateValue } from '../../dataplane/protocol/validation.js';
import type { RingDescription, RingView } from '../../dataplane/ring/ring-view.js';
import { RouterBackend, routingView } from '../../dataplane/router/router-backend.js';
import { ClusterCredential } from '../../dataplane/security/cluster-credential.js';
import { ServerChannels } from '../../dataplane/transport/server-channels.js';
import { HybridLogicalClock } from '../../dataplane/version/hlc.js';
import { ClientCounters, type ClientStats } from './client-counters.js';
import { BadInputError, ClosedError, toClientError, UnavailableError } from './errors.js';
import { ObservedLinks } from './observed-links.js';
import { resolveOptions, type CacheClientOptions, type ClientSettings } from './options.js';
import { RouterRingPoller } from './router-ring-poller.js';
import { ZooKeeperRingSource } from './zookeeper-ring-source.js';

export interface SetOptions {
  /** Whole seconds from 1 to one year; absent means the key never expires. */
  ttlSeconds?: number;
}

export interface Entry extends SetOptions {
  key: string;
  value: string;
}

interface RingSource {
  members: MemberSource;
  refresh(): void;
  /** Resolves once the ring may route a write (router-ring-poller.ts); ZooKeeper's watch is as fresh as a router's. */
  ensureFresh(): Promise<void>;
  stop(): void;
}

/** Starts following the ring; resolves the source and the replication factor to build the view with. */
async function openRingSource(settings: ClientSettings, logger: Logger): Promise<{ source: RingSource; replicationFactor: number; start: () => void }> {
  const ring = settings.ring;
  if (ring.kind === 'zookeeper') {
    const zk = new ZooKeeperRingSource(ring.connect, ring.cacheName, ring.sessionTimeoutMs, logger);
    const source = { members: zk.watcher, refresh: () => zk.refresh(), ensureFresh: () => Promise.resolve(), stop: () => zk.stop() };
    return { source, replicationFactor: ring.replicationFactor, start: () => zk.start() };
  }
  const poller = new RouterRingPoller(ring.urls, ring.bearerToken, ring.pollIntervalMs, logger);
  let first: RingDescription;
  try {
    first = await poller.fetchRing();
  } catch (error) {
    throw new UnavailableError((error as Error).message, RETRY_AFTER_SECONDS * 1000, { cause: error });
  }
  const source = { members: poller, refresh: () => poller.refresh(), ensureFresh: () => poller.ensureFresh(), stop: () => poller.stop() };
  return { source, replicationFactor: first.replicationFactor, start: () => poller.start(first) };
}

async function openCredential(settings: ClientSettings, logger: Logger): Promise<ClusterCredential> {
  try {
    return (await ClusterCredential.open(settings.token)).watch(logger);
  } catch (error) {
    if (error instanceof ConfigError) throw new BadInputError(`clusterToken: ${error.message}`, { cause: error });
    throw error;
  }
}

async function waitForServers(view: RingView, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (view.ring.size === 0) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

export class CacheClient {
  private closed = false;

  private constructor(
    private readonly backend: RouterBackend,
    private readonly view: RingView,
    private readonly source: RingSource,
    private readonly follower: RingFollower,
    private readonly channels: ServerChannels,
    private readonly credential: ClusterCredential,
    private readonly links: ObservedLinks,
    private readonly counters: ClientCounters,
  ) {}

  /**
   * Connects: checks the options, learns the ring, and resolves once it holds
   * a server. Throws BadInputError for bad options and UnavailableError when
   * no ring with a server was found within `readyTimeoutMs`.
   */
  static async connect(options: CacheClientOptions): Promise<CacheClient> {
    const settings = resolveOptions(options);
    const logger = options.logger ?? createLogger('silent', {});
    const credential = await openCredential(settings, logger);
    let opened: Awaited<ReturnType<typeof openRingSource>>;
    try {
      opened = await openRingSource(settings, logger);
    } catch (error) {
      credential.stop();
      throw error;
    }
    const { source, replicationFactor, start } = opened;
    const view = routingView(replicationFactor);
    const channels = new ServerChannels(credential);
    const counters = new ClientCounters();
    const follower = new RingFollower(source.members, { view, channels, metrics: counters, logger });
    const links = new ObservedLinks(channels, () => source.refresh());
    const backend = new RouterBackend(view, links, new HybridLogicalClock(settings.writerId), counters, logger);
    const client = new CacheClient(backend, view, source, follower, channels, credential, links, counters);
    start();
    if (!(await waitForServers(view, settings.readyTimeoutMs))) {
      await client.close();
      throw new UnavailableError(`no cache server in the ring after ${settings.readyTimeoutMs} ms`, RETRY_AFTER_SECONDS * 1000);
    }
    return client;
  }

  /** The value, or undefined when the key is absent. */
  get(key: string): Promise<string | undefined> {
    return this.call(async () => {
      const [value] = await this.backend.getMany([validateKey(key)]);
      return value;
    });
  }

  /** Resolves once the value is stored on the key's owners. */
  set(key: string, value: string, options: SetOptions = {}): Promise<void> {
    return this.write(
      () => [{ key: validateKey(key), value: validateValue(value), ttlSeconds: validateTtl(options.ttlSeconds) }],
      (writes) => this.backend.setMany(writes),
    );
  }

  /** Resolves true when the key held a value. */
  delete(key: string): Promise<boolean> {
    return this.write(() => validateKey(key), (checked) => this.backend.delete(checked));
  }

  /** Every key's value (undefined when absent); each key is read on its own, the batch is not atomic. */
  mget(keys: readonly string[]): Promise<Map<string, string | undefined>> {
    return this.call(async () => {
      validateBatchSize(keys.length, 'keys');
      const checked = keys.map(validateKey);
      const values = await this.backend.getMany(checked);
      return new Map(checked.map((key, i) => [key, values[i]]));
    });
  }

  /** Resolves once every entry is stored on its owners; each key is written on its own, the batch is not atomic. */
  mset(entries: readonly Entry[]): Promise<void> {
    return this.write(() => {
      validateBatchSize(entries.length, 'entries');
      return entries.map((e): WriteRequest => ({ key: validateKey(e.key), value: validateValue(e.value), ttlSeconds: validateTtl(e.ttlSeconds) }));
    }, (writes) => this.backend.setMany(writes));
  }

  /** The ring this client routes by, as a router's `GET /api/ring` shows its own. */
  ring(): RingDescription {
    return this.view.describe();
  }

  stats(): ClientStats {
    return this.counters.snapshot(this.links.refreshCount);
  }

  /** Stops following the ring and closes the connections to servers (after calls in flight). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.follower.stop();
    this.source.stop();
    this.credential.stop();
    await this.channels.closeAll();
  }

  /** Checks the input first; then a write is routed by a fresh ring only, so that it reaches a server that just joined. */
  private write<I, T>(check: () => I, send: (input: I) => Promise<T>): Promise<T> {
    return this.call(async () => {
      const input = check();
      await this.source.ensureFresh();
      return send(input);
    });
  }

  private async call<T>(run: () => Promise<T>): Promise<T> {
    if (this.closed) throw new ClosedError();
    try {
      return await run();
    } catch (error) {
      throw toClientError(error);
    }
  }
}
