// The server's internal routes, used by routers and by other servers.
import { RouteTable } from '../http/route-table.js';
import { readJson } from '../http/body.js';
import { INTERNAL_BATCH_PATH, parseBatchRequest, type BatchResponse } from '../protocol/internal-batch.js';
import type { DataplaneMetrics } from '../observability/metrics.js';
import type { VersionedStore } from '../store/versioned-store.js';
import { applyBatch } from './apply-batch.js';

/** A batch carries up to a few hundred values of up to 1 MiB each. */
const MAX_INTERNAL_BODY_BYTES = 256 * 1024 * 1024;

export function internalRoutes(store: VersionedStore, metrics: DataplaneMetrics, acceptsWrites: () => boolean, router = new RouteTable()): RouteTable {
  router.post(INTERNAL_BATCH_PATH, async (ctx) => {
    const { ops } = parseBatchRequest(await readJson(ctx, MAX_INTERNAL_BODY_BYTES));
    const tally = { hits: 0, misses: 0 };
    const response: BatchResponse = { results: applyBatch(store, ops, tally, acceptsWrites()) };
    metrics.hits.inc(tally.hits);
    metrics.misses.inc(tally.misses);
    ctx.body = response;
  });
  return router;
}
