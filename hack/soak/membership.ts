// The soak's membership changes, one every period, in turn: a server joins,
// the oldest drains (SIGTERM), one is killed (kill -9) and replaced.
import type { LocalCluster } from '../../test/support/cluster.js';

export type ChangeKind = 'join' | 'drain' | 'kill -9 + replace';
const ORDER: ChangeKind[] = ['join', 'drain', 'kill -9 + replace'];

export interface ChangeRecord {
  atSeconds: number;
  kind: ChangeKind;
  server: string;
  /** Until every router sees the new membership serving. */
  settledMs: number;
  exitCode?: number | null;
}

export async function changeMembership(cluster: LocalCluster, turn: number): Promise<Omit<ChangeRecord, 'atSeconds'>> {
  const kind = ORDER[turn % ORDER.length] as ChangeKind;
  const started = Date.now();
  const live = cluster.liveServers;
  let server: string;
  let exitCode: number | null | undefined;
  if (kind === 'join') {
    server = (await cluster.addServer()).options.nodeId ?? '?';
  } else {
    const victim = live[0]!;
    server = victim.options.nodeId ?? '?';
    exitCode = kind === 'drain' ? await victim.stop('SIGTERM') : await victim.kill();
    if (kind !== 'drain') await cluster.addServer();
  }
  const expected = cluster.liveServers.length;
  await Promise.all(cluster.clients.map((router) => cluster.waitForMembers(expected, 'serving', router)));
  return { kind, server, settledMs: Date.now() - started, ...(exitCode === undefined ? {} : { exitCode }) };
}
