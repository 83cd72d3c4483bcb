// Moves keys when membership changes, so that no acknowledged write is lost:
//   join      - a new (or re-registered) server pulls the keys it owns from the
//               other members (holders, and joiners that may hold the only
//               copy of a write), and only then serves;
//   rebalance - when members leave or vanish, each serving owner copies its
//               keys to their new owners (re-replication back to R copies);
//               while a member is still leaving (draining) it waits for it;
//   drain     - on SIGTERM a server stops taking writes, copies every key it
//               owns to the owners in the ring without the leaving members,
//               and only then deregisters;
//   prune     - once the ring has settled, a server drops keys it no longer owns.
// Every copy is a versioned put, so none replaces a newer write or a delete.
import type { Member, MemberState } from '../../membership/member.js';
import type { MemberRegistration } from '../../membership/registration.js';
import type { ZkSession } from '../../membership/zk-session.js';
import type { Logger } from '../../observability/logger.js';
import type { DataplaneMetrics } from '../../observability/metrics.js';
import { handoffTargets, ownsKey } from '../../ring/handoff-plan.js';
import { Ring } from '../../ring/ring.js';
import { placementMembers, type RingView } from '../../ring/ring-view.js';
import type { VersionedStore } from '../../store/versioned-store.js';
import type { ServerChannels } from '../../transport/server-channels.js';
import { sendKeys, type SendPlan } from './key-sender.js';
import { pullFrom, type PullResult } from './puller.js';

/** Time for a state change in ZooKeeper to reach every router before data moves. */
export const HANDOFF_SETTLE_MS = 500;
/**
 * Prune only after the view has been settled this long: well past the time a
 * router may lag behind ZooKeeper (a stuck connection is replaced after the
 * session timeout), since a lagging router may still read the old owners.
 */
const PRUNE_DELAY_MIN_MS = 30_000;
const PULL_RETRY_MS = 500;
const PULL_ATTEMPTS = 5;
const PRUNE_CHUNK_KEYS = 2000;

export type HandoffKind = 'join' | 'rebalance' | 'drain';

export interface HandoffCoordinatorDeps {
  selfId: string;
  replicationFactor: number;
  store: VersionedStore;
  view: RingView;
  registration: MemberRegistration;
  session: ZkSession;
  channels: ServerChannels;
  metrics: DataplaneMetrics;
  logger: Logger;
  drainTimeoutMs: number;
  zkSessionTimeoutMs: number;
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Ids of both rings: a change in them (not in states alone) can move keys. */
function ringFingerprint(view: RingView): string {
  return `${view.ring.members.map((m) => m.id).join(',')}|${view.holdingRing.members.map((m) => m.id).join(',')}`;
}

export class HandoffCoordinator {
  private state: MemberState = 'joining';
  private joinRunning = false;
  private joinAgain = false;
  private rebalanceRunning = false;
  /** The placement ring that this server's keys were last handed off for. */
  private handedOffFor: Ring | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: HandoffCoordinatorDeps) {
    deps.registration.on('registered', (state) => {
      this.state = state;
      if (state === 'joining') void this.join();
    });
  }

  get memberState(): MemberState {
    return this.state;
  }

  /** Writes are refused once leaving, so every write lands where it will stay. */
  acceptsWrites(): boolean {
    return this.state !== 'leaving';
  }

  /** Called with each new member list from ZooKeeper. */
  onMembers(members: Member[]): void {
    const { view, metrics } = this.deps;
    const before = view.ring;
    if (!view.update(members, Date.now())) return;
    metrics.recordRing(view.epoch, view.members);
    this.deps.logger.info({ epoch: view.epoch, members: view.members }, 'ring changed');
    if (this.joinRunning) this.joinAgain = true;
    if (this.state === 'serving' && view.ring !== before) void this.rebalance();
    this.schedulePrune();
  }

  private plan(before: Ring, includeJoining: boolean, deadline: number): SendPlan {
    const { view, selfId, replicationFactor } = this.deps;
    return {
      targetsFor: (key) => handoffTargets(key, before, view.ring, { replicationFactor, selfId, includeJoining }),
      onLeaving: (id) => view.markLeaving(id, Date.now()),
      isMember: (id) => view.members.some((m) => m.id === id),
      deadline,
    };
  }

