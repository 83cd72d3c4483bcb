// How a push (rebalance, drain) picks each key's receivers: the owners that
// the live placement ring adds over `before` (ring/handoff-plan.ts), asked
// again for every key, since the view may move during a long push.
import { handoffTargets } from '../../ring/handoff-plan.js';
import type { Ring } from '../../ring/ring.js';
import type { RingView } from '../../ring/ring-view.js';
import type { SendPlan } from './key-sender.js';

export interface PushPlanContext {
  view: RingView;
  selfId: string;
  replicationFactor: number;
}

/** `includeJoining`: joiners pull their keys themselves, so a rebalance leaves them out; a drain does not. */
export function pushPlan({ view, selfId, replicationFactor }: PushPlanContext, before: Ring, includeJoining: boolean, deadline: number): SendPlan {
  return {
    targetsFor: (key) => handoffTargets(key, before, view.ring, { replicationFactor, selfId, includeJoining }),
    onLeaving: (id) => view.markLeaving(id, Date.now()),
    isMember: (id) => view.members.some((m) => m.id === id),
    deadline,
  };
}
