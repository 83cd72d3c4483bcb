// Whether, as far as one serving server can tell, every key has its R copies
// (docs/architecture.md, "Readiness means replicated"). A server's /readyz
// answers this, so Kubernetes' readiness, the PodDisruptionBudget and the
// rolling update all wait while keys are on the move. Pure: the server passes
// in what it knows.
import type { Member } from './member.js';

export interface ReplicationFacts {
  zkConnected: boolean;
  /** A rebalance pass is copying keys to new owners now. */
  handingOff: boolean;
  /** The placement ring moved since this server's last hand-off, and a pass has not run yet. */
  handOffPending: boolean;
  members: readonly Member[];
  selfId: string;
}

/**
 * Undefined when this server sees every key replicated; otherwise why not.
 * A joining member does not lower any key's copies (the holders keep theirs
 * until it serves), so only its own readiness waits for it; a leaving or
 * vanished one does, until its keys are copied again.
 */
export function notReplicatedReason(facts: ReplicationFacts): string | undefined {
  if (!facts.zkConnected) return 'ZooKeeper is unreachable, so the ring may be out of date';
  const self = facts.members.find((m) => m.id === facts.selfId);
  if (self?.state !== 'serving') return 'ZooKeeper does not show this server serving yet';
  const leaving = facts.members.filter((m) => m.state === 'leaving').map((m) => m.id);
  if (leaving.length > 0) return `hand-off running: ${leaving.join(', ')} ${leaving.length === 1 ? 'is' : 'are'} leaving`;
  if (facts.handingOff) return 'hand-off running: copying keys to their new owners';
  if (facts.handOffPending) return 'hand-off pending: the ring changed';
  return undefined;
}
