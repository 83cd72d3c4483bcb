// Notices that this process did not run for a while (its node or container
// frozen, a VM paused, a very long pause) and fences its view of the ring
// until ZooKeeper has confirmed it. While a router is stopped the members
// can change completely; on waking it would otherwise route by the old ring
// for as long as its ZooKeeper client takes to find out, and a write decided
// by a server that is no longer an owner is then read by nobody. The e2e run
// that froze a node for 60 s caught exactly that (docs/consistency.md,
// "A router that was stopped"). A server that was stopped is fenced the same
// way: it refuses writes and marks its reads leaving until then, since its
// session may have ended and others may have decided its keys meanwhile.
//
// Requests that arrive on waking are answered before any timer runs, so the
// gap is measured when a request asks, not only by the ticking timer.
import type { Logger } from '../observability/logger.js';

/** How often the fence notes that the process runs. */
const TICK_MS = 200;

export class StallFence {
  private lastTick = Date.now();
  private suspectSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  /**
   * `thresholdMs`: a gap longer than this fences the view. `confirm` starts
   * a fresh read of the members; its completion comes back to `confirmed`.
   */
  constructor(
    private readonly thresholdMs: number,
    private readonly confirm: () => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.lastTick = Date.now();
    this.timer = setInterval(() => this.check(Date.now()), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Why the view may not be used now, or undefined when it may. Checks for a stall first. */
  fencedReason(now = Date.now()): string | undefined {
    this.check(now);
    if (this.suspectSince === undefined) return undefined;
    return 'this process was stopped for a while and is confirming its view of the ring with ZooKeeper; retry shortly';
  }

  /** A read of the members that began at `startedAt` completed: a read begun after the stall lifts the fence. */
  confirmed(startedAt: number): void {
    if (this.suspectSince === undefined || startedAt < this.suspectSince) return;
    this.logger.info({ fencedMs: Date.now() - this.suspectSince }, 'view of the ring confirmed by ZooKeeper after a stall; serving again');
    this.suspectSince = undefined;
  }

  private check(now: number): void {
    const gap = now - this.lastTick;
    this.lastTick = now;
    if (gap <= this.thresholdMs) return;
    // Counted from now: only a read that starts after the wake-up can see what changed meanwhile.
    this.suspectSince = now;
    this.logger.warn({ stalledMs: gap }, 'this process did not run for a while; refusing requests until ZooKeeper confirms the ring');
    this.confirm();
  }
}

/** The gap that fences a view: half a ZooKeeper session, between 2 s and 5 s. */
export function stallThresholdMs(zkSessionTimeoutMs: number): number {
  return Math.min(5000, Math.max(2000, Math.floor(zkSessionTimeoutMs / 2)));
}
