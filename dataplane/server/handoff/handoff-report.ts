// One finished hand-off, for the metrics and the log. Tests and the bench
// read the "hand-off finished" line (test/support/inspect.ts).
import type { Logger } from '../../observability/logger.js';
import type { DataplaneMetrics } from '../../observability/metrics.js';

export type HandoffKind = 'join' | 'rebalance' | 'drain';

export function reportHandoff(
  metrics: DataplaneMetrics, logger: Logger, kind: HandoffKind,
  started: number, sent: number, received: number, extra: Record<string, unknown>,
): void {
  const seconds = (Date.now() - started) / 1000;
  const moved = sent + received;
  metrics.handoffDuration.observe({ kind }, seconds);
  if (sent) metrics.keysMoved.inc({ direction: 'sent', kind }, sent);
  if (received) metrics.keysMoved.inc({ direction: 'received', kind }, received);
  logger.info(
    { kind, seconds, keysSent: sent, keysReceived: received, keysPerSecond: seconds > 0 ? Math.round(moved / seconds) : moved, ...extra },
    'hand-off finished',
  );
}
