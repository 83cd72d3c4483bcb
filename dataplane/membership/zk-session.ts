// A ZooKeeper connection that outlives session expiry. node-zookeeper-client's
// Client is dead once its session expires, so this wrapper replaces it and
// tells listeners that a new session began (ephemeral nodes and watches must
// then be made again).
//
// The client library has no read timeout: a server that accepts a connection
// and then never answers (starting up, frozen, behind a dead link) leaves it
// waiting forever. A watchdog probes the connection once a second and drops
// one that is stuck: the library connects to another ZooKeeper member and
// resumes the same session there, so our ephemeral nodes survive the loss of
// the member we were talking to (as the Java client's read timeout does). How
// long is "stuck", and when to give up on the session and start a fresh
// client, is zk-watchdog-policy.ts's to decide.
import { EventEmitter } from 'node:events';
import zookeeper, { type Client, type Stat, type WatcherEvent, type ZkError } from 'node-zookeeper-client';
import type { Logger } from '../observability/logger.js';
import { dropConnection } from './zk-connection-drop.js';
import { guardFrameParsing } from './zk-frame-guard.js';
import { isHealthyAnswer, watchdogAction } from './zk-watchdog-policy.js';

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
  /** While not connected: since when. */
  private disconnectedSince: number | undefined = Date.now();
  /** While not connected: when the current try for a session began (the start, a loss or a drop). */
  private attemptStartedAt: number | undefined;
  private probeSentAt: number | undefined;
  /** The watchdog dropped a connection and none has been healthy since: ZooKeeper may just be slow. */
  private droppedSinceHealthy = false;

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

  private checkHealth(): void {
    const now = Date.now();
    if (!this.connected) {
      this.disconnectedSince ??= now;
      this.attemptStartedAt ??= now;
    }
    const action = watchdogAction({
      now,
      sessionTimeoutMs: this.sessionTimeoutMs,
      connected: this.connected,
      disconnectedSince: this.disconnectedSince,
      attemptStartedAt: this.attemptStartedAt,
      probeSentAt: this.probeSentAt,
      droppedSinceHealthy: this.droppedSinceHealthy,
    });
    if (action.kind === 'probe') this.probe(now);
    else if (action.kind === 'drop') this.dropStuckConnection(action.reason, action.afterMs);
    else if (action.kind === 'fresh-session') this.replaceStuckClient(action.reason, action.afterMs);
  }

  /** A cheap read proves the server still answers on this connection. */
  private probe(sentAt: number): void {
    const client = this.client;
    this.probeSentAt = sentAt;
    client?.exists('/', (error) => {
      // A drop or a loss has already forgotten this probe (and maybe sent another).
      if (client !== this.client || this.probeSentAt !== sentAt) return;
      this.probeSentAt = undefined;
      if (!error && isHealthyAnswer(Date.now() - sentAt, this.sessionTimeoutMs)) this.droppedSinceHealthy = false;
    });
  }

  /** Drops a stuck connection and lets the client resume its session on another member. */
  private dropStuckConnection(reason: string, afterMs: number): void {
    const client = this.client;
    this.attemptStartedAt = Date.now();
    this.probeSentAt = undefined;
    this.droppedSinceHealthy = true;
    if (!client || !dropConnection(client)) {
      this.replaceStuckClient(reason, afterMs);
      return;
    }
    this.logger.warn({ reason, afterMs }, 'ZooKeeper connection stuck; resuming the session on another member');
  }

  private replaceStuckClient(reason: string, afterMs: number): void {
    if (this.closed) return;
    this.logger.warn({ reason, afterMs }, 'ZooKeeper connection stuck; starting a fresh client (a new session)');
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
    this.disconnectedSince = Date.now();
    this.attemptStartedAt = Date.now();
    this.probeSentAt = undefined;
    client.on('connected', () => {
      if (client !== this.client) return;
      this.connected = true;
      this.disconnectedSince = undefined;
      this.attemptStartedAt = undefined;
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
      this.disconnectedSince ??= Date.now();
      this.attemptStartedAt = Date.now();
      this.probeSentAt = undefined;
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
