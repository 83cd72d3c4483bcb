// One rebalance pass: copy every held key to the owners that the placement
// ring added since `before` (docs/architecture.md, "Hand-off", Rebalance).
// When a pass is due, and how often, is the coordinator's call.
import type { Logger } from '../../observability/logger.js';
import type { DataplaneMetrics } from '../../observability/metrics.js';
import type { Ring } from '../../ring/ring.js';
import type { VersionedStore } from '../../store/versioned-store.js';
import type { ServerChannels } from '../../transport/server-channels.js';
import { reportHandoff } from './handoff-report.js';
import { sendKeys } from './key-sender.js';
import { pushPlan, type PushPlanContext } from './push-plan.js';

export interface RebalanceDeps extends PushPlanContext {
  store: VersionedStore;
  channels: ServerChannels;
  metrics: DataplaneMetrics;
  logger: Logger;
}

export async function rebalancePass(deps: RebalanceDeps, before: Ring): Promise<void> {
  const { view, store, channels, metrics, logger } = deps;
  const started = Date.now();
  if (store.keyCount > 0) logger.info({ epoch: view.epoch, keys: store.keyCount }, 'hand-off started: rebalance');
  const result = await sendKeys(store, store.keys(), channels, pushPlan(deps, before, false, Number.POSITIVE_INFINITY), logger);
  // A pass that found nothing to move is not a hand-off worth a log line.
  if (result.keys > 0) reportHandoff(metrics, logger, 'rebalance', started, result.copiesSent, 0, {
    keysConsidered: result.keys, copiesStored: result.copiesStored, failed: result.failed,
    valuesSent: result.valuesSent, bytesSent: result.bytesSent, bytesReceived: result.bytesReceived,
  });
}
