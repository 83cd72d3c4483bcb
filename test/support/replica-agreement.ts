// Do a key's replicas agree? Each owner of each key (by the ring a router
// serves) is asked over the internal batch route what version it holds: a
// value's, a tombstone's, or none. Anti-entropy promises they agree within
// its bound once the owners reach each other (docs/consistency.md,
// "Replicas converge by themselves").
import type { BatchResult } from '../../dataplane/protocol/internal-batch.js';
import { Ring } from '../../dataplane/ring/ring.js';
import type { LocalCluster } from './cluster.js';
import { clusterTokenHeaders } from './cluster-token.js';
import type { DataplaneProcess } from './dataplane-process.js';
import { call } from './http.js';
import { waitFor } from './wait.js';

const ABSENT = 'absent';

/** The version a server holds for each key (ABSENT when it holds neither a value nor a tombstone). */
async function versionsOn(server: DataplaneProcess, keys: readonly string[]): Promise<string[]> {
  const answer = await call(`${server.url}/internal/v1/batch`, {
    method: 'POST', headers: { ...clusterTokenHeaders(), 'content-type': 'application/json' },
    body: JSON.stringify({ ops: keys.map((key) => ({ op: 'get', key })) }),
    signal: AbortSignal.timeout(5000),
  });
  if (answer.status !== 200) throw new Error(`${server.options.nodeId}: ${answer.status} ${answer.text}`);
  const { results } = answer.json() as { results: BatchResult[] };
  return results.map((r) => ('version' in r && r.version ? r.version : ABSENT));
}

/** One line per key whose owners hold different versions, e.g. `hot-1: server-1 <version>, server-3 absent`. */
export async function disagreements(cluster: LocalCluster, keys: readonly string[], replicas = 2): Promise<string[]> {
  const router = cluster.clients.find((c) => c.running) ?? cluster.client;
  const ring = new Ring((await cluster.ring(router)).members);
  const byId = new Map(cluster.servers.filter((s) => s.running).map((s) => [s.options.nodeId, s]));
  const ownersOf = new Map(keys.map((key) => [key, ring.ownersOf(key, replicas).map((m) => m.id)]));
  const held = new Map<string, Map<string, string>>();
  for (const [id, server] of byId) {
    const mine = keys.filter((key) => ownersOf.get(key)?.includes(id as string));
    const versions = mine.length ? await versionsOn(server, mine) : [];
    held.set(id as string, new Map(mine.map((key, i) => [key, versions[i] as string])));
  }
  const lines: string[] = [];
  for (const [key, owners] of ownersOf) {
    const seen = owners.map((id) => `${id} ${held.get(id)?.get(key) ?? 'not running'}`);
    const versions = new Set(owners.map((id) => held.get(id)?.get(key)));
    if (versions.size !== 1 || versions.has(undefined)) lines.push(`${key}: ${seen.join(', ')}`);
  }
  return lines;
}

/** Waits until every key's owners agree; resolves how long that took (ms). Fails with the keys that still differ. */
export async function waitForAgreement(cluster: LocalCluster, keys: readonly string[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last: string[] = [];
  try {
    await waitFor('every owner of every key to hold the same version', async () => {
      last = await disagreements(cluster, keys);
      return last.length === 0;
    }, { timeoutMs, intervalMs: 250 });
  } catch (error) {
    throw new Error(`${(error as Error).message}; ${last.length} keys still differ, e.g.\n${last.slice(0, 10).join('\n')}`);
  }
  return Date.now() - started;
}
