// A join's copy: pull the keys this server owns from every other member, and
// pull again while the rings move, until a round finds them still or time is
// up (docs/architecture.md, "Hand-off", Join). Whom to pull from is decided
// by ring/handoff-triggers.ts; the coordinator decides what the join leads to.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../observability/logger.js';
import { HANDOFF_SETTLE_MS } from '../../protocol/handoff.js';
import { pullSources, ringsFingerprint } from '../../ring/handoff-triggers.js';
import type { RingView } from '../../ring/ring-view.js';
import type { ClusterCredential } from '../../security/cluster-credential.js';
import type { VersionedStore } from '../../store/versioned-store.js';
import { pullFromAll } from './puller.js';

export interface JoinPullDeps {
  selfId: string;
  replicationFactor: number;
  store: VersionedStore;
  view: RingView;
  credential: ClusterCredential;
  logger: Logger;
}

export interface JoinPullResult {
  /** When the copy began, after the settle delay: keys/s means transfer speed. */
  copyStarted: number;
  received: number;
  bytesSent: number;
  bytesReceived: number;
}

/** Pulls until done, `deadline` passes, or `stopped()` says so. */
export async function pullOwnedKeys(deps: JoinPullDeps, started: number, deadline: number, stopped: () => boolean): Promise<JoinPullResult> {
  const { view, selfId, replicationFactor, store, logger } = deps;
  const inTime = (): boolean => Date.now() < deadline && !stopped();
  const result: JoinPullResult = { copyStarted: started, received: 0, bytesSent: 0, bytesReceived: 0 };
  // Our own znode must be in the view, so the ring we ask for includes us.
  while (!view.members.some((m) => m.id === selfId) && inTime()) await sleep(50);
  if (view.members.some((m) => m.id !== selfId)) {
    // Let every router see us as joining, so their writes reach us before we copy.
    await sleep(HANDOFF_SETTLE_MS);
    result.copyStarted = Date.now();
  }
  let pulledFor: string | undefined;
  for (;;) {
    const rings = ringsFingerprint(view.ring, view.holdingRing);
    const sources = pullSources(view.members, selfId, rings, pulledFor);
    if (sources.length === 0) break;
    logger.info({ sources: sources.map((m) => m.id), epoch: view.epoch }, 'hand-off started: joining');
    const request = { requester: selfId, members: [...view.ring.members], holders: [...view.holdingRing.members], replicationFactor };
    const round = {
      request, deadline, credential: deps.credential,
      isMember: (id: string) => view.members.some((m) => m.id === id), stopped,
    };
    for (const r of await pullFromAll(sources, round, store, logger)) {
      result.received += r.received;
      result.bytesSent += r.bytesSent;
      result.bytesReceived += r.bytesReceived;
    }
    pulledFor = rings;
    if (!inTime()) break;
  }
  return result;
}
