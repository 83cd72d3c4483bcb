// The joining side: fetches the entries this server owns from the members
// that hold them, and stores each unless it already has a newer version.
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { Logger } from '../../observability/logger.js';
import { decodePullLine, encodeVersionList, HANDOFF_PULL_PATH, MAX_PULL_REQUEST_BYTES, type PullRequest } from '../../protocol/handoff.js';
import { sendsOnPull } from '../../ring/handoff-plan.js';
import type { Member } from '../../ring/member.js';
import { Ring } from '../../ring/ring.js';
import type { ClusterCredential } from '../../security/cluster-credential.js';
import type { VersionedStore } from '../../store/versioned-store.js';
import type { Version } from '../../version/hlc.js';
import { KEYS_PER_TURN, nextTurn } from './scan-turns.js';

const PULL_RETRY_MS = 500;
const PULL_ATTEMPTS = 5;

export interface PullResult {
  received: number;
  stored: number;
  bytesSent: number;
  bytesReceived: number;
}

/**
 * The pull request for one source, with what this server already holds of the
 * keys that source would send (issue 17): the source leaves those out unless
 * it holds a newer version. An empty store adds nothing. A list too long for
 * the route's limit is halved until it fits; a key left out only costs its value.
 */
export async function pullRequestFor(pull: PullRequest, sourceId: string, store: VersionedStore): Promise<string> {
  const request: PullRequest = { ...pull, columns: true };
  if (store.keyCount === 0) return JSON.stringify(request);
  const placement = new Ring(request.members);
  const holding = new Ring(request.holders);
  const skip = new Set(request.skip);
  let held: Array<[string, Version]> = [];
  // A snapshot of the keys, peeked one by one between turns: writes go on meanwhile.
  let scanned = 0;
  for (const key of store.keys()) {
    if (++scanned % KEYS_PER_TURN === 0) await nextTurn();
    const entry = store.peek(key);
    if (entry && sendsOnPull(key, placement, holding, request.requester, sourceId, skip, request.replicationFactor)) held.push([key, entry.version]);
  }
  for (;;) {
    const json = JSON.stringify({ ...request, have: encodeVersionList(held) });
    if (Buffer.byteLength(json) <= MAX_PULL_REQUEST_BYTES || held.length === 0) return json;
    held = held.slice(0, Math.floor(held.length / 2));
  }
}

export async function pullFrom(source: Member, body: PullRequest, store: VersionedStore, credential: ClusterCredential): Promise<PullResult> {
  const json = await pullRequestFor(body, source.id, store);
  const response = await credential.send((token) => request(`http://${source.address}${HANDOFF_PULL_PATH}`, {
    method: 'POST',
    headers: { ...token, 'content-type': 'application/json' },
    body: json,
    headersTimeout: 10_000,
    bodyTimeout: 30_000,
  }), (answer) => answer.statusCode, (refused) => refused.body.dump());
  if (response.statusCode !== 200) {
    const text = await response.body.text();
    throw new Error(`pull from ${source.id} answered ${response.statusCode}: ${text.slice(0, 200)}`);
  }
  const result: PullResult = { received: 0, stored: 0, bytesSent: Buffer.byteLength(json), bytesReceived: 0 };
  // A multi-byte character may straddle two chunks; the decoder holds its first bytes back.
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const applyLine = (line: string): void => {
    if (line.length === 0) return;
    const entries = decodePullLine(JSON.parse(line));
    if (!entries) throw new Error(`pull from ${source.id} sent a malformed entry`);
    for (const entry of entries) {
      result.received++;
      if (store.apply(entry.key, { value: entry.value, version: entry.version, expiresAt: entry.expiresAt }) === 'stored') result.stored++;
    }
  };
  for await (const chunk of response.body) {
    result.bytesReceived += (chunk as Buffer).length;
    const lines = (partial + decoder.write(chunk as Buffer)).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) applyLine(line);
  }
  applyLine(partial + decoder.end());
  return result;
}

export interface PullRound {
  /** What every source is asked; the skip list is filled in here. */
  request: Omit<PullRequest, 'skip'>;
  /** Whether a member is still in the view; a source that vanished is not retried. */
  isMember(id: string): boolean;
  deadline: number;
  stopped(): boolean;
  credential: ClusterCredential;
}

/**
 * Pulls from every source; each key comes from its first holder only. A
 * source that cannot be reached is skipped, and the others are asked again
 * for the keys it would have sent.
 */
export async function pullFromAll(sources: readonly Member[], round: PullRound, store: VersionedStore, logger: Logger): Promise<PullResult[]> {
  const skip: string[] = [];
  const results: PullResult[] = [];
  let pending = sources;
  while (pending.length > 0 && !round.stopped()) {
    const request: PullRequest = { ...round.request, skip: [...skip] };
    const failed: string[] = [];
    await Promise.all(pending.map(async (source) => {
      for (let attempt = 1; ; attempt++) {
        try {
          results.push(await pullFrom(source, request, store, round.credential));
          return;
        } catch (error) {
          if (!round.isMember(source.id) || attempt >= PULL_ATTEMPTS || Date.now() > round.deadline || round.stopped()) {
            logger.warn({ err: error, source: source.id, attempt }, 'could not pull from a holder; asking the others for its keys');
            failed.push(source.id);
            return;
          }
          await sleep(PULL_RETRY_MS);
        }
      }
    }));
    if (failed.length === 0) break;
    skip.push(...failed);
    pending = sources.filter((m) => !skip.includes(m.id));
  }
  return results;
}
