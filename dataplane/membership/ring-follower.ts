// The one handler for ring changes, in both roles: it feeds each member list
// ZooKeeper reports into the process's ring view and, when the view changes,
// closes channels to servers that left, updates the ring metrics, logs the
// new ring and runs the role's own reaction (a server's hand-off). Members
// that vanished are forgotten when their grace ends (routers keep reading
// from them for a moment), whether or not ZooKeeper reports anything meanwhile.
import type { Logger } from '../observability/logger.js';
import type { DataplaneMetrics } from '../observability/metrics.js';
import type { Ring } from '../ring/ring.js';
import type { RingView } from '../ring/ring-view.js';
import type { ServerChannels } from '../transport/server-channels.js';
import type { MemberWatcher } from './member-watcher.js';

export interface RingFollowerDeps {
  view: RingView;
  channels: ServerChannels;
  metrics: DataplaneMetrics;
  logger: Logger;
  /** The role's reaction to a changed view; `before` is the placement ring until then. */
  onChange?: (before: Ring) => void;
}

export class RingFollower {
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(watcher: MemberWatcher, private readonly deps: RingFollowerDeps) {
    watcher.on('members', (members) => {
      const before = deps.view.ring;
      if (deps.view.update(members, Date.now())) this.changed(before);
      this.scheduleExpiry();
    });
  }

  stop(): void {
    clearTimeout(this.expiryTimer);
  }

  private changed(before: Ring): void {
    const { view, channels, metrics, logger, onChange } = this.deps;
    channels.retainOnly(view.members);
    metrics.recordRing(view.epoch, view.members);
    logger.info({ epoch: view.epoch, members: view.members }, 'ring changed');
    onChange?.(before);
  }

  private scheduleExpiry(): void {
    clearTimeout(this.expiryTimer);
    const next = this.deps.view.nextExpiry();
    if (next === undefined) return;
    this.expiryTimer = setTimeout(() => {
      const before = this.deps.view.ring;
      if (this.deps.view.expire(Date.now())) this.changed(before);
      this.scheduleExpiry();
    }, Math.max(0, next - Date.now()));
    this.expiryTimer.unref();
  }
}
