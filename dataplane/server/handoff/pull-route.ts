// The source side of a join: streams the entries the joining member owns in
// its ring and that this server is the one to send (the first reachable
// holder), as NDJSON, a chunk at a time; the socket's back-pressure paces it.
import { RouteTable } from '../../http/route-table.js';
import { Readable } from 'node:stream';
import { readJson } from '../../http/body.js';
import { HANDOFF_PULL_PATH, parsePullRequest, type HandoffEntry, type PullRequest } from '../../protocol/handoff.js';
import { Ring } from '../../ring/ring.js';
import { sendsOnPull } from '../../ring/handoff-plan.js';
import type { VersionedStore } from '../../store/versioned-store.js';

const LINES_PER_CHUNK = 512;

function* entriesFor(store: VersionedStore, request: PullRequest, selfId: string): Generator<string> {
  const placement = new Ring(request.members);
  const holding = new Ring(request.holders);
  const skip = new Set(request.skip);
  let lines: string[] = [];
  for (const key of store.keys()) {
    if (!sendsOnPull(key, placement, holding, request.requester, selfId, skip, request.replicationFactor)) continue;
    const entry = store.peek(key);
    if (!entry) continue;
    const line: HandoffEntry = { key, value: entry.value, version: entry.version, expiresAt: entry.expiresAt };
    lines.push(JSON.stringify(line));
    if (lines.length >= LINES_PER_CHUNK) {
      yield `${lines.join('\n')}\n`;
      lines = [];
    }
  }
  if (lines.length > 0) yield `${lines.join('\n')}\n`;
}

export function pullRoutes(store: VersionedStore, selfId: string, router = new RouteTable()): RouteTable {
  router.post(HANDOFF_PULL_PATH, async (ctx) => {
    const request = parsePullRequest(await readJson(ctx));
    ctx.type = 'application/x-ndjson';
    ctx.body = Readable.from(entriesFor(store, request, selfId));
  });
  return router;
}
