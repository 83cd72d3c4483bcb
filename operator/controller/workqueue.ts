// A work queue of keys, after client-go's: a key is queued at most once however
// often it is added, is never handed to two workers at once, and failures come
// back later and later (per key, exponentially; overall, at a bounded rate).

export interface RateLimiterOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Overall retries per second, and how many may come at once. */
  ratePerSecond: number;
  burst: number;
}

export const DEFAULT_RATE_LIMITS: RateLimiterOptions = { baseDelayMs: 50, maxDelayMs: 300_000, ratePerSecond: 10, burst: 100 };

/** The delay before the n-th retry of a key: the larger of its exponential backoff and the shared token bucket's wait. */
export class RateLimiter {
  private readonly failures = new Map<string, number>();
  private tokens: number;
  private lastRefillMs: number;

  constructor(
    private readonly options: RateLimiterOptions = DEFAULT_RATE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = options.burst;
    this.lastRefillMs = now();
  }

  when(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    const backoff = Math.min(this.options.baseDelayMs * 2 ** failures, this.options.maxDelayMs);
    return Math.max(backoff, this.bucketDelay());
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Takes a token, going into debt when there is none; the debt is the wait. */
  private bucketDelay(): number {
    const now = this.now();
    this.tokens = Math.min(this.options.burst, this.tokens + ((now - this.lastRefillMs) / 1000) * this.options.ratePerSecond);
    this.lastRefillMs = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.options.ratePerSecond) * 1000);
  }
}

export class WorkQueue {
  private readonly queue: string[] = [];
  /** Keys waiting to be processed (queued, or re-added while in process). */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiting: Array<(key: string | undefined) => void> = [];
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private shuttingDown = false;

  constructor(readonly limiter: RateLimiter = new RateLimiter()) {}

  get length(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // done() queues it again
    const waiter = this.waiting.shift();
    if (waiter !== undefined) this.hand(key, waiter);
    else this.queue.push(key);
  }

  /** Adds the key after a delay; of several delays for one key, the earliest wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing !== undefined) {
      if (existing.at <= at) return;
      clearTimeout(existing.timer);
    }
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    this.timers.set(key, { at, timer });
  }

  addRateLimited(key: string): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** The key succeeded: its next failure starts from the shortest backoff again. */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  /** The next key, once there is one; undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.take(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (!this.dirty.has(key)) return;
    const waiter = this.waiting.shift();
    if (waiter !== undefined) this.hand(key, waiter);
    else this.queue.push(key);
  }

  /** Stops handing out keys; workers waiting in get() receive undefined. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    for (const waiter of this.waiting.splice(0)) waiter(undefined);
  }

  private take(key: string): void {
    this.dirty.delete(key);
    this.processing.add(key);
  }

  private hand(key: string, waiter: (key: string) => void): void {
    this.take(key);
    waiter(key);
  }
}
