// Drops the keys a server no longer owns, so no stale copy lingers on a
// future owner. It runs only after the view has stayed unchanged a while
// (pruneDue decides), in chunks so requests keep their turn.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '../../observability/logger.js';
import { ownsKey } from '../../ring/handoff-plan.js';
import type { RingView } from '../../ring/ring-view.js';
import type { VersionedStore } from '../../store/versioned-store.js';

/**
 * Prune only after the view has been settled this long: well past the time a
 * router may lag behind ZooKeeper (a stuck connection is replaced after the
 * session timeout), since a lagging router may still read the old owners.
 */
const PRUNE_DELAY_MIN_MS = 30_000;
const PRUNE_CHUNK_KEYS = 2000;

export interface PrunerDeps {
  selfId: string;
  replicationFactor: number;
  store: VersionedStore;
  view: RingView;
  logger: Logger;
  zkSessionTimeoutMs: number;
  /** Whether pruning may start now (pruneDue over the coordinator's state). */
  due(): boolean;
  /** Whether this server still serves; a drain stops a prune midway. */
  serving(): boolean;
}

export class Pruner {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: PrunerDeps) {}

  /** (Re)starts the wait: every ring change calls this, so the delay counts from the last one. */
  schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.prune(), Math.max(PRUNE_DELAY_MIN_MS, 3 * this.deps.zkSessionTimeoutMs));
    this.timer.unref();
  }

  cancel(): void {
    clearTimeout(this.timer);
  }

  private async prune(): Promise<void> {
    const { view, selfId, replicationFactor, store, logger } = this.deps;
    if (!this.deps.due()) return this.schedule();
    const ring = view.ring;
    const keys = store.keys();
    let pruned = 0;
    for (let i = 0; i < keys.length; i++) {
      if (view.ring !== ring || !this.deps.serving()) return; // a change reschedules us
      const key = keys[i] as string;
      if (!ownsKey(key, ring, selfId, replicationFactor)) {
        store.forget(key);
        pruned++;
      }
      if (i % PRUNE_CHUNK_KEYS === PRUNE_CHUNK_KEYS - 1) await nextTurn();
    }
    if (pruned > 0) logger.info({ pruned, keys: store.keyCount }, 'pruned keys this server no longer owns');
  }
}
