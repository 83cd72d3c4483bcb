// One finished hand-off, for the metrics and the log. Tests and the bench
// read the "hand-off finished" line (test/support/inspect.ts).
import type { Logger } from '../../observability/logger.js';
import type { DataplaneMetrics } from '../../observability/metrics.js';

export type HandoffKind = 'join' | 'rebalance' | 'drain';

/** Hand-off bytes on the wire, counted by the member that runs the hand-off. */
export interface HandoffBytes {
  bytesSent?: number;
  bytesReceived?: number;
}

export function reportHandoff(
  metrics: DataplaneMetrics, logger: Logger, kind: HandoffKind,
  started: number, sent: number, received: number, extra: Record<string, unknown> & HandoffBytes,
): void {
  const seconds = (Date.now() - started) / 1000;
  const moved = sent + received;
  metrics.handoffDuration.observe({ kind }, seconds);
  if (sent) metrics.keysMoved.inc({ direction: 'sent', kind }, sent);
  if (received) metrics.keysMoved.inc({ direction: 'received', kind }, received);
  if (extra.bytesSent) metrics.handoffBytes.inc({ direction: 'sent', kind }, extra.bytesSent);
  if (extra.bytesReceived) metrics.handoffBytes.inc({ direction: 'received', kind }, extra.bytesReceived);
  logger.info(
    { kind, seconds, keysSent: sent, keysReceived: received, keysPerSecond: seconds > 0 ? Math.round(moved / seconds) : moved, ...extra },
    'hand-off finished',
  );
}
