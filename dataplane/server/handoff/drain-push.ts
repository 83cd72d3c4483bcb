// A drain's copy: push every key this server owned in `withUs` (the ring as if
// it stayed) to the owners in the ring without the leaving members, again
// while that ring moves, until the deadline (docs/architecture.md, "Hand-off",
// Drain). Leaving, and telling the others, is the coordinator's part.
import type { Logger } from '../../observability/logger.js';
import type { DataplaneMetrics } from '../../observability/metrics.js';
import type { Ring } from '../../ring/ring.js';
import type { VersionedStore } from '../../store/versioned-store.js';
import type { ServerChannels } from '../../transport/server-channels.js';
import { reportHandoff } from './handoff-report.js';
import { sendKeys } from './key-sender.js';
import { pushPlan, type PushPlanContext } from './push-plan.js';

export interface DrainDeps extends PushPlanContext {
  store: VersionedStore;
  channels: ServerChannels;
  metrics: DataplaneMetrics;
  logger: Logger;
  drainTimeoutMs: number;
}

/** `started`: when the drain began (SIGTERM's shutdown), which the deadline counts from. */
export async function pushOwnedKeys(deps: DrainDeps, withUs: Ring, started: number): Promise<void> {
  const { view, store, channels, metrics, logger, drainTimeoutMs } = deps;
  const deadline = started + drainTimeoutMs;
  const copyStarted = Date.now();
  let sent = 0;
  let failed = 0;
  const moved = { valuesSent: 0, bytesSent: 0, bytesReceived: 0 };
  let target: Ring;
  do {
    target = view.ring;
    const result = await sendKeys(store, store.keys(), channels, pushPlan(deps, withUs, true, deadline), logger);
    sent += result.copiesSent;
    for (const field of ['valuesSent', 'bytesSent', 'bytesReceived'] as const) moved[field] += result[field];
    failed = result.failed;
  } while (view.ring !== target && Date.now() < deadline);
  if (failed > 0 || Date.now() > deadline) {
    logger.error({ failed, drainTimeoutMs }, 'drain incomplete: some keys were not handed off');
  }
  reportHandoff(metrics, logger, 'drain', copyStarted, sent, 0, { failed, totalSeconds: (Date.now() - started) / 1000, ...moved });
}
