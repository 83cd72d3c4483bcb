// The joining side: fetches the entries this server owns from one member that
// holds keys, and stores each unless it already has a newer version.
import { StringDecoder } from 'node:string_decoder';
import { request } from 'undici';
import type { Member } from '../../membership/member.js';
import { HANDOFF_PULL_PATH, isHandoffEntry, type PullRequest } from '../../protocol/handoff.js';
import type { VersionedStore } from '../../store/versioned-store.js';

export interface PullResult {
  received: number;
  stored: number;
}

export async function pullFrom(source: Member, body: PullRequest, store: VersionedStore): Promise<PullResult> {
  const response = await request(`http://${source.address}${HANDOFF_PULL_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    headersTimeout: 10_000,
    bodyTimeout: 30_000,
  });
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
