// Follows the ring through routers' `GET /api/ring`: polls it, and polls at
// once when asked (an owner refused or did not answer). Each answer that
// differs from the last is reported as a member list, like MemberWatcher's,
// to the same RingFollower. While no router answers, the last ring stays for
// reads; writes want a ring read within WRITE_RING_MAX_AGE_MS (ensureFresh).
import { EventEmitter } from 'node:events';
import type { Logger } from '../../dataplane/observability/logger.js';
import { sameMembers, type Member } from '../../dataplane/ring/member.js';
import type { RingDescription } from '../../dataplane/ring/ring-view.js';
import { HANDOFF_SETTLE_MS } from '../../dataplane/protocol/handoff.js';
import { UnavailableError } from './errors.js';
import { parseRingAnswer } from './ring-answer.js';

/** How long one `GET /api/ring` may take before the next router is tried. */
export const RING_FETCH_TIMEOUT_MS = 2000;

/**
 * The oldest ring a write may be routed by. A joining server waits
 * HANDOFF_SETTLE_MS for every writer to see it before it pulls its keys; a
 * write routed by an older ring could miss it and be acknowledged without it
 * (docs/consistency.md, "The smart client"). The margin is the write's own flight.
 */
export const WRITE_RING_MAX_AGE_MS = HANDOFF_SETTLE_MS - 150;

/** Whether a ring read at `readAt` may still route a write at `now`. Pure. */
export function freshForWrites(readAt: number, now: number): boolean {
  return now - readAt <= WRITE_RING_MAX_AGE_MS;
}

export class RouterRingPoller extends EventEmitter<{ members: [Member[]] }> {
  private current: Member[] | undefined;
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;
  /** When a router last answered (before the request went out, so the age is never understated). */
  private readAt = -Infinity;

  constructor(
    private readonly urls: readonly string[],
    private readonly bearerToken: string | undefined,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {
    super();
  }

  /** One answer from the first router that gives one; throws with every router's failure. */
  async fetchRing(): Promise<RingDescription> {
    const failures: string[] = [];
    for (let i = 0; i < this.urls.length; i++) {
      const url = this.urls[(this.next + i) % this.urls.length] as string;
      try {
        const asked = Date.now();
        const ring = await this.fetchFrom(url);
        this.next = (this.next + i) % this.urls.length;
        this.readAt = Math.max(this.readAt, asked);
        return ring;
      } catch (error) {
        failures.push(`${url}: ${(error as Error).message}`);
      }
    }
    throw new Error(`no router described the ring (${failures.join('; ')})`);
  }

  /** Reports `first` at once, then polls every interval until stop(). */
  start(first: RingDescription): void {
    this.report(first.members);
    this.timer = setInterval(() => this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  /** Polls now, unless a poll is already under way. */
  refresh(): void {
    void this.poll();
  }

  /**
   * Resolves once the ring in force was read within WRITE_RING_MAX_AGE_MS,
   * polling first when it is older; throws UnavailableError when no router
   * answers in time, since a write routed by a stale ring may miss a joiner.
   */
  async ensureFresh(): Promise<void> {
    if (freshForWrites(this.readAt, Date.now())) return;
    await this.poll();
    if (!freshForWrites(this.readAt, Date.now())) {
      throw new UnavailableError(`no router described the ring in the last ${WRITE_RING_MAX_AGE_MS} ms, so a write could miss a joining server`, RING_FETCH_TIMEOUT_MS);
    }
  }

  private poll(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.polling ??= this.fetchRing()
      .then((ring) => this.report(ring.members))
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not read the ring from a router; keeping the last view'))
      .finally(() => {
        this.polling = undefined;
      });
    return this.polling;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private report(members: Member[]): void {
    if (this.stopped || (this.current !== undefined && sameMembers(members, this.current))) return;
    this.current = members;
    this.emit('members', members);
  }

  private async fetchFrom(url: string): Promise<RingDescription> {
    const headers: Record<string, string> = this.bearerToken === undefined ? {} : { authorization: `Bearer ${this.bearerToken}` };
    const response = await fetch(`${url}/api/ring`, { headers, signal: AbortSignal.timeout(RING_FETCH_TIMEOUT_MS) });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`answered ${response.status}: ${text.slice(0, 200)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error('answered something that is not JSON');
    }
    const ring = parseRingAnswer(body);
    if (ring === undefined) throw new Error('answered something that is not a ring description');
    return ring;
  }
}
