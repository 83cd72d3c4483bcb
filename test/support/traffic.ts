// Live traffic through a client while a test changes the cluster: each worker
// owns a slice of the keys, so it knows the last acknowledged value of every
// key it reads, and any other answer is a miss or a stale read. The client is
// a router (its base URL) or a smart client (key-value-target.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { asTarget, type KeyValueTarget } from './key-value-target.js';
import { waitFor } from './wait.js';

export interface TrafficStats {
  reads: number;
  writes: number;
  /** Reads of an acknowledged key that answered 404. */
  misses: number;
  /** Reads that answered a value other than the last acknowledged one. */
  stale: number;
  /** Requests that failed outright (5xx or no answer); their writes are not counted as acknowledged. */
  errors: number;
  firstProblems: string[];
}

export interface TrafficOptions {
  workers?: number;
  /** Share of operations that are writes. */
  writeRatio?: number;
  /** Hard limits so a test can never loop forever. */
  maxDurationMs?: number;
  maxOps?: number;
  /** A pause after each operation, per worker: light traffic that keeps checking without loading the cache. */
  pauseMs?: number;
  /** Gives up on a request after this long (counted as an error), so a hung connection cannot stall stop(). */
  requestTimeoutMs?: number;
}

export class Traffic {
  readonly stats: TrafficStats = { reads: 0, writes: 0, misses: 0, stale: 0, errors: 0, firstProblems: [] };
  private running = false;
  private loops: Promise<void>[] = [];

  /** `acked` maps each key to its last acknowledged value; the traffic keeps it up to date. `via`: a router's base URL, or a target. */
  constructor(private readonly via: () => string | KeyValueTarget, readonly acked: Map<string, string>, private readonly options: TrafficOptions = {}) {}

  start(): this {
    const { workers = 8, maxDurationMs = 120_000, maxOps = 1_000_000 } = this.options;
    const keys = [...this.acked.keys()];
    const deadline = Date.now() + maxDurationMs;
    this.running = true;
    for (let w = 0; w < workers; w++) {
      const slice = keys.filter((_, i) => i % workers === w);
      this.loops.push(this.loop(slice, deadline, Math.ceil(maxOps / workers)));
    }
    return this;
  }

  async stop(): Promise<TrafficStats> {
    this.running = false;
    await Promise.all(this.loops);
    return this.stats;
  }

  private deadline(): AbortSignal | undefined {
    const ms = this.options.requestTimeoutMs;
    return ms === undefined ? undefined : AbortSignal.timeout(ms);
  }

  private failuresShown = 0;

  /** The first few problems, for the test's output: up to 10 wrong answers, and 5 failed requests, which a dying process makes many of. */
  private problem(text: string, failedRequest = false): void {
    if (failedRequest && this.failuresShown++ >= 5) return;
    if (this.stats.firstProblems.length < 15) this.stats.firstProblems.push(text);
  }

  private async loop(keys: string[], deadline: number, maxOps: number): Promise<void> {
    const writeRatio = this.options.writeRatio ?? 0.3;
    for (let op = 0; this.running && op < maxOps && Date.now() < deadline && keys.length > 0; op++) {
      const key = keys[Math.floor(Math.random() * keys.length)] as string;
      try {
        if (Math.random() < writeRatio) await this.write(key, op);
        else await this.read(key);
      } catch (error) {
        this.stats.errors++;
        this.problem(`${key}: ${(error as Error).message}`, true);
      }
      if (this.options.pauseMs !== undefined) await sleep(this.options.pauseMs);
    }
  }

  private async write(key: string, op: number): Promise<void> {
    const value = `${key}@${op}-${Date.now()}`;
    // Until the next acknowledged write, this key's value is uncertain: the
    // write may or may not land if it fails, so a later read of either value is fine.
    const outcome = await asTarget(this.via()).put(key, value, this.deadline())
      .catch((error: unknown) => {
        this.acked.delete(key);
        throw error;
      });
    if (outcome.ok) {
      this.stats.writes++;
      this.acked.set(key, value);
    } else {
      this.stats.errors++;
      this.problem(`write ${key}: ${outcome.problem}`, true);
      this.acked.delete(key);
    }
  }

  private async read(key: string): Promise<void> {
    const via = this.via();
    const started = Date.now();
    const answer = await asTarget(via).get(key, this.deadline());
    // Where and when, for a post-mortem against the processes' logs (wall-clock ms, as they log).
    const where = `via ${typeof via === 'string' ? via : 'a target'}, read ${started}..${Date.now()}`;
    this.stats.reads++;
    const expected = this.acked.get(key);
    if (expected === undefined) return; // uncertain key: any answer is acceptable
    if ('failed' in answer) {
      this.stats.errors++;
      this.problem(`read ${key}: ${answer.failed}`, true);
    } else if (!answer.found) {
      this.stats.misses++;
      this.problem(`miss ${key} (${where})`);
    } else if (answer.value !== expected) {
      this.stats.stale++;
      this.problem(`stale ${key}: got ${answer.value}, expected ${expected} (${where})`);
    }
  }
}

/** Writes `count` keys through the client (a router's base URL, or a target) in batches and returns them with their values. */
export async function seedKeys(via: string | KeyValueTarget, count: number, prefix = 'seed'): Promise<Map<string, string>> {
  const target = asTarget(via);
  const acked = new Map<string, string>();
  for (let start = 0; start < count; start += 500) {
    const entries = Array.from({ length: Math.min(500, count - start) }, (_, i) => ({ key: `${prefix}-${start + i}`, value: `${prefix}-value-${start + i}` }));
    await target.mset(entries).catch((error: unknown) => {
      throw new Error(`seeding failed: ${(error as Error).message}`);
    });
    for (const { key, value } of entries) acked.set(key, value);
  }
  return acked;
}

/** Reads every acknowledged key once (in mget batches) and counts misses and stale values. */
export async function verifyAll(via: string | KeyValueTarget, acked: ReadonlyMap<string, string>): Promise<{ checked: number; misses: string[]; stale: string[] }> {
  const target = asTarget(via);
  const keys = [...acked.keys()];
  const misses: string[] = [];
  const stale: string[] = [];
  for (let start = 0; start < keys.length; start += 500) {
    const slice = keys.slice(start, start + 500);
    const values = await target.mget(slice).catch((error: unknown) => {
      throw new Error(`verification read failed: ${(error as Error).message}`);
    });
    for (const key of slice) {
      if (values.get(key) === undefined) misses.push(key);
      else if (values.get(key) !== acked.get(key)) stale.push(key);
    }
  }
  return { checked: keys.length, misses, stale };
}

/** Lets traffic run until it has made `ops` more requests: proof it ran across a change. */
export async function moreTraffic(traffic: Traffic, ops: number): Promise<void> {
  const target = traffic.stats.reads + traffic.stats.writes + ops;
  await waitFor(`${ops} more requests`, () => traffic.stats.reads + traffic.stats.writes >= target, { timeoutMs: 60_000 });
}
