// The router's side of the public API: every key goes to its owners on the
// ring. Writes are stamped with this router's clock and acknowledged once
// every reachable owner answered and the deciding owner holds them (a write
// that lost to a newer version is stamped anew; docs/consistency.md). Reads
// ask the owners in ring order when membership is settled, and every
// candidate owner (newest version wins) while it is changing or while one of
// the key's owners failed to answer lately (suspect-owners.ts).
//
// Two kinds of process construct it: the router (router-process.ts) and an
// application's smart client (client/), which is a router in-process
// (docs/architecture.md, "The smart client"). Both keep their ring view with
// `routingView`, so both read and write by the same rules.
import type { CacheBackend, WriteRequest } from '../api/backend.js';
import type { Member } from '../ring/member.js';
import { OwnerRefusedError, ServiceUnavailableError } from '../protocol/errors.js';
import type { BatchOp, BatchResult } from '../protocol/internal-batch.js';
import { RETRY_AFTER_SECONDS } from '../protocol/limits.js';
import type { Logger } from '../observability/logger.js';
import { RingView, type RingDescription } from '../ring/ring-view.js';
import type { ServerLinks } from '../transport/server-channels.js';
import { compareVersions, type HybridLogicalClock, type Version } from '../version/hlc.js';
import { newestOf, ownersBehind, type FoundResult } from './read-verdict.js';
import { SuspectOwners } from './suspect-owners.js';
import { judgeWrite, restampAllowed, versionLostTo, type OwnerAnswer } from './write-verdict.js';

/** Rounds of re-routing when owners turn out to be leaving. */
const MAX_REROUTES = 3;

/** Stamps a write may take before the router gives up on ordering it (each one is newer than a write it lost to). */
export const MAX_WRITE_ATTEMPTS = 5;

/** `cause`: the last owner's failure, kept for a smart client's typed errors; the message (the router's answer) does not show it. */
function unavailable(detail: string, cause?: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError(detail, RETRY_AFTER_SECONDS, cause === undefined ? undefined : { cause });
}

type WriteOp = Extract<BatchOp, { version: Version }>;

/** How long after a membership change reads ask every candidate owner, and a vanished member is still read from. */
export const SETTLE_GRACE_MS = 5000;

/**
 * The ring view a router keeps. A member that vanishes is still read from
 * (as leaving) for a moment: a server whose session expired comes straight
 * back, and a crashed one just refuses the connection.
 */
export function routingView(replicationFactor: number): RingView {
  return new RingView({ replicationFactor, settleGraceMs: SETTLE_GRACE_MS, departedGraceMs: SETTLE_GRACE_MS });
}

/** The counters the backend keeps: a router's Prometheus metrics, or a smart client's plain counts. */
export interface RoutingCounters {
  hits: { inc(): void };
  misses: { inc(): void };
  writeRestamps: { inc(): void };
  readRepairs: { inc(): void };
}

export class RouterBackend implements CacheBackend {
  private readonly suspects = new SuspectOwners();

  constructor(
    private readonly view: RingView,
    private readonly channels: ServerLinks,
    private readonly clock: HybridLogicalClock,
    private readonly metrics: RoutingCounters,
    private readonly logger: Logger,
    /** Refuses work while the view may be old (a router that was stopped: membership/stall-fence.ts). */
    private readonly fence?: { fencedReason(): string | undefined },
  ) {}

  /** A 503 while the fence holds: a view that may be old must decide no read or write. */
  private assertViewUsable(): void {
    const reason = this.fence?.fencedReason();
    if (reason !== undefined) throw new ServiceUnavailableError(reason, RETRY_AFTER_SECONDS);
  }

  async getMany(keys: readonly string[]): Promise<Array<string | undefined>> {
    this.assertViewUsable();
    const settled = this.view.isSettled(Date.now());
    const values = await Promise.all(keys.map((key) => (settled ? this.readInOrder(key) : this.readNewest(key))));
    for (const value of values) (value === undefined ? this.metrics.misses : this.metrics.hits).inc();
    return values;
  }

  async setMany(writes: readonly WriteRequest[]): Promise<void> {
    this.assertViewUsable();
    const now = Date.now();
    await Promise.all(
      writes.map(({ key, value, ttlSeconds }) => {
        const expiresAt = ttlSeconds ? now + ttlSeconds * 1000 : 0;
        return this.writeInOrder(key, (version) => ({ op: 'put', key, value, version, expiresAt }));
      }),
    );
  }

  async delete(key: string): Promise<boolean> {
    this.assertViewUsable();
    return this.writeInOrder(key, (version) => ({ op: 'del', key, version }));
  }

  describeRing(): RingDescription {
    return this.view.describe();
  }

  isReady(): boolean {
    return this.view.ring.size > 0;
  }

