// One fault scenario under traffic: a porcupine-checked history on hot keys
// (HistoryWorkload) and, beside it, Traffic over seeded keys, which counts
// misses and stale reads of acknowledged writes the way the rebalancing tests do.
import type { DataplaneProcess } from './dataplane-process.js';
import { LocalCluster } from './cluster.js';
import type { HistoryWriter } from './history-writers.js';
import { HistoryWorkload, type HistoryOp, type WorkloadStats } from './history.js';
import { seedKeys, Traffic, type TrafficStats } from './traffic.js';

export interface FaultRun {
  history: HistoryWorkload;
  /** Routers the test has taken out of the clients' list (killed, not yet back). */
  down: Set<DataplaneProcess>;
  traffic: Traffic;
  /** Every seeded key, including those whose value a failed write made uncertain since. */
  seeded: readonly string[];
  stop(): Promise<{ history: WorkloadStats; traffic: TrafficStats }>;
}

/** `servers` servers and 2 routers, both seeing every server serving; `env` for every process. */
export async function twoRouterCluster(servers: number, env: Record<string, string> = {}): Promise<LocalCluster> {
  const cluster = await LocalCluster.start({ servers, env });
  const second = await cluster.addClient();
  await cluster.waitForMembers(servers, 'serving', second);
  return cluster;
}

/** Routers the workloads may pick: only the live ones, so a killed router is skipped once it is gone. */
export function liveRouters(cluster: LocalCluster): DataplaneProcess[] {
  return cluster.clients.filter((c) => c.running);
}

export interface FaultRunOptions {
  keys: readonly string[];
  opsPerSecond: number;
  timeoutMs?: number;
  deleteShare?: number;
  /** The routers clients pick from, when the test keeps that list itself (default: the cluster's live routers). */
  routers?: () => readonly DataplaneProcess[];
  /** How many history clients run at once (default 12). */
  clients?: number;
  /** Writers beside the routers, such as smart clients (history-writers.ts). */
  writers?: () => readonly HistoryWriter[];
}

export async function startFaultRun(cluster: LocalCluster, options: FaultRunOptions): Promise<FaultRun> {
  const down = new Set<DataplaneProcess>();
  const candidates = options.routers ?? ((): readonly DataplaneProcess[] => liveRouters(cluster));
  const routers = (): string[] => candidates().filter((c) => !down.has(c)).map((c) => c.url);
  const acked = await seedKeys(cluster.client.url, 300, 'fault');
  const seeded = [...acked.keys()];
  const history = new HistoryWorkload({
    routers, writers: options.writers, clients: options.clients ?? 12, keys: options.keys,
    opsPerSecond: options.opsPerSecond, timeoutMs: options.timeoutMs, deleteShare: options.deleteShare,
  }).start();
  // Two paced-by-latency workers: enough to count misses, light next to the history's 600 ops/s.
  const traffic = new Traffic(() => pick(routers()), acked, { workers: 2, maxDurationMs: 300_000 }).start();
  return {
    history, traffic, down, seeded,
    async stop() {
      const [h, t] = await Promise.all([history.stop(), traffic.stop()]);
      return { history: h, traffic: t };
    },
  };
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

/** Latency percentile (ms) of the answered ops on the given keys. */
export function percentileMs(history: readonly HistoryOp[], keys: ReadonlySet<string>, p: number): number {
  const latencies = history
    .filter((op) => op.return !== null && keys.has(op.key))
    .map((op) => ((op.return as number) - op.call) / 1e6)
    .sort((a, b) => a - b);
  if (latencies.length === 0) return NaN;
  return latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] as number;
}

export function trafficLine(label: string, stats: TrafficStats): string {
  return `      [${label}] reads ${stats.reads}, writes ${stats.writes}, misses ${stats.misses}, stale ${stats.stale}, errors ${stats.errors}`;
}