  private record(kind: HandoffKind, started: number, sent: number, received: number, extra: Record<string, unknown>): void {
    const seconds = (Date.now() - started) / 1000;
    const moved = sent + received;
    this.deps.metrics.handoffDuration.observe({ kind }, seconds);
    if (sent) this.deps.metrics.keysMoved.inc({ direction: 'sent', kind }, sent);
    if (received) this.deps.metrics.keysMoved.inc({ direction: 'received', kind }, received);
    this.deps.logger.info(
      { kind, seconds, keysSent: sent, keysReceived: received, keysPerSecond: seconds > 0 ? Math.round(moved / seconds) : moved, ...extra },
      'hand-off finished',
    );
  }

  /** Joining: pull owned keys from every other member, again if the rings move meanwhile, then serve. */
  private async join(): Promise<void> {
    if (this.joinRunning) {
      this.joinAgain = true;
      return;
    }
    this.joinRunning = true;
    const { view, selfId, store, logger, registration } = this.deps;
    const started = Date.now();
    const deadline = started + Math.max(60_000, 2 * this.deps.drainTimeoutMs);
    let received = 0;
    // The copy itself is timed, not the settle delay before it, so keys/s means transfer speed.
    let copyStarted = started;
    try {
      // Our own znode must be in the view, so the ring we ask for includes us.
      while (!view.members.some((m) => m.id === selfId) && Date.now() < deadline && !this.stopped) await delay(50);
      let pulledFor = '';
      let first = true;
      do {
        this.joinAgain = false;
        if (!view.members.some((m) => m.id !== selfId)) break;
        if (first) {
          // Let every router see us as joining, so their writes reach us before we copy.
          await delay(HANDOFF_SETTLE_MS);
          first = false;
          copyStarted = Date.now();
        }
        // Every other member is asked, joiners too: they may hold the only copy of a write (see sendsOnPull).
        const sources = view.members.filter((m) => m.id !== selfId);
        logger.info({ sources: sources.map((m) => m.id), epoch: view.epoch }, 'hand-off started: joining');
        const fingerprint = ringFingerprint(view);
        if (fingerprint === pulledFor) break;
        const results = await this.pullAll(sources, deadline);
        received += results.reduce((sum, r) => sum + r.received, 0);
        pulledFor = fingerprint;
      } while ((this.joinAgain || ringFingerprint(view) !== pulledFor) && Date.now() < deadline && !this.stopped);
    } finally {
      this.joinRunning = false;
    }
    if (this.state !== 'joining' || this.stopped) return;
    this.record('join', copyStarted, 0, received, { keys: store.keyCount, totalSeconds: (Date.now() - started) / 1000 });
    this.state = 'serving';
    this.handedOffFor = view.ring;
    await registration.setState('serving').catch((error: unknown) => logger.warn({ err: error }, 'could not publish serving'));
  }

  /**
   * Pulls from every holder; each key comes from its first holder only. A
   * holder that cannot be reached is skipped, and the others are asked again
   * for the keys it would have sent.
   */
  private async pullAll(sources: Member[], deadline: number): Promise<PullResult[]> {
    const { view, selfId, replicationFactor, store, logger } = this.deps;
    const members = [...view.ring.members];
    const holders = [...view.holdingRing.members];
    const skip: string[] = [];
    const results: PullResult[] = [];
    let pending = sources;
    while (pending.length > 0 && !this.stopped) {
      const request = { requester: selfId, members, holders, skip: [...skip], replicationFactor };
      const failed: string[] = [];
      await Promise.all(pending.map(async (source) => {
        for (let attempt = 1; ; attempt++) {
          try {
            results.push(await pullFrom(source, request, store));
            return;
          } catch (error) {
            const gone = !view.members.some((m) => m.id === source.id);
            if (gone || attempt >= PULL_ATTEMPTS || Date.now() > deadline || this.stopped) {
              logger.warn({ err: error, source: source.id, attempt }, 'could not pull from a holder; asking the others for its keys');
              failed.push(source.id);
              return;
            }
            await delay(PULL_RETRY_MS);
          }
        }
      }));
      if (failed.length === 0) break;
      skip.push(...failed);
      pending = sources.filter((m) => !skip.includes(m.id));
    }
    return results;
  }

