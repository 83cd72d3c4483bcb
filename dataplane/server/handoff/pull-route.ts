// The source side of a join: streams every entry the joining member owns in
// its ring, as NDJSON, a chunk at a time (the socket's back-pressure paces it).
import Router from '@koa/router';
import { Readable } from 'node:stream';
import { readJson } from '../../http/body.js';
import { HANDOFF_PULL_PATH, parsePullRequest, type HandoffEntry } from '../../protocol/handoff.js';
import { Ring } from '../../ring/ring.js';
import { ownsKey } from '../../ring/handoff-plan.js';
import type { VersionedStore } from '../../store/versioned-store.js';

const LINES_PER_CHUNK = 512;

function* ownedEntries(store: VersionedStore, ring: Ring, requester: string, replicationFactor: number): Generator<string> {
  let lines: string[] = [];
  for (const key of store.keys()) {
    if (!ownsKey(key, ring, requester, replicationFactor)) continue;
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

export function pullRoutes(store: VersionedStore): Router {
  const router = new Router();
  router.post(HANDOFF_PULL_PATH, async (ctx) => {
    const request = parsePullRequest(await readJson(ctx));
    const ring = new Ring(request.members);
    ctx.type = 'application/x-ndjson';
    ctx.body = Readable.from(ownedEntries(store, ring, request.requester, request.replicationFactor));
  });
  return router;
}