  /** An owner did not answer: it may miss the writes the others take meanwhile. */
  private unreachable(owner: Member, error: unknown, what: string): void {
    if (this.suspects.failed(owner.id, Date.now())) {
      this.logger.warn({ err: error, owner: owner.id }, `owner unreachable for ${what}; reading every owner of its keys until anti-entropy has compared it`);
    } else {
      this.logger.debug({ err: error, owner: owner.id }, `owner unreachable for ${what}`);
    }
  }

  /**
   * A member that vanished from ZooKeeper unannounced and that this router
   * also failed to reach lately: most likely dead, so a write does not wait
   * for it (a connect timeout where its address answers nothing).
   */
  private surelyGone(member: Member): boolean {
    return this.view.vanishedUnannounced(member.id) && this.suspects.isSuspect(member.id, Date.now());
  }

  private nonEmpty(owners: Member[]): Member[] {
    if (owners.length === 0) throw unavailable('no cache server is available');
    return owners;
  }

  /**
   * Settled ring: the owners in order until one has the key. A delete an
   * owner remembers hides every older value a later owner may still hold
   * (a write that lost to that delete and is being stamped anew, say). A
   * value found past the first owner is copied to the owners before it first.
   * An owner that says it is leaving (this view had not heard yet) takes no
   * more writes: the read starts again, from the view that knows. A suspect
   * owner may be first and behind: then every owner is asked.
   */
  private async readInOrder(key: string): Promise<string | undefined> {
    let answered = false;
    let lastError: Error | undefined;
    let deletedAt: Version | undefined;
    const asked: Array<{ owner: Member; result: BatchResult }> = [];
    const owners = this.nonEmpty(this.view.ownersOf(key));
    if (this.suspects.anyOf(owners, Date.now())) return this.readNewest(key);
    for (const owner of owners) {
      try {
        const result = await this.channels.get(owner.address).send({ op: 'get', key });
        answered = true;
        if (!('found' in result)) continue;
        if (result.leaving) {
          this.view.markLeaving(owner.id, Date.now());
          return this.readNewest(key);
        }
        if (!result.found) {
          if (result.version !== undefined && (deletedAt === undefined || compareVersions(result.version, deletedAt) > 0)) deletedAt = result.version;
          asked.push({ owner, result });
        } else if (deletedAt === undefined || compareVersions(result.version, deletedAt) > 0) {
          this.clock.observe(result.version);
          await this.repair(key, result, ownersBehind(asked, result));
          return result.value;
        }
      } catch (error) {
        lastError = error as Error;
        this.unreachable(owner, error, 'a read');
      }
    }
    if (!answered) throw unavailable(`no owner of the key answered (${lastError?.message ?? 'unknown'})`, lastError);
    return undefined;
  }

  /**
   * Changing ring: ask the current holders and the future owners at once.
   * The newest version wins, and a delete (a tombstone's version) counts, so
   * a stale copy somewhere can never bring a deleted key back. The owners
   * that answered without the winner get it before the read returns. An
   * owner that said it is leaving, news to this view, changes the owners:
   * the read asks again.
   */
  private async readNewest(key: string): Promise<string | undefined> {
    const owners = this.nonEmpty(this.view.readOwners(key));
    const settled = await Promise.allSettled(owners.map((owner) => this.channels.get(owner.address).send({ op: 'get', key })));
    const answers: Array<{ owner: Member; result: BatchResult }> = [];
    let lastError: unknown;
    for (const [i, outcome] of settled.entries()) {
      if (outcome.status === 'fulfilled') answers.push({ owner: owners[i] as Member, result: outcome.value });
      else {
        lastError = outcome.reason;
        this.unreachable(owners[i] as Member, outcome.reason, 'a read');
      }
    }
    if (answers.length === 0) throw unavailable(`no owner of the key answered (${(lastError as Error | undefined)?.message ?? 'unknown'})`, lastError);
    const now = Date.now();
    const learned = answers.filter(({ owner, result }) => 'found' in result && result.leaving && this.view.markLeaving(owner.id, now));
    if (learned.length > 0) return this.readNewest(key);
    const newest = newestOf(answers.map(({ result }) => result));
    if (!newest) return undefined;
    this.clock.observe(newest.version);
    await this.repair(key, newest, ownersBehind(answers, newest));
    return newest.value;
  }

  /**
   * Read repair: copies the value a read is about to return, with its own
   * version, to owners that answered without it, so that no later read can
   * return an older value whichever owner it asks (the value may be a write
   * still on its way to them). Like a hand-off copy, it loses to anything
   * newer. An owner that cannot take it (gone, leaving) is left to the
   * hand-off; the read still answers.
   */
  private async repair(key: string, found: FoundResult, owners: readonly Member[]): Promise<void> {
    if (owners.length === 0) return;
    const copy: BatchOp = { op: 'put', key, value: found.value, version: found.version, expiresAt: found.expiresAt };
    const settled = await Promise.allSettled(owners.map((owner) => this.channels.get(owner.address).send(copy)));
    for (const [i, outcome] of settled.entries()) {
      if (outcome.status === 'fulfilled' && 'stored' in outcome.value && outcome.value.stored) this.metrics.readRepairs.inc();
      else if (outcome.status === 'rejected') this.unreachable(owners[i] as Member, outcome.reason, 'a read repair');
    }
  }

