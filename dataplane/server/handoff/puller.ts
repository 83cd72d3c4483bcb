// The joining side: fetches the entries this server owns from the members
// that hold them, and stores each unless it already has a newer version.
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { Logger } from '../../observability/logger.js';
import { HANDOFF_PULL_PATH, isHandoffEntry, type PullRequest } from '../../protocol/handoff.js';
import type { Member } from '../../ring/member.js';
import type { ClusterCredential } from '../../security/cluster-credential.js';
import type { VersionedStore } from '../../store/versioned-store.js';

const PULL_RETRY_MS = 500;
const PULL_ATTEMPTS = 5;

export interface PullResult {
  received: number;
  stored: number;
}

export async function pullFrom(source: Member, body: PullRequest, store: VersionedStore, credential: ClusterCredential): Promise<PullResult> {
  const json = JSON.stringify(body);
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
  const result: PullResult = { received: 0, stored: 0 };
  // A multi-byte character may straddle two chunks; the decoder holds its first bytes back.
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const applyLine = (line: string): void => {
    if (line.length === 0) return;
    const entry: unknown = JSON.parse(line);
    if (!isHandoffEntry(entry)) throw new Error(`pull from ${source.id} sent a malformed entry`);
    result.received++;
    if (store.apply(entry.key, { value: entry.value, version: entry.version, expiresAt: entry.expiresAt }) === 'stored') result.stored++;
  };
  for await (const chunk of response.body) {
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
