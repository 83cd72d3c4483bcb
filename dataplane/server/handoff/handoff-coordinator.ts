// Moves keys when membership changes, so that no acknowledged write is lost
// (docs/architecture.md, "Hand-off"):
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
// What moves where, and when, is decided by the pure functions in
// ring/handoff-plan.ts and ring/handoff-triggers.ts; this class holds the
// member's state and does the I/O.
import { setTimeout as sleep } from 'node:timers/promises';
import type { MemberRegistration } from '../../membership/registration.js';
import { HANDOFF_SETTLE_MS } from '../../protocol/handoff.js';
import type { ZkSession } from '../../membership/zk-session.js';
import type { Logger } from '../../observability/logger.js';
import type { DataplaneMetrics } from '../../observability/metrics.js';
import { drainPlacement, handoffTargets } from '../../ring/handoff-plan.js';
import { drainReceivers, pruneDue, pullSources, rebalanceDue, ringsFingerprint, type PruneFacts } from '../../ring/handoff-triggers.js';
import type { MemberState } from '../../ring/member.js';
import { notReplicatedReason } from '../../ring/replication-state.js';
import { Ring } from '../../ring/ring.js';
import type { RingView } from '../../ring/ring-view.js';
import type { ClusterCredential } from '../../security/cluster-credential.js';
import type { VersionedStore } from '../../store/versioned-store.js';
import type { ServerChannels } from '../../transport/server-channels.js';
import { reportHandoff, type HandoffKind } from './handoff-report.js';
import { sendKeys, type SendPlan } from './key-sender.js';
import { Pruner } from './pruner.js';
import { pullFromAll } from './puller.js';


export interface HandoffCoordinatorDeps {
  selfId: string;
  replicationFactor: number;
  store: VersionedStore;
  view: RingView;
  registration: MemberRegistration;
  session: ZkSession;
  channels: ServerChannels;
  credential: ClusterCredential;
  metrics: DataplaneMetrics;
  logger: Logger;
  drainTimeoutMs: number;
  zkSessionTimeoutMs: number;
}

export class HandoffCoordinator {
  private state: MemberState = 'joining';
  private joinRunning = false;
  private rebalanceRunning = false;
  /** The placement ring that this server's keys were last handed off for. */
  private handedOffFor: Ring | undefined;
  private readonly pruner: Pruner;
  private stopped = false;

  constructor(private readonly deps: HandoffCoordinatorDeps) {
    this.pruner = new Pruner({
      ...deps,
      due: () => pruneDue(this.settledFacts()),
      serving: () => this.state === 'serving',
    });
    deps.registration.on('registered', (state) => {
      this.state = state;
      if (state === 'joining') void this.join();
    });
  }

  get memberState(): MemberState {
    return this.state;
  }

  /** What decides whether work that needs a still cluster (prune, anti-entropy) may run now. */
  settledFacts(): PruneFacts {
    const { session, view, selfId } = this.deps;
    return {
      state: this.state, handingOff: this.joinRunning || this.rebalanceRunning, zkConnected: session.isConnected,
      settled: view.isSettled(Date.now()), members: view.members, selfId,
    };
  }

  /** Why this server cannot vouch that every key has its R copies now, or undefined when it can. */
  notReplicatedReason(): string | undefined {
    const { view, selfId, session } = this.deps;
    return notReplicatedReason({
      zkConnected: session.isConnected,
      handingOff: this.rebalanceRunning,
      handOffPending: rebalanceDue(this.state, view.members, selfId, this.handedOffFor, view.ring),
      members: view.members,
      selfId,
    });
  }

  /** Writes are refused once leaving, so every write lands where it will stay. */
  acceptsWrites(): boolean {
    return this.state !== 'leaving';
  }

