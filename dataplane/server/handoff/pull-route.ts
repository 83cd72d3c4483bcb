// The source side of a join: streams the entries the joining member owns in
// its ring and that this server is the one to send (the first reachable
// holder), as NDJSON, a chunk at a time; the socket's back-pressure paces it.
// It leaves out what the joiner said it holds at the same version or newer,
// and sends a chunk as one line of columns to a joiner that reads them (issue 17).
import { RouteTable } from '../../http/route-table.js';
import { Readable } from 'node:stream';
import { readJson } from '../../http/body.js';
import { encodeEntryBatch, HANDOFF_PULL_PATH, MAX_PULL_REQUEST_BYTES, parsePullRequest, type HandoffEntry, type ReceivedPullRequest } from '../../protocol/handoff.js';
import { Ring } from '../../ring/ring.js';
import { sendsOnPull } from '../../ring/handoff-plan.js';
import { heldByRequester } from '../../store/value-need.js';
import { KEYS_PER_TURN, nextTurn } from './scan-turns.js';
import type { VersionedStore } from '../../store/versioned-store.js';

const ENTRIES_PER_CHUNK = 512;

async function* entriesFor(store: VersionedStore, request: ReceivedPullRequest, selfId: string): AsyncGenerator<string> {
  const placement = new Ring(request.members);
  const holding = new Ring(request.holders);
  const skip = new Set(request.skip);
  let entries: HandoffEntry[] = [];
  let scanned = 0;
  for (const key of store.keys()) {
    // A requester that holds most keys leaves whole stretches of the store without a chunk to send.
    if (++scanned % KEYS_PER_TURN === 0) await nextTurn();
    if (!sendsOnPull(key, placement, holding, request.requester, selfId, skip, request.replicationFactor)) continue;
    const entry = store.peek(key);
    // The requester said it holds this version or a newer one: nothing to send (issue 17).
    if (!entry || heldByRequester(request.have, key, entry.version)) continue;
    entries.push({ key, value: entry.value, version: entry.version, expiresAt: entry.expiresAt });
    if (entries.length >= ENTRIES_PER_CHUNK) {
      yield chunk(entries, request.columns);
      entries = [];
    }
  }
  if (entries.length > 0) yield chunk(entries, request.columns);
}

/** A chunk of the answer: one line of many entries for a requester that reads them, else a line per entry. */
function chunk(entries: HandoffEntry[], columns: boolean): string {
  return columns ? `${JSON.stringify(encodeEntryBatch(entries))}\n` : `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`;
}

export function pullRoutes(store: VersionedStore, selfId: string, router = new RouteTable()): RouteTable {
  router.post(HANDOFF_PULL_PATH, async (ctx) => {
    const request = parsePullRequest(await readJson(ctx, MAX_PULL_REQUEST_BYTES));
    ctx.type = 'application/x-ndjson';
    ctx.body = Readable.from(entriesFor(store, request, selfId));
  });
  return router;
}
