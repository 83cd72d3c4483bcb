// `npm run bench:operator`: the operator's memory and reconcile latency on the
// test control plane (etcd, kube-apiserver, controller-manager; no kubelets),
// started as the operator suite starts it. Each round runs a fresh operator
// process that watches only a fresh namespace, creates N DistributedCaches
// there at once, and waits until every one has a status for its generation
// (seen by a watch, so the bench does not poll the API server it measures).
// It then reads the operator's /metrics: RSS, heap used, the reconcile
// histogram and the API requests it made. The machine is shared and noisy, so
// each figure is the median of the rounds; with --baseline, the rounds of the
// two builds alternate (ABBA...), so that a burst of noise hits both.
//
//   npm run bench:operator [-- --caches N] [-- --rounds R] [-- --json FILE]
//                          [-- --baseline OTHER/dist/operator/main.js] [-- --against BEFORE.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Watch } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type DistributedCache } from '../../operator/api/distributed-cache.js';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace, startControlPlane, stopControlPlane } from '../../test/support/control-plane.js';
import { Admin, installOperator, operatorKubeconfig } from '../../test/support/operator-cluster.js';
import { OperatorProcess } from '../../test/support/operator-process.js';
import { waitFor } from '../../test/support/wait.js';

interface Options {
  caches: number;
  rounds: number;
  json: string | undefined;
  against: string | undefined;
  baseline: string | undefined;
}

function parseArgs(argv: string[]): Options {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : argv[i + 1];
  };
  return {
    caches: Number(value('--caches') ?? 20),
    rounds: Number(value('--rounds') ?? 3),
    json: value('--json'),
    against: value('--against'),
    baseline: value('--baseline'),
  };
}

/** One round's figures; latencies in milliseconds, memory in MiB. */
interface Round {
  rssMiB: number;
  heapUsedMiB: number;
  reconcileP50Ms: number;
  reconcileP99Ms: number;
  reconciles: number;
  endToEndP50Ms: number;
  endToEndP99Ms: number;
  apiRequests: number;
}

type Summary = Round;

const IMAGE = 'registry.invalid/distributed-cache:bench';
const MIB = 1024 * 1024;
const HISTOGRAM = 'dcache_operator_reconcile_duration_seconds';

/** The q-quantile of sorted values (nearest rank). */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/** histogram_quantile as Prometheus computes it: linear within the bucket that holds the rank. */
function histogramQuantile(samples: Map<string, number>, q: number): number {
  const buckets: Array<{ le: number; count: number }> = [];
  for (const [key, value] of samples) {
    const match = new RegExp(`^${HISTOGRAM}_bucket\\{le="([^"]+)"\\}$`).exec(key);
    if (match?.[1] !== undefined) buckets.push({ le: match[1] === '+Inf' ? Infinity : Number(match[1]), count: value });
  }
  buckets.sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const { le, count } of buckets) {
    if (count >= rank) {
      if (le === Infinity) return lowerLe;
      return lowerLe + ((le - lowerLe) * (rank - lowerCount)) / Math.max(count - lowerCount, 1);
    }
    lowerLe = le;
    lowerCount = count;
  }
  return lowerLe;
}

/** Resolves, per cache name, when the watch first sees a status for generation 1. */
async function watchStatuses(namespace: string, names: readonly string[]): Promise<{ seen: Map<string, number>; all: Promise<void>; stop: () => void }> {
  const seen = new Map<string, number>();
  let resolveAll: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  const watch = new Watch(adminKubeConfig());
  const controller = await watch.watch(
    `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`,
    {},
    (_type: string, cache: DistributedCache) => {
      const name = cache.metadata.name;
      if (seen.has(name) || (cache.status?.observedGeneration ?? 0) < 1) return;
      seen.set(name, performance.now());
      if (names.every((n) => seen.has(n))) resolveAll();
    },
    () => undefined,
  );
  return { seen, all, stop: () => controller.abort() };
}

