// Follows the ring through ZooKeeper, exactly as a router does: the same
// session (with its watchdog) and the same member watcher
// (dataplane/membership/). While ZooKeeper is unreachable, the last ring stays.
import { MemberWatcher } from '../../dataplane/membership/member-watcher.js';
import { ZkSession } from '../../dataplane/membership/zk-session.js';
import type { Logger } from '../../dataplane/observability/logger.js';

export class ZooKeeperRingSource {
  private readonly session: ZkSession;
  readonly watcher: MemberWatcher;

  constructor(connect: string, cacheName: string, sessionTimeoutMs: number, logger: Logger) {
    this.session = new ZkSession(connect, sessionTimeoutMs, logger);
    this.watcher = new MemberWatcher(this.session, cacheName, logger);
  }

  start(): void {
    this.session.start();
  }

  /** Reads the members again now (an owner refused or did not answer). */
  refresh(): void {
    if (this.session.isConnected) this.watcher.refresh();
  }

  stop(): void {
    this.watcher.stop();
    this.session.close();
  }
}
