// The router's side of the public API: every key goes to its owners on the
// ring. Writes are stamped with this router's clock and acknowledged once
// every reachable owner stored them; reads try the owners in ring order.
import type { CacheBackend, RingDescription, WriteRequest } from '../api/backend.js';
import type { Member } from '../membership/member.js';
import { CacheError, ServiceUnavailableError } from '../protocol/errors.js';
import type { BatchOp, BatchResult } from '../protocol/internal-batch.js';
import { RETRY_AFTER_SECONDS } from '../protocol/limits.js';
import type { Logger } from '../observability/logger.js';
import type { DataplaneMetrics } from '../observability/metrics.js';
import type { RingView } from '../ring/ring-view.js';
import type { HybridLogicalClock } from '../version/hlc.js';
import type { ServerChannels } from './server-channels.js';

/** A server refused an op it understood (for example, it has no room for the value). */
export class OwnerRefusedError extends CacheError {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function unavailable(detail: string): ServiceUnavailableError {
  return new ServiceUnavailableError(detail, RETRY_AFTER_SECONDS);
}

export class RouterBackend implements CacheBackend {
  constructor(
    private readonly view: RingView,
    private readonly channels: ServerChannels,
    private readonly clock: HybridLogicalClock,
    private readonly metrics: DataplaneMetrics,
    private readonly logger: Logger,
  ) {}

  getMany(keys: readonly string[]): Promise<Array<string | undefined>> {
    return Promise.all(keys.map((key) => this.getOne(key)));
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

  private owners(key: string): Member[] {
    const owners = this.view.ownersOf(key);
    if (owners.length === 0) throw unavailable('no cache server is available');
    return owners;
  }

  /** Reads from the owners in ring order until one has the key. */
  private async getOne(key: string): Promise<string | undefined> {
    let answered = false;
    let lastError: Error | undefined;
    for (const owner of this.owners(key)) {
      try {
        const result = await this.channels.get(owner.address).send({ op: 'get', key });
        answered = true;
        if ('found' in result && result.found) {
          this.clock.observe(result.version);
          this.metrics.hits.inc();
          return result.value;
        }
      } catch (error) {
        lastError = error as Error;
        this.logger.debug({ err: error, owner: owner.id }, 'owner did not answer a read; trying the next');
      }
    }
    if (!answered) throw unavailable(`no owner of the key answered (${lastError?.message ?? 'unknown'})`);
    this.metrics.misses.inc();
    return undefined;
  }

  /**
   * Sends a write to every owner. It succeeds when every owner that answered
   * stored it and at least one did; an owner that cannot be reached is treated
   * as gone (ZooKeeper will say so once its session ends).
   */
  private async writeToOwners(key: string, op: BatchOp): Promise<BatchResult[]> {
    const owners = this.owners(key);
    const settled = await Promise.allSettled(owners.map((owner) => this.channels.get(owner.address).send(op)));
    const results: BatchResult[] = [];
    for (const [i, outcome] of settled.entries()) {
      if (outcome.status === 'rejected') {
        this.logger.warn({ err: outcome.reason, owner: owners[i]?.id }, 'owner unreachable for a write');
        continue;
      }
      const result = outcome.value;
      if ('error' in result) throw new OwnerRefusedError(result.status, result.error);
      results.push(result);
    }
    if (results.length === 0) throw unavailable('no owner of the key could store the write');
    return results;
  }
}
