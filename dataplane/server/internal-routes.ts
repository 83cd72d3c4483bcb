// The server's internal routes that are direct routes (see http/direct-routes.ts),
// outside Koa: the batch route used by routers and other servers, and the
// hand-off offer a sending peer asks before it sends values.
import type { IncomingMessage } from 'node:http';
import { readRequestJson } from '../http/body.js';
import type { DirectRoutes } from '../http/direct-routes.js';
import { decodeVersionList, HANDOFF_OFFER_PATH, type OfferAnswer } from '../protocol/handoff.js';
import { INTERNAL_BATCH_PATH, parseBatchRequest, type BatchResponse } from '../protocol/internal-batch.js';
import type { DataplaneMetrics } from '../observability/metrics.js';
import type { VersionedStore } from '../store/versioned-store.js';
import { wantedValues } from '../store/value-need.js';
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
  }).post(HANDOFF_OFFER_PATH, async (req: IncomingMessage): Promise<OfferAnswer | { refused: 'leaving' }> => {
    const body = await readRequestJson(req, MAX_INTERNAL_BODY_BYTES);
    // A leaving member takes no copies: the sender re-plans, as for a refused put.
    if (!acceptsWrites()) return { refused: 'leaving' };
    const offered = decodeVersionList((body as { offer?: unknown } | null)?.offer, 'offer');
    return { want: wantedValues(offered, (key) => store.peek(key)?.version) };
  });
}