  /**
   * Stamps a write and sends it to the key's owners until it takes effect. An
   * owner that already holds a newer version (another router stamped in the
   * same ms, or its clock is ahead) answers with it; the write then takes a
   * stamp newer than that and goes out again, so it is never acknowledged
   * while an older write wins over it. Resolves whether a live value was there.
   */
  private async writeInOrder(key: string, stamp: (version: Version) => WriteOp): Promise<boolean> {
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const op = stamp(this.clock.next());
      const { answers, someUnanswered, deciderId } = await this.writeToOwners(key, op);
      const verdict = judgeWrite(op.version, answers, () => (deciderId === undefined ? [] : [deciderId]));
      if (verdict.taken) return verdict.existed;
      this.clock.observe(verdict.newest);
      if (!restampAllowed(answers, deciderId, someUnanswered)) {
        throw new ServiceUnavailableError(
          'the write lost to a newer write of the same key while its deciding owner did not answer, so it may be in place on some owner; retry it',
          RETRY_AFTER_SECONDS,
        );
      }
      this.metrics.writeRestamps.inc();
    }
    throw new ServiceUnavailableError(
      `the write lost to newer writes of the same key ${MAX_WRITE_ATTEMPTS} times in a row; retry it`,
      RETRY_AFTER_SECONDS,
    );
  }

  /**
   * Sends a write to the key's deciding owner first, then to every other owner
   * in both rings, and returns the answers. A write the deciding owner did not
   * take goes nowhere else, so no owner ever holds a version that may yet be
   * stamped again, and a read that finds a value anywhere finds a decided one
   * (docs/consistency.md, "The deciding owner first"). An owner that cannot be
   * reached is treated as gone (ZooKeeper will say so once its session ends);
   * an owner that says it is leaving is re-routed around at once, a deciding
   * one by asking the next deciding owner first. At least one owner must
   * answer. Says which deciding owner the write was judged by, and whether
   * some owner it was sent to did not answer.
   */
  private async writeToOwners(key: string, op: WriteOp): Promise<{ answers: OwnerAnswer[]; someUnanswered: boolean; deciderId: string | undefined }> {
    const answers: OwnerAnswer[] = [];
    const tried = new Set<string>();
    let lastFailure: unknown;
    // Chosen as the write goes out, and judged by that choice: once it has taken the write, the write is
    // decided and visible, whatever the view becomes meanwhile (a joiner that turned serving since
    // answered while it was still pulling). One that says it is leaving holds nothing of this write, so
    // the next deciding owner of the view that now knows is asked first instead.
    let decider: Member | undefined;
    for (let reroute = 0; reroute <= MAX_REROUTES; reroute++) {
      decider = this.view.decidingOwners(key).find((m) => !tried.has(m.id));
      if (decider === undefined) break;
      tried.add(decider.id);
      const outcome = await this.channels.get(decider.address).send(op).then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );
      if ('error' in outcome) {
        lastFailure = outcome.error;
        this.unreachable(decider, outcome.error, 'a write it decides; sending it to the others');
      } else if ('refused' in outcome.result) {
        this.view.markLeaving(decider.id, Date.now());
        decider = undefined;
        continue;
      } else if ('error' in outcome.result) {
        throw new OwnerRefusedError(outcome.result.status, outcome.result.error);
      } else if ('stored' in outcome.result) {
        answers.push({ ownerId: decider.id, result: outcome.result });
        if (versionLostTo(outcome.result, op.version) !== undefined) return { answers, someUnanswered: false, deciderId: decider.id };
      }
      break;
    }
    for (let round = 0; round <= MAX_REROUTES; round++) {
      const owners = this.nonEmpty(this.view.writeOwners(key)).filter((m) => !tried.has(m.id) && !this.surelyGone(m));
      if (owners.length === 0) break;
      const settled = await Promise.allSettled(owners.map((owner) => this.channels.get(owner.address).send(op)));
      let rerouted = false;
      for (const [i, outcome] of settled.entries()) {
        const owner = owners[i] as Member;
        tried.add(owner.id);
        if (outcome.status === 'rejected') {
          lastFailure = outcome.reason;
          this.unreachable(owner, outcome.reason, 'a write');
          continue;
        }
        const result = outcome.value;
        if ('refused' in result) {
          this.view.markLeaving(owner.id, Date.now());
          rerouted = true;
        } else if ('error' in result) {
          throw new OwnerRefusedError(result.status, result.error);
        } else if ('stored' in result) {
          answers.push({ ownerId: owner.id, result });
        }
      }
      if (!rerouted) break;
    }
    if (answers.length === 0) throw unavailable('no owner of the key could store the write', lastFailure);
    return { answers, someUnanswered: lastFailure !== undefined, deciderId: decider?.id };
  }
}
