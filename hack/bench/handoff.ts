// The bench's hand-off part on its own: `npm run bench:handoff [-- --rounds N] [-- --keys N] [-- --json FILE]`.
// Each round seeds the keys, lets a 4th server join, then drains it, and reads
// keys/s from the "hand-off finished" lines. Bytes moved are counted twice: by
// the kernel (/proc/<pid>/io: what the peers wrote while a joiner pulled, and
// read while a leaver pushed; this works on any version of the servers) and,
// where the servers export it, by dcache_handoff_bytes_total.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { LocalCluster } from '../../test/support/cluster.js';
import { DataplaneProcess } from '../../test/support/dataplane-process.js';
import { handoffReports, metric } from '../../test/support/inspect.js';
import { seedKeys } from '../../test/support/traffic.js';
import { waitFor } from '../../test/support/wait.js';

export interface HandoffRound {
  join_keys_per_s: number;
  join_keys: number;
  /** Bytes the other servers wrote to sockets and logs while the joiner pulled. */
  join_wire_bytes: number;
  drain_keys_per_s: number;
  drain_keys: number;
  /** Bytes the other servers read while the leaver pushed. */
  drain_wire_bytes: number;
  /**
   * CPU seconds every server spent while the joiner pulled and the leaver pushed: the figure that
   * does not depend on what else the shared machine runs (keys/s does).
   */
  join_cpu_s: number;
  drain_cpu_s: number;
  /** dcache_handoff_bytes_total on the joiner (received) and the leaver (sent); 0 where not exported. */
  join_handoff_bytes: number;
  drain_handoff_bytes: number;
}

/** Longer than the tests' 2 s: on a shared 2-core machine a loaded ZooKeeper otherwise expires sessions mid-round. */
const SESSION_TIMEOUT = '6s';

function procIo(pid: number | undefined, field: 'rchar' | 'wchar'): number {
  if (pid === undefined) return 0;
  const line = readFileSync(`/proc/${pid}/io`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(':')[1] ?? 0);
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat; 0 once it has gone. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Linux's USER_HZ. */
const CLOCK_TICKS = 100;

const sumCpu = (servers: readonly DataplaneProcess[]): number => servers.reduce((sum, s) => sum + cpuSeconds(s.pid), 0);

/** Samples a process's CPU time until it exits, so the last sample is (within 20 ms) its total. */
function trackCpu(pid: number | undefined): { last: () => number; stop: () => void } {
  let last = cpuSeconds(pid);
  const timer = setInterval(() => {
    const now = cpuSeconds(pid);
    if (now > 0) last = now;
  }, 20);
  return { last: () => last, stop: () => clearInterval(timer) };
}

const sumIo = (servers: readonly DataplaneProcess[], field: 'rchar' | 'wchar'): number =>
  servers.reduce((sum, s) => sum + procIo(s.pid, field), 0);

/** Drain bytes come from the leaver's last report line, since it has exited by then. */
function reportedBytes(server: DataplaneProcess, kind: string): number {
  const lines = readFileSync(server.logFile, 'utf8').split('\n').filter((l) => l.includes('"hand-off finished"') && l.includes(`"kind":"${kind}"`));
  const last = lines.at(-1);
  return last ? Number((JSON.parse(last) as { bytesSent?: number }).bytesSent ?? 0) : 0;
}

/** The tests' 20 s and 30 s are too short for a 200k-key join while neighbours load the machine. */
const LOADED_MACHINE_TIMEOUT_MS = 180_000;
let joiners = 0;

/** A server that joins; the cluster stops it even if it never turns ready. */
async function startJoiner(cluster: LocalCluster): Promise<DataplaneProcess> {
  const server = await DataplaneProcess.start({
    role: 'server', zkConnect: cluster.zookeeper.connectString, cacheName: cluster.cacheName,
    nodeId: `joiner-${++joiners}`, env: { ...cluster.env },
  }, { waitReady: false });
  cluster.servers.push(server);
  return server;
}

/** One join and one drain of a 4th server over `keys` seeded keys. */
export async function measureHandoff(cluster: LocalCluster, keys: number): Promise<HandoffRound> {
  await seedKeys(cluster.client.url, keys, 'rebalance');
  const peers = cluster.liveServers;
  const wroteBefore = sumIo(peers, 'wchar');
  const cpuBefore = sumCpu(peers);
  const fourth = await startJoiner(cluster);
  await waitFor(`${peers.length + 1} serving members`, async () => {
    const { members } = await cluster.ring();
    return members.length === peers.length + 1 && members.every((m) => m.state === 'serving');
  }, { timeoutMs: LOADED_MACHINE_TIMEOUT_MS });
  const joinWire = sumIo(peers, 'wchar') - wroteBefore;
  // The joiner's own CPU includes its start (loading modules), so its total is taken as it is.
  const joinCpu = sumCpu(peers) - cpuBefore + cpuSeconds(fourth.pid);
  const joinBytes = await metric(fourth, 'dcache_handoff_bytes_total', { direction: 'received', kind: 'join' }).catch(() => 0);
  const join = handoffReports([fourth]).find((r) => r.kind === 'join');
  const readBefore = sumIo(peers, 'rchar');
  const peersCpuBefore = sumCpu(peers);
  const leaverCpuBefore = cpuSeconds(fourth.pid);
  const leaverCpu = trackCpu(fourth.pid);
  await fourth.stop('SIGTERM', LOADED_MACHINE_TIMEOUT_MS);
  await waitFor(`${peers.length} members`, async () => (await cluster.ring()).members.length === peers.length, { timeoutMs: LOADED_MACHINE_TIMEOUT_MS });
  leaverCpu.stop();
  const drainWire = sumIo(peers, 'rchar') - readBefore;
  const drainCpu = sumCpu(peers) - peersCpuBefore + leaverCpu.last() - leaverCpuBefore;
  const drain = handoffReports([fourth]).find((r) => r.kind === 'drain');
  return {
    join_keys_per_s: join?.keysPerSecond ?? 0, join_keys: join?.keysReceived ?? 0, join_wire_bytes: joinWire,
    drain_keys_per_s: drain?.keysPerSecond ?? 0, drain_keys: drain?.keysSent ?? 0, drain_wire_bytes: drainWire,
    join_cpu_s: Math.round(joinCpu * 100) / 100, drain_cpu_s: Math.round(drainCpu * 100) / 100,
    join_handoff_bytes: joinBytes, drain_handoff_bytes: reportedBytes(fourth, 'drain'),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : argv[i + 1];
  };
  const rounds = Number(value('--rounds') ?? 3);
  const keys = Number(value('--keys') ?? 200_000);
  const json = value('--json');
  const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
  log(`hand-off: ${rounds} rounds of ${keys} keys; a 4th server joins, then drains`);
  const cluster = await LocalCluster.start({ servers: 3, env: { MAX_MEMORY: '1Gi', ZK_SESSION_TIMEOUT: SESSION_TIMEOUT } });
  try {
    const results: HandoffRound[] = [];
    for (let round = 1; round <= rounds; round++) {
      const result = await measureHandoff(cluster, keys);
      log(`round ${round}: ${JSON.stringify(result)}`);
      results.push(result);
    }
    const fields = Object.keys(results[0] ?? {}) as Array<keyof HandoffRound>;
    const medians = Object.fromEntries(fields.map((f) => [f, median(results.map((r) => r[f]))]));
    process.stdout.write(`${JSON.stringify({ keys, rounds: results, median: medians }, null, 2)}\n`);
    if (json) writeFileSync(json, `${JSON.stringify({ keys, rounds: results, median: medians }, null, 2)}\n`);
  } finally {
    await cluster.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
