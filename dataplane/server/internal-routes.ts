// The server's internal batch route, used by routers and by other servers.
// It is a direct route (see http/direct-routes.ts), outside Koa.
import type { IncomingMessage } from 'node:http';
import { readRequestJson } from '../http/body.js';
import type { DirectRoutes } from '../http/direct-routes.js';
import { INTERNAL_BATCH_PATH, parseBatchRequest, type BatchResponse } from '../protocol/internal-batch.js';
import type { DataplaneMetrics } from '../observability/metrics.js';
import type { VersionedStore } from '../store/versioned-store.js';
import { applyBatch } from './apply-batch.js';

/** A batch carries up to a few hundred values of up to 1 MiB each. */
const MAX_INTERNAL_BODY_BYTES = 256 * 1024 * 1024;

export function internalRoutes(store: VersionedStore, metrics: DataplaneMetrics, acceptsWrites: () => boolean, routes: DirectRoutes): DirectRoutes {
  return routes.post(INTERNAL_BATCH_PATH, async (req: IncomingMessage): Promise<BatchResponse> => {
    const { ops } = parseBatchRequest(await readRequestJson(req, MAX_INTERNAL_BODY_BYTES));
    const tally = { hits: 0, misses: 0 };
    const response: BatchResponse = { results: applyBatch(store, ops, tally, acceptsWrites()) };
    metrics.hits.inc(tally.hits);
    metrics.misses.inc(tally.misses);
    return response;
  });
}