async function runRound(admin: Admin, kubeconfig: string, caches: number, name: string, main: string | undefined): Promise<Round> {
  const namespace = await createTestNamespace('dcache-bench');
  const env = { DATAPLANE_IMAGE: IMAGE, LOG_LEVEL: 'info', WATCH_NAMESPACE: namespace };
  const operator = await OperatorProcess.start({ kubeconfig, name, env, ...(main !== undefined ? { main } : {}) });
  try {
    await operator.waitLeading();
    const names = Array.from({ length: caches }, (_, i) => `bench-${i}`);
    const statuses = await watchStatuses(namespace, names);
    const created = new Map<string, number>();
    await Promise.all(
      names.map(async (name) => {
        created.set(name, performance.now());
        await admin.createCache(namespace, name, { servers: { replicas: 2, maxMemory: '64Mi' } });
      }),
    );
    // A cancellable deadline: a pending timer would keep the bench alive for 120 s after its last round.
    const deadline = new AbortController();
    await Promise.race([
      statuses.all,
      sleep(120_000, undefined, { signal: deadline.signal }).then(() => { throw new Error('caches did not all get a status in 120 s'); }),
    ]).finally(() => deadline.abort());
    statuses.stop();
    // Settled: nothing queued, and no reconcile for a second.
    let last = -1;
    await waitFor('the operator to settle', async () => {
      const done = await operator.metric('dcache_operator_reconcile_total');
      const queued = await operator.metric('dcache_operator_workqueue_depth');
      const settled = queued === 0 && done === last;
      last = done;
      return settled;
    }, { timeoutMs: 60_000, intervalMs: 1_000 });
    const samples = await operator.metrics();
    const sum = (name: string): number => [...samples].filter(([key]) => key === name || key.startsWith(`${name}{`)).reduce((total, [, v]) => total + v, 0);
    const latencies = names.map((name) => (statuses.seen.get(name) ?? Number.NaN) - (created.get(name) ?? Number.NaN)).sort((a, b) => a - b);
    return {
      rssMiB: sum('process_resident_memory_bytes') / MIB,
      heapUsedMiB: sum('nodejs_heap_size_used_bytes') / MIB,
      reconcileP50Ms: histogramQuantile(samples, 0.5) * 1000,
      reconcileP99Ms: histogramQuantile(samples, 0.99) * 1000,
      reconciles: sum(`${HISTOGRAM}_count`),
      endToEndP50Ms: quantile(latencies, 0.5),
      endToEndP99Ms: quantile(latencies, 0.99),
      apiRequests: sum('dcache_operator_api_requests_total'),
    };
  } finally {
    await operator.stop();
    await deleteTestNamespace(namespace);
  }
}

const ROWS: Array<[keyof Summary, string]> = [
  ['rssMiB', 'RSS (MiB)'],
  ['heapUsedMiB', 'heap used (MiB)'],
  ['reconcileP50Ms', 'reconcile p50 (ms, histogram)'],
  ['reconcileP99Ms', 'reconcile p99 (ms, histogram)'],
  ['reconciles', 'reconciles'],
  ['endToEndP50Ms', 'create to status p50 (ms)'],
  ['endToEndP99Ms', 'create to status p99 (ms)'],
  ['apiRequests', 'API requests (watches excluded)'],
];

function render(rounds: readonly Round[], summary: Summary, before: Summary | undefined): string {
  const fmt = (n: number): string => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(1)) : '-');
  const header = ['metric', ...rounds.map((_, i) => `round ${i + 1}`), 'median', ...(before ? ['before', 'after/before'] : [])];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const [key, label] of ROWS) {
    const cells = [label, ...rounds.map((r) => fmt(r[key])), fmt(summary[key])];
    if (before) cells.push(fmt(before[key]), `${(summary[key] / before[key]).toFixed(2)}`);
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const plane = await startControlPlane();
  process.stderr.write(`control plane up in ${plane.dir}\n`);
  try {
    await installOperator();
    const admin = new Admin();
    const account = await operatorKubeconfig();
    const rounds: Round[] = [];
    const baselineRounds: Round[] = [];
    for (let i = 0; i < options.rounds; i++) {
      const runThis = async (): Promise<void> => {
        rounds.push(await runRound(admin, account.path, options.caches, `bench-${i}`, undefined));
        process.stderr.write(`round ${i + 1}: ${JSON.stringify(rounds.at(-1))}\n`);
      };
      const runBaseline = async (): Promise<void> => {
        if (options.baseline === undefined) return;
        baselineRounds.push(await runRound(admin, account.path, options.caches, `baseline-${i}`, options.baseline));
        process.stderr.write(`baseline round ${i + 1}: ${JSON.stringify(baselineRounds.at(-1))}\n`);
      };
      // A B, B A, A B, ...: drift in the machine's load falls on both alike.
      if (i % 2 === 0) await runBaseline().then(runThis);
      else await runThis().then(runBaseline);
    }
    const summarize = (of: readonly Round[]): Summary => Object.fromEntries(ROWS.map(([key]) => [key, median(of.map((r) => r[key]))])) as unknown as Summary;
    const summary = summarize(rounds);
    const before =
      options.baseline !== undefined
        ? summarize(baselineRounds)
        : options.against !== undefined
          ? (JSON.parse(readFileSync(options.against, 'utf8')) as { summary: Summary }).summary
          : undefined;
    process.stdout.write(`${options.caches} DistributedCaches, ${options.rounds} rounds\n\n${render(rounds, summary, before)}\n`);
    if (options.baseline !== undefined) process.stdout.write(`\nbaseline (${options.baseline}):\n\n${render(baselineRounds, before ?? summary, undefined)}\n`);
    if (options.json !== undefined) {
      const baseline = options.baseline !== undefined ? { baseline: { main: options.baseline, rounds: baselineRounds, summary: before } } : {};
      writeFileSync(options.json, `${JSON.stringify({ caches: options.caches, rounds, summary, ...baseline }, null, 2)}\n`);
    }
  } finally {
    await stopControlPlane({ keepDir: false });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:operator failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
