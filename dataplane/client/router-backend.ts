// The router's side of the public API: every key goes to its owners on the
// ring. Writes are stamped with this router's clock and acknowledged once
// every reachable owner stored them. Reads ask the owners in ring order when
// membership is settled, and every candidate owner (newest version wins)
// while it is changing.
import type { CacheBackend, RingDescription, WriteRequest } from '../api/backend.js';
import type { Member } from '../membership/member.js';
import { CacheError, ServiceUnavailableError } from '../protocol/errors.js';
import type { BatchOp, BatchResult } from '../protocol/internal-batch.js';
import { RETRY_AFTER_SECONDS } from '../protocol/limits.js';
import type { Logger } from '../observability/logger.js';
import type { DataplaneMetrics } from '../observability/metrics.js';
import type { RingView } from '../ring/ring-view.js';
import type { ServerChannels } from '../transport/server-channels.js';
import { compareVersions, type HybridLogicalClock, type Version } from '../version/hlc.js';

/** A server refused an op it understood (for example, it has no room for the value). */
export class OwnerRefusedError extends CacheError {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Rounds of re-routing when owners turn out to be leaving. */
const MAX_REROUTES = 3;

function unavailable(detail: string): ServiceUnavailableError {
  return new ServiceUnavailableError(detail, RETRY_AFTER_SECONDS);
}

type Found = Extract<BatchResult, { found: true }>;

export class RouterBackend implements CacheBackend {
  constructor(
    private readonly view: RingView,
    private readonly channels: ServerChannels,
    private readonly clock: HybridLogicalClock,
    private readonly metrics: DataplaneMetrics,
    private readonly logger: Logger,
  ) {}

  async getMany(keys: readonly string[]): Promise<Array<string | undefined>> {
    const settled = this.view.isSettled(Date.now());
    const values = await Promise.all(keys.map((key) => (settled ? this.readInOrder(key) : this.readNewest(key))));
    for (const value of values) (value === undefined ? this.metrics.misses : this.metrics.hits).inc();
    return values;
  }

  async setMany(writes: readonly WriteRequest[]): Promise<void> {
    const now = Date.now();
    await Promise.all(
      writes.map(({ key, value, ttlSeconds }) =>
        this.writeToOwners(key, {
          op: 'put', key, value, version: this.clock.next(), expiresAt: ttlSeconds ? now + ttlSeconds * 1000 : 0,
        }),
      ),
    );
  }

  async delete(key: string): Promise<boolean> {
    const results = await this.writeToOwners(key, { op: 'del', key, version: this.clock.next() });
    return results.some((r) => 'existed' in r && r.existed);
  }

  describeRing(): RingDescription {
    return this.view.describe();
  }

  isReady(): boolean {
    return this.view.ring.size > 0;
  }

  private nonEmpty(owners: Member[]): Member[] {
    if (owners.length === 0) throw unavailable('no cache server is available');
    return owners;
  }

  /** Settled ring: the owners in order until one has the key. */
  private async readInOrder(key: string): Promise<string | undefined> {
    let answered = false;
    let lastError: Error | undefined;
    for (const owner of this.nonEmpty(this.view.ownersOf(key))) {
      try {
        const result = await this.channels.get(owner.address).send({ op: 'get', key });
        answered = true;
        if ('found' in result && result.found) {
          this.clock.observe(result.version);
          return result.value;
        }
      } catch (error) {
        lastError = error as Error;
        this.logger.debug({ err: error, owner: owner.id }, 'owner did not answer a read; trying the next');
      }
    }
    if (!answered) throw unavailable(`no owner of the key answered (${lastError?.message ?? 'unknown'})`);
    return undefined;
  }

  /**
   * Changing ring: ask the current holders and the future owners at once.
   * The newest version wins, and a delete (a tombstone's version) counts, so
   * a stale copy somewhere can never bring a deleted key back.
   */
  private async readNewest(key: string): Promise<string | undefined> {
    const owners = this.nonEmpty(this.view.readOwners(key));
    const settled = await Promise.allSettled(owners.map((owner) => this.channels.get(owner.address).send({ op: 'get', key })));
    let newest: Found | undefined;
    let newestDelete: Version | undefined;
    let answered = false;
    let lastError: unknown;
    for (const outcome of settled) {
      if (outcome.status === 'rejected') {
        lastError = outcome.reason;
        continue;
      }
      answered = true;
      const result = outcome.value;
      if (!('found' in result)) continue;
      if (result.found) {
        if (!newest || compareVersions(result.version, newest.version) > 0) newest = result;
      } else if (result.version && (!newestDelete || compareVersions(result.version, newestDelete) > 0)) {
        newestDelete = result.version;
      }
    }
    if (!answered) throw unavailable(`no owner of the key answered (${(lastError as Error | undefined)?.message ?? 'unknown'})`);
    if (!newest || (newestDelete && compareVersions(newestDelete, newest.version) > 0)) return undefined;
    this.clock.observe(newest.version);
    return newest.value;
  }

  /**
   * Sends a write to every owner in both rings. It succeeds when every owner
   * that answered stored it and at least one did. An owner that cannot be
   * reached is treated as gone (ZooKeeper will say so once its session ends);
   * an owner that says it is leaving is re-routed around at once.
   */
  private async writeToOwners(key: string, op: BatchOp): Promise<BatchResult[]> {
    const results: BatchResult[] = [];
    const tried = new Set<string>();
    for (let round = 0; round <= MAX_REROUTES; round++) {
      const owners = this.nonEmpty(this.view.writeOwners(key)).filter((m) => !tried.has(m.id));
      if (owners.length === 0) break;
      const settled = await Promise.allSettled(owners.map((owner) => this.channels.get(owner.address).send(op)));
      let rerouted = false;
      for (const [i, outcome] of settled.entries()) {
        const owner = owners[i] as Member;
        tried.add(owner.id);
        if (outcome.status === 'rejected') {
          this.logger.warn({ err: outcome.reason, owner: owner.id }, 'owner unreachable for a write');
          continue;
        }
        const result = outcome.value;
        if ('refused' in result) {
          this.view.markLeaving(owner.id, Date.now());
          rerouted = true;
        } else if ('error' in result) {
          throw new OwnerRefusedError(result.status, result.error);
        } else {
          results.push(result);
        }
      }
      if (!rerouted) break;
    }
    if (results.length === 0) throw unavailable('no owner of the key could store the write');
    return results;
  }
}
