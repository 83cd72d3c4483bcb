// What the coordinator's state and the live view say, gathered for the pure
// decisions in ring/: whether the cluster is still enough for prune and
// anti-entropy (handoff-triggers.ts, pruneDue), and whether every key has its
// R copies now (replication-state.ts; docs/architecture.md, "Readiness means
// replicated").
import type { ZkSession } from '../../membership/zk-session.js';
import { rebalanceDue, type PruneFacts } from '../../ring/handoff-triggers.js';
import type { MemberState } from '../../ring/member.js';
import { notReplicatedReason } from '../../ring/replication-state.js';
import type { Ring } from '../../ring/ring.js';
import type { RingView } from '../../ring/ring-view.js';

/** Where this member's hand-offs stand. */
export interface HandoffProgress {
  state: MemberState;
  joinRunning: boolean;
  rebalanceRunning: boolean;
  /** The placement ring that this server's keys were last handed off for. */
  handedOffFor: Ring | undefined;
}

export interface LiveSources {
  selfId: string;
  view: RingView;
  session: ZkSession;
}

export function settledFacts(progress: HandoffProgress, { session, view, selfId }: LiveSources): PruneFacts {
  return {
    state: progress.state, handingOff: progress.joinRunning || progress.rebalanceRunning, zkConnected: session.isConnected,
    settled: view.isSettled(Date.now()), members: view.members, selfId,
  };
}

/** Why this server cannot vouch that every key has its R copies now, or undefined when it can. */
export function replicationGap(progress: HandoffProgress, { session, view, selfId }: LiveSources): string | undefined {
  return notReplicatedReason({
    zkConnected: session.isConnected,
    handingOff: progress.rebalanceRunning,
    handOffPending: rebalanceDue(progress.state, view.members, selfId, progress.handedOffFor, view.ring),
    members: view.members,
    selfId,
  });
}
