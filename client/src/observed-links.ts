// The smart client's links to servers: the router's batched channels
// (dataplane/transport/), watched. An owner that does not answer or says it is
// leaving means the client's ring may be out of date, so the ring source is
// asked to look again at once, rather than at its next poll.
import type { BatchOp, BatchResult } from '../../dataplane/protocol/internal-batch.js';
import type { ServerLinks } from '../../dataplane/transport/server-channels.js';

/** At most one early refresh per this many ms: a dead server fails every op sent to it. */
export const MIN_REFRESH_GAP_MS = 250;

/** Whether an early refresh is due. Pure. */
export function refreshDue(lastRefreshAt: number, now: number): boolean {
  return now - lastRefreshAt >= MIN_REFRESH_GAP_MS;
}

export class ObservedLinks implements ServerLinks {
  private lastRefreshAt = -Infinity;
  private refreshes = 0;

  constructor(private readonly links: ServerLinks, private readonly refreshRing: () => void) {}

  /** Early refreshes asked for so far. */
  get refreshCount(): number {
    return this.refreshes;
  }

  get(address: string): { send(op: BatchOp): Promise<BatchResult> } {
    const channel = this.links.get(address);
    return {
      send: (op) => channel.send(op).then(
        (result) => {
          if ('refused' in result) this.trouble();
          return result;
        },
        (error: unknown) => {
          this.trouble();
          throw error;
        },
      ),
    };
  }

  private trouble(): void {
    const now = Date.now();
    if (!refreshDue(this.lastRefreshAt, now)) return;
    this.lastRefreshAt = now;
    this.refreshes++;
    this.refreshRing();
  }
}
