// A ZooKeeper connection that outlives session expiry. node-zookeeper-client's
// Client is dead once its session expires, so this wrapper replaces it and
// tells listeners that a new session began (ephemeral nodes and watches must
// then be made again).
//
// The client library has no read timeout: a server that accepts a connection
// and then never answers (starting up, frozen, behind a dead link) leaves it
// waiting forever. A watchdog probes the connection and, when it is stuck for
// a quarter of the session timeout, drops it: the library connects to another
// ZooKeeper member and resumes the same session there, so our ephemeral nodes
// survive the loss of the member we were talking to (as the Java client's read
// timeout does). Only if that cannot be done does it start a fresh client (a
// new session), and then also when nothing has connected for three session
// timeouts, long after the old session must have expired.
import { EventEmitter } from 'node:events';
import zookeeper, { type Client, type Stat, type WatcherEvent, type ZkError } from 'node-zookeeper-client';
import type { Logger } from '../observability/logger.js';
import { dropConnection } from './zk-connection-drop.js';
import { guardFrameParsing } from './zk-frame-guard.js';

export interface ZkSessionEvents {
  /** A new session began (also the first one): re-create ephemeral state. */
  session: [];
  /** The connection came back within the same session: re-read what may have changed. */
  reconnected: [];
  disconnected: [];
}

/** Keeps a 0/1 gauge in step with the connection, for /metrics. */
export function reportConnection(session: ZkSession, gauge: { set(value: number): void }): void {
  gauge.set(0);
  session.on('session', () => gauge.set(1));
  session.on('reconnected', () => gauge.set(1));
  session.on('disconnected', () => gauge.set(0));
}

export class ZkSession extends EventEmitter<ZkSessionEvents> {
  private client: Client | undefined;
  private connected = false;
  private closed = false;
  private waitingLog: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private unhealthySince: number | undefined = Date.now();
  private probeStartedAt: number | undefined;
  /** When the watchdog last dropped a connection (or the wait for one began). */
  private lastDropAt: number | undefined;

  constructor(
    private readonly connectString: string,
    private readonly sessionTimeoutMs: number,
    private readonly logger: Logger,
  ) {
    super();
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Starts connecting; the ZooKeeper client retries until the ensemble answers. */
  start(): void {
    this.openClient();
    this.waitingLog = setInterval(() => {
      if (!this.connected) this.logger.warn({ zkConnect: this.connectString }, 'waiting for ZooKeeper');
    }, 5000);
    this.waitingLog.unref();
    this.watchdog = setInterval(() => this.checkHealth(), 1000);
    this.watchdog.unref();
  }

  /**
   * How long a connection may be unanswered, or a connection attempt last,
   * before it is dropped: a quarter of the session timeout leaves time for
   * two more attempts before the session expires. Behind a Service address
   * each attempt may land on the dead member again (a third of the time with
   * three members), so two tries, not one.
   */
  private get stuckAfterMs(): number {
    return Math.max(1000, Math.floor(this.sessionTimeoutMs / 4));
  }

  /** With no connection for this long, the session is surely gone: start afresh. */
  private get abandonAfterMs(): number {
    return Math.max(3000, 3 * this.sessionTimeoutMs);
  }

  private checkHealth(): void {
    const now = Date.now();
    if (!this.connected) {
      this.unhealthySince ??= now;
      this.lastDropAt ??= now;
      if (now - this.unhealthySince > this.abandonAfterMs) this.replaceStuckClient('no connection');
      else if (now - this.lastDropAt > this.stuckAfterMs) this.dropStuckConnection('no session after connecting');
      return;
    }
    if (this.probeStartedAt !== undefined) {
      if (now - this.probeStartedAt > this.stuckAfterMs) this.dropStuckConnection('no answer to a probe');
      return;
    }
    // A cheap read proves the server still answers on this connection.
    const client = this.client;
    this.probeStartedAt = now;
    client?.exists('/', () => {
      if (client === this.client) this.probeStartedAt = undefined;
    });
  }

  /** Drops a stuck connection and lets the client resume its session on another member. */
  private dropStuckConnection(reason: string): void {
    const client = this.client;
    this.lastDropAt = Date.now();
    this.probeStartedAt = undefined;
    if (!client || !dropConnection(client)) {
      this.replaceStuckClient(reason);
      return;
    }
    this.logger.warn({ reason, afterMs: this.stuckAfterMs }, 'ZooKeeper connection stuck; resuming the session on another member');
  }

  private replaceStuckClient(reason: string): void {
    if (this.closed) return;
    this.logger.warn({ reason, afterMs: this.abandonAfterMs }, 'ZooKeeper connection stuck; starting a fresh client (a new session)');
    const stuck = this.client;
    this.client = undefined;
    stuck?.removeAllListeners();
    stuck?.close();
    if (this.connected) {
      this.connected = false;
      this.emit('disconnected');
    }
    this.openClient();
  }

  /** Resolves when a session is established. */
  waitForSession(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this.once('session', resolve));
  }

