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
// ring/handoff-plan.ts and ring/handoff-triggers.ts. This class holds the
// member's state and starts each kind when it is due; the copies themselves
// are join-pull.ts, rebalance-pass.ts and drain-push.ts, and pruner.ts prunes.
import { setTimeout as sleep } from 'node:timers/promises';
import type { MemberRegistration } from '../../membership/registration.js';
import { HANDOFF_SETTLE_MS } from '../../protocol/handoff.js';
import type { ZkSession } from '../../membership/zk-session.js';
import type { Logger } from '../../observability/logger.js';
import type { DataplaneMetrics } from '../../observability/metrics.js';
import { drainPlacement } from '../../ring/handoff-plan.js';
import { drainReceivers, pruneDue, rebalanceDue, type PruneFacts } from '../../ring/handoff-triggers.js';
import type { MemberState } from '../../ring/member.js';
import { Ring } from '../../ring/ring.js';
import type { RingView } from '../../ring/ring-view.js';
import type { ClusterCredential } from '../../security/cluster-credential.js';
import type { VersionedStore } from '../../store/versioned-store.js';
import type { ServerChannels } from '../../transport/server-channels.js';
import { pushOwnedKeys } from './drain-push.js';
import { replicationGap, settledFacts, type HandoffProgress } from './handoff-facts.js';
import { reportHandoff } from './handoff-report.js';
import { pullOwnedKeys, type JoinPullResult } from './join-pull.js';
import { Pruner } from './pruner.js';
import { rebalancePass } from './rebalance-pass.js';

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

  private get progress(): HandoffProgress {
    return { state: this.state, joinRunning: this.joinRunning, rebalanceRunning: this.rebalanceRunning, handedOffFor: this.handedOffFor };
  }

  /** What decides whether work that needs a still cluster (prune, anti-entropy) may run now. */
  settledFacts(): PruneFacts {
    return settledFacts(this.progress, this.deps);
  }

  /** Why this server cannot vouch that every key has its R copies now, or undefined when it can. */
  notReplicatedReason(): string | undefined {
    return replicationGap(this.progress, this.deps);
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

  /** Joining: pull owned keys from every other member, again while the rings move, then serve. */
  private async join(): Promise<void> {
    if (this.joinRunning) return; // the running join pulls again if the rings moved
    this.joinRunning = true;
    const { view, store, metrics, logger, registration } = this.deps;
    const started = Date.now();
    const deadline = started + Math.max(60_000, 2 * this.deps.drainTimeoutMs);
    let pulled: JoinPullResult;
    try {
      pulled = await pullOwnedKeys(this.deps, started, deadline, () => this.stopped);
    } finally {
      this.joinRunning = false;
    }
    if (this.state !== 'joining' || this.stopped) return;
    const { copyStarted, received, bytesSent, bytesReceived } = pulled;
    reportHandoff(metrics, logger, 'join', copyStarted, 0, received, {
      keys: store.keyCount, totalSeconds: (Date.now() - started) / 1000, bytesSent, bytesReceived,
    });
    this.state = 'serving';
    this.handedOffFor = view.ring;
    await registration.setState('serving').catch((error: unknown) => logger.warn({ err: error }, 'could not publish serving'));
  }

  /** Serving: copy keys to owners that the latest ring change added. */
  private async rebalance(): Promise<void> {
    if (this.rebalanceRunning) return; // the running pass checks the ring again when it ends
    this.rebalanceRunning = true;
    const { view, selfId } = this.deps;
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
        await rebalancePass(this.deps, before);
        this.handedOffFor = target;
      }
    } finally {
      this.rebalanceRunning = false;
    }
  }

  /** Leaving: refuse writes, copy every owned key to the ring without the leavers, then return. */
  async drain(): Promise<void> {
    const { view, selfId, store, logger, registration } = this.deps;
    const started = Date.now();
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
    await pushOwnedKeys(this.deps, withUs, started);
  }

  stop(): void {
    this.stopped = true;
    this.pruner.cancel();
  }
}