  /** The view changed (see RingFollower); `before` is the placement ring until then. */
  onRingChange(before: Ring): void {
    if (this.state === 'serving' && this.deps.view.ring !== before) void this.rebalance();
    this.pruner.schedule();
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

  private report(kind: HandoffKind, started: number, sent: number, received: number, extra: Record<string, unknown>): void {
    reportHandoff(this.deps.metrics, this.deps.logger, kind, started, sent, received, extra);
  }

  /** Joining: pull owned keys from every other member, again while the rings move, then serve. */
  private async join(): Promise<void> {
    if (this.joinRunning) return; // the running join pulls again if the rings moved
    this.joinRunning = true;
    const { view, selfId, replicationFactor, store, logger, registration } = this.deps;
    const started = Date.now();
    const deadline = started + Math.max(60_000, 2 * this.deps.drainTimeoutMs);
    const inTime = (): boolean => Date.now() < deadline && !this.stopped;
    let received = 0;
    const bytes = { bytesSent: 0, bytesReceived: 0 };
    // The copy itself is timed, not the settle delay before it, so keys/s means transfer speed.
    let copyStarted = started;
    try {
      // Our own znode must be in the view, so the ring we ask for includes us.
      while (!view.members.some((m) => m.id === selfId) && inTime()) await sleep(50);
      if (view.members.some((m) => m.id !== selfId)) {
        // Let every router see us as joining, so their writes reach us before we copy.
        await sleep(HANDOFF_SETTLE_MS);
        copyStarted = Date.now();
      }
      let pulledFor: string | undefined;
      for (;;) {
        const rings = ringsFingerprint(view.ring, view.holdingRing);
        const sources = pullSources(view.members, selfId, rings, pulledFor);
        if (sources.length === 0) break;
        logger.info({ sources: sources.map((m) => m.id), epoch: view.epoch }, 'hand-off started: joining');
        const request = { requester: selfId, members: [...view.ring.members], holders: [...view.holdingRing.members], replicationFactor };
        const round = {
          request, deadline, credential: this.deps.credential,
          isMember: (id: string) => view.members.some((m) => m.id === id), stopped: () => this.stopped,
        };
        const results = await pullFromAll(sources, round, store, logger);
        received += results.reduce((sum, r) => sum + r.received, 0);
        for (const r of results) {
          bytes.bytesSent += r.bytesSent;
          bytes.bytesReceived += r.bytesReceived;
        }
        pulledFor = rings;
        if (!inTime()) break;
      }
    } finally {
      this.joinRunning = false;
    }
    if (this.state !== 'joining' || this.stopped) return;
    this.report('join', copyStarted, 0, received, { keys: store.keyCount, totalSeconds: (Date.now() - started) / 1000, ...bytes });
    this.state = 'serving';
    this.handedOffFor = view.ring;
    await registration.setState('serving').catch((error: unknown) => logger.warn({ err: error }, 'could not publish serving'));
  }

  /** Serving: copy keys to owners that the latest ring change added. */
  private async rebalance(): Promise<void> {
    if (this.rebalanceRunning) return; // the running pass checks the ring again when it ends
    this.rebalanceRunning = true;
    const { view, selfId, store, channels, logger } = this.deps;
    try {
      const due = (): boolean => !this.stopped && rebalanceDue(this.state, view.members, selfId, this.handedOffFor, view.ring);
      while (due()) {
        // Let every writer see the change first, as a join does: a write routed by the ring before it
        // goes to the old owners, us among them, and must be here before we copy (a smart client's
        // ring may lag by WRITE_RING_MAX_AGE_MS; docs/architecture.md, "Rebalance").
        await sleep(HANDOFF_SETTLE_MS);
        if (!due()) break;
        const before = this.handedOffFor ?? view.ring;
        const target = view.ring;
        const started = Date.now();
        if (store.keyCount > 0) logger.info({ epoch: view.epoch, keys: store.keyCount }, 'hand-off started: rebalance');
        const result = await sendKeys(store, store.keys(), channels, this.plan(before, false, Number.POSITIVE_INFINITY), logger);
        this.handedOffFor = target;
        // A pass that found nothing to move is not a hand-off worth a log line.
        if (result.keys > 0) this.report('rebalance', started, result.copiesSent, 0, {
          keysConsidered: result.keys, copiesStored: result.copiesStored, failed: result.failed,
          valuesSent: result.valuesSent, bytesSent: result.bytesSent, bytesReceived: result.bytesReceived,
        });
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
    this.pruner.cancel();
    // The ring as if we stayed: it decides which keys are ours to hand off.
    const withUs = new Ring(drainPlacement(view.members, selfId));
    view.markLeaving(selfId, Date.now());
    await registration.setState('leaving').catch((error: unknown) => logger.warn({ err: error }, 'could not publish leaving'));
    const receivers = drainReceivers(view.members, selfId);
    if (!wasServing || receivers.length === 0) {
      logger.info({ keys: store.keyCount }, receivers.length === 0 ? 'no member left to hand keys to' : 'left before serving; nothing to hand off');
      return;
    }
    logger.info({ keys: store.keyCount, to: receivers.map((m) => m.id) }, 'hand-off started: drain');
    // Let routers and other leavers see our state, so all compute the same ring.
    await sleep(HANDOFF_SETTLE_MS);
    const copyStarted = Date.now();
    let sent = 0;
    let failed = 0;
    const moved = { valuesSent: 0, bytesSent: 0, bytesReceived: 0 };
    let target: Ring;
    do {
      target = view.ring;
      const result = await sendKeys(store, store.keys(), channels, this.plan(withUs, true, deadline), logger);
      sent += result.copiesSent;
      for (const field of ['valuesSent', 'bytesSent', 'bytesReceived'] as const) moved[field] += result[field];
      failed = result.failed;
    } while (view.ring !== target && Date.now() < deadline);
    if (failed > 0 || Date.now() > deadline) {
      logger.error({ failed, drainTimeoutMs: this.deps.drainTimeoutMs }, 'drain incomplete: some keys were not handed off');
    }
    this.report('drain', copyStarted, sent, 0, { failed, totalSeconds: (Date.now() - started) / 1000, ...moved });
  }

  stop(): void {
    this.stopped = true;
    this.pruner.cancel();
  }
}