  /** Serving: copy keys to owners that the latest ring change added. */
  private async rebalance(): Promise<void> {
    if (this.rebalanceRunning) return; // the running pass checks the ring again when it ends
    this.rebalanceRunning = true;
    const { view, store, channels, logger } = this.deps;
    try {
      while (this.state === 'serving' && this.handedOffFor !== view.ring && !this.stopped) {
        // A leaving member hands its keys off itself. Copying them too would double its receivers'
        // work and slow its drain, so wait until it is gone (finished or crashed), then copy from
        // the ring it left: that also covers a drain cut short.
        if (view.members.some((m) => m.state === 'leaving' && m.id !== this.deps.selfId)) break;
        const before = this.handedOffFor ?? view.ring;
        const target = view.ring;
        const started = Date.now();
        if (store.keyCount > 0) logger.info({ epoch: view.epoch, keys: store.keyCount }, 'hand-off started: rebalance');
        const result = await sendKeys(store, store.keys(), channels, this.plan(before, false, Number.POSITIVE_INFINITY), logger);
        this.handedOffFor = target;
        // A pass that found nothing to move is not a hand-off worth a log line.
        if (result.keys > 0) this.record('rebalance', started, result.copiesSent, 0, { keysConsidered: result.keys, copiesStored: result.copiesStored, failed: result.failed });
      }
    } finally {
      this.rebalanceRunning = false;
    }
  }

  /** Leaving: refuse writes, copy every owned key to the ring without the leavers, then return. */
  async drain(): Promise<void> {
    const { view, selfId, store, channels, logger, registration } = this.deps;
    const started = Date.now();
    const deadline = started + this.deps.drainTimeoutMs;
    const wasServing = this.state === 'serving';
    this.state = 'leaving';
    clearTimeout(this.pruneTimer);
    // The ring as if we stayed: it decides which keys are ours to hand off.
    const withUs = new Ring(placementMembers(view.members.map((m) => (m.id === selfId ? { ...m, state: 'serving' as const } : m))));
    view.markLeaving(selfId, Date.now());
    await registration.setState('leaving').catch((error: unknown) => logger.warn({ err: error }, 'could not publish leaving'));
    const others = view.members.filter((m) => m.id !== selfId && m.state !== 'leaving');
    if (!wasServing || others.length === 0) {
      logger.info({ keys: store.keyCount }, others.length === 0 ? 'no member left to hand keys to' : 'left before serving; nothing to hand off');
      return;
    }
    logger.info({ keys: store.keyCount, to: others.map((m) => m.id) }, 'hand-off started: drain');
    // Let routers and other leavers see our state, so all compute the same ring.
    await delay(HANDOFF_SETTLE_MS);
    const copyStarted = Date.now();
    let sent = 0;
    let failed = 0;
    let target: Ring;
    do {
      target = view.ring;
      const result = await sendKeys(store, store.keys(), channels, this.plan(withUs, true, deadline), logger);
      sent += result.copiesSent;
      failed = result.failed;
    } while (view.ring !== target && Date.now() < deadline);
    if (failed > 0 || Date.now() > deadline) {
      logger.error({ failed, drainTimeoutMs: this.deps.drainTimeoutMs }, 'drain incomplete: some keys were not handed off');
    }
    this.record('drain', copyStarted, sent, 0, { failed, totalSeconds: (Date.now() - started) / 1000 });
  }

  private schedulePrune(): void {
    clearTimeout(this.pruneTimer);
    this.pruneTimer = setTimeout(() => void this.prune(), Math.max(PRUNE_DELAY_MIN_MS, 3 * this.deps.zkSessionTimeoutMs));
    this.pruneTimer.unref();
  }

  /** Drops keys this server does not own, once everyone agrees on the ring. */
  private async prune(): Promise<void> {
    const { view, selfId, replicationFactor, store, logger, session } = this.deps;
    if (this.state !== 'serving' || this.joinRunning || this.rebalanceRunning || !session.isConnected) return this.schedulePrune();
    if (!view.isSettled(Date.now())) return this.schedulePrune();
    // Never prune from a view that does not show us serving: it would drop everything.
    if (!view.members.some((m) => m.id === selfId && m.state === 'serving')) return this.schedulePrune();
    const ring = view.ring;
    const keys = store.keys();
    let pruned = 0;
    for (let i = 0; i < keys.length; i++) {
      if (view.ring !== ring || this.state !== 'serving') return; // a change reschedules us
      const key = keys[i] as string;
      if (!ownsKey(key, ring, selfId, replicationFactor)) {
        store.forget(key);
        pruned++;
      }
      if (i % PRUNE_CHUNK_KEYS === PRUNE_CHUNK_KEYS - 1) await new Promise((r) => setImmediate(r));
    }
    if (pruned > 0) logger.info({ pruned, keys: store.keyCount }, 'pruned keys this server no longer owns');
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.pruneTimer);
  }
}
