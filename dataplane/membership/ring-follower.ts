// The one handler for ring changes, in both roles: it feeds each member list
// ZooKeeper reports into the process's ring view and, when the view changes,
// closes channels to servers that left, updates the ring metrics, logs the
// new ring and runs the role's own reaction (a server's hand-off). Members
// that vanished are forgotten when their grace ends (routers keep reading
// from them for a moment), whether or not ZooKeeper reports anything meanwhile.
import type { Logger } from '../observability/logger.js';
import type { Member } from '../ring/member.js';
import type { Ring } from '../ring/ring.js';
import type { RingView } from '../ring/ring-view.js';

/**
 * Where member lists come from: ZooKeeper (MemberWatcher) in the data plane's
 * processes, or a router's `GET /api/ring` in a smart client (client/).
 */
export interface MemberSource {
  on(event: 'members', listener: (members: Member[]) => void): unknown;
}

export interface RingFollowerDeps {
  view: RingView;
  /** The process's channels to servers (transport/server-channels.ts): those to servers that left are closed. */
  channels: { retainOnly(members: readonly Member[]): void };
  /** The ring metrics (observability/metrics.ts), or a smart client's own record of the ring. */
  metrics: { recordRing(epoch: number, members: readonly Member[]): void };
  logger: Logger;
  /** The role's reaction to a changed view; `before` is the placement ring until then. */
  onChange?: (before: Ring) => void;
}

export class RingFollower {
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(watcher: MemberSource, private readonly deps: RingFollowerDeps) {
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