  private openClient(): void {
    const client = zookeeper.createClient(this.connectString, {
      sessionTimeout: this.sessionTimeoutMs,
      spinDelay: 500,
      retries: 0,
    });
    const guarded = guardFrameParsing(client, (error) => {
      if (client === this.client) this.logger.warn({ err: error }, 'ZooKeeper sent a frame the client could not read; reconnecting');
    });
    if (!guarded) this.logger.warn('cannot guard the ZooKeeper client against unreadable frames (its internals changed); one could crash this process');
    let hadSession = false;
    this.unhealthySince = Date.now();
    this.lastDropAt = Date.now();
    this.probeStartedAt = undefined;
    client.on('connected', () => {
      if (client !== this.client) return;
      this.connected = true;
      this.unhealthySince = undefined;
      this.lastDropAt = undefined;
      if (!hadSession) {
        hadSession = true;
        this.logger.info({ sessionId: client.getSessionId().toString('hex') }, 'ZooKeeper session established');
        this.emit('session');
      } else {
        this.logger.info('ZooKeeper connection restored');
        this.emit('reconnected');
      }
    });
    client.on('disconnected', () => {
      if (client !== this.client) return;
      this.connected = false;
      this.unhealthySince ??= Date.now();
      this.lastDropAt = Date.now();
      this.probeStartedAt = undefined;
      this.logger.warn('ZooKeeper connection lost; keeping the last known state');
      this.emit('disconnected');
    });
    client.on('expired', () => {
      if (client !== this.client || this.closed) return;
      this.connected = false;
      this.logger.warn('ZooKeeper session expired; starting a new one');
      this.emit('disconnected');
      client.close();
      this.openClient();
    });
    this.client = client;
    client.connect();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.waitingLog);
    clearInterval(this.watchdog);
    this.client?.close();
    this.client = undefined;
    this.connected = false;
  }

  private current(): Client {
    if (!this.client) throw new Error('ZooKeeper session is closed');
    return this.client;
  }

  sessionId(): string {
    return this.current().getSessionId().toString('hex');
  }

  mkdirp(path: string): Promise<void> {
    return new Promise((resolve, reject) => this.current().mkdirp(path, (error) => (error ? reject(error) : resolve())));
  }

  createEphemeral(path: string, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.current().create(path, data, zookeeper.CreateMode.EPHEMERAL, (error) => (error ? reject(error) : resolve())),
    );
  }

  setData(path: string, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.current().setData(path, data, -1, (error) => (error ? reject(error) : resolve())));
  }

  remove(path: string): Promise<void> {
    return new Promise((resolve, reject) => this.current().remove(path, -1, (error) => (error ? reject(error) : resolve())));
  }

  getData(path: string, watcher?: (event: WatcherEvent) => void): Promise<{ data: Buffer | undefined; stat: Stat }> {
    return new Promise((resolve, reject) =>
      this.current().getData(path, watcher, (error, data, stat) => (error ? reject(error) : resolve({ data, stat }))),
    );
  }

  getChildren(path: string, watcher?: (event: WatcherEvent) => void): Promise<string[]> {
    return new Promise((resolve, reject) =>
      this.current().getChildren(path, watcher, (error, children) => (error ? reject(error) : resolve(children))),
    );
  }
}

export function isZkError(error: unknown, code: number): boolean {
  return (error as ZkError | null)?.code === code;
}

export const ZkCodes = {
  NO_NODE: zookeeper.Exception.NO_NODE,
  NODE_EXISTS: zookeeper.Exception.NODE_EXISTS,
};
