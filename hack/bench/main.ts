// `npm run bench`: one run, one table. Everything is measured against a bare
// Node `http` server started in the same run, because these machines are
// shared and noisy: only ratios compare across runs. The main rows are
// measured in interleaved rounds (raw, server, client, then again), and each
// row reports its median round, so a burst of noise from a neighbour skews one
// round of every target instead of all of one target. One of them is a second
// router serving HTTPS (TLS on the public API) over the same servers: TLS's
// cost is its ratio beside the plain client's. Another is the smart client
// (client/): an application process calling it directly, with wrk's
// concurrency, keys and values, reaching the owners in one hop where wrk's
// requests through a router take two (smart-client-load.ts). Debian's
// redis-server, driven by redis-benchmark with the same concurrency, value
// size and keyspace, is a reference row for scale only: it speaks RESP, not HTTP.
//
//   npm run bench [-- --quick] [-- --json FILE] [-- --plot FILE.svg] [-- --rounds N] [-- --duration S]
//
// The hand-off rows alone, in rounds: npm run bench:handoff (hack/bench/handoff.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { ownsKey } from '../../dataplane/ring/handoff-plan.js';
import { Ring } from '../../dataplane/ring/ring.js';
import type { RingDescription } from '../../dataplane/ring/ring-view.js';
import { LocalCluster } from '../../test/support/cluster.js';
import { DataplaneProcess } from '../../test/support/dataplane-process.js';
import { clusterTokenHeaders, TEST_CLUSTER_TOKEN } from '../../test/support/cluster-token.js';
import { call } from '../../test/support/http.js';
import { issueCertificate, makeTestCa, SecretVolumeDir, httpsCall } from '../../test/support/tls-files.js';
import { waitFor } from '../../test/support/wait.js';
import { measureHandoff, type HandoffRound } from './handoff.js';
import { entryKey, entryValue, mapBytesPerEntry, rssBytes } from './memory.js';
import { renderBarChart } from './plot.js';
import { measureAntiEntropy, type AntiEntropyRow } from './antientropy.js';
import { measurePlacement, type PlacementRow } from './placement.js';
import { redisMissing, RedisReference, requestsFor, type RedisResult } from './redis.js';
import { load, type LoadResult } from './wrk.js';

interface Options {
  quick: boolean;
  rounds: number;
  json: string | undefined;
  plot: string | undefined;
  durationSeconds: number;
  memoryEntries: number;
  rebalanceKeys: number;
}

function parseArgs(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : argv[i + 1];
  };
  return {
    quick,
    rounds: Number(value('--rounds') ?? (quick ? 1 : 3)),
    json: value('--json'),
    plot: value('--plot'),
    durationSeconds: Number(value('--duration') ?? (quick ? 3 : 5)),
    memoryEntries: Number(value('--entries') ?? (quick ? 200_000 : 1_000_000)),
    rebalanceKeys: Number(value('--rebalance-keys') ?? (quick ? 30_000 : 200_000)),
  };
}

const CONNECTIONS = 32;
const KEYS = 10_000;
const VALUE_BYTES = 100;

/** The smart client's row: an application calling the smart client itself, not wrk over HTTP. */
const SMART_CLIENT_TARGET = 'smart client (in-process, one hop)';

/** The redis row's label: another protocol, in the table and the plot alike. */
const REDIS_TARGET = 'redis-server (RESP, not HTTP; scale only)';

interface Row {
  target: string;
  /** SET only on the redis row; its ratio is against the baseline's POST. */
  op: 'GET' | 'POST' | 'SET';
  ops_per_s: number;
  /** null when the load generator does not report it (redis-benchmark before Redis 7). */
  p50_ms: number | null;
  p99_ms: number | null;
  ratio: number;
  /** ops/s of every round, in order. */
  rounds: number[];
}

/** The round with the median rate (the lower middle one for an even count). */
function medianRun<T extends { opsPerSecond: number }>(results: T[]): T {
  const sorted = [...results].sort((a, b) => a.opsPerSecond - b.opsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)] as T;
}

async function startRawServer(): Promise<{ url: string; stop: () => void }> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'raw-server.js');
  const child = spawn(process.execPath, [script, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

/**
 * The smart client's load generator (smart-client-load.ts), started once and
 * connected through `routerUrl`'s ring; `run` measures one op for some seconds.
 */
async function startSmartClientLoad(routerUrl: string): Promise<{ run: (op: 'GET' | 'POST', seconds: number) => Promise<LoadResult>; stop: () => void }> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'smart-client-load.js');
  const child = spawn(process.execPath, [script, routerUrl, String(CONNECTIONS), String(KEYS), String(VALUE_BYTES)], {
    stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, CLUSTER_TOKEN: TEST_CLUSTER_TOKEN },
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`the smart client's load generator exited (${child.exitCode ?? child.signalCode})`);
    return value as string;
  };
  if ((await nextLine()) !== 'ready') throw new Error('the smart client\'s load generator did not start');
  return {
    run: async (op, seconds) => {
      child.stdin.write(`${op} ${seconds}\n`);
      return JSON.parse(await nextLine()) as LoadResult;
    },
    stop: () => child.kill('SIGTERM'),
  };
}

async function loadMany(server: DataplaneProcess, entries: number, valueBytes: number): Promise<void> {
  const version = '0000000000010000bench';
  for (let start = 0; start < entries; start += 1000) {
    const ops = [];
    for (let i = start; i < Math.min(entries, start + 1000); i++) {
      ops.push({ op: 'put', key: entryKey(i), value: entryValue(i, valueBytes), version, expiresAt: 0 });
    }
    const answer = await call(`${server.url}/internal/v1/batch`, {
      method: 'POST', headers: { ...clusterTokenHeaders(), 'content-type': 'application/json' }, body: JSON.stringify({ ops }),
    });
    if (answer.status !== 200) throw new Error(`loading entries failed: ${answer.status} ${answer.text}`);
  }
}

/** bench-0 … bench-(KEYS-1). */
const BENCH_KEYS: readonly string[] = Array.from({ length: KEYS }, (_, i) => `bench-${i}`);

/**
 * The bench keys a server owns: the server (direct) rows use only these, since
 * a server prunes the keys it does not own 30 s after its ring settles, which a
 * slow run reaches.
 */
function keysOwnedBy(ring: RingDescription, serverId: string): string[] {
  const placement = new Ring(ring.members);
  return BENCH_KEYS.filter((key) => ownsKey(key, placement, serverId, ring.replicationFactor));
}

/** Writes the keys so that every GET run hits, however short the POST run was. */
async function prefill(url: string, hasBatchApi: boolean, keys: readonly string[]): Promise<void> {
  const value = 'v'.repeat(VALUE_BYTES);
  if (hasBatchApi) {
    for (let start = 0; start < keys.length; start += 500) {
      const entries = keys.slice(start, start + 500).map((key) => ({ key, value }));
      const answer = await call(`${url}/api/mset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entries }) });
      if (answer.status !== 200) throw new Error(`prefill failed: ${answer.status} ${answer.text}`);
    }
    return;
  }
  for (let start = 0; start < keys.length; start += CONNECTIONS) {
    await Promise.all(keys.slice(start, start + CONNECTIONS).map((key) => call(`${url}/api/post?key=${key}&value=${value}`, { method: 'POST' })));
  }
}

/**
 * A router with TLS on, over the same servers as the plain one: a test CA's
 * P-256 certificate. wrk keeps its connections open, so what this measures is
 * TLS on every request and answer, with a handshake per connection only.
 */
async function startHttpsClient(cluster: LocalCluster): Promise<string> {
  const ca = await makeTestCa();
  const files = new SecretVolumeDir();
  files.publish(await issueCertificate(ca, 'BE4C'));
  const router = await cluster.addClient({ TLS_CERT_FILE: files.certFile, TLS_KEY_FILE: files.keyFile });
  const url = `https://127.0.0.1:${router.port}`;
  await waitFor(`the HTTPS client to be ready (log: ${router.logFile})`, async () => (await httpsCall(`${url}/readyz`, { ca: ca.cert })).status === 200, { timeoutMs: 30_000 });
  return url;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const workDir = mkdtempSync(join(tmpdir(), 'dcache-bench-'));
  const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
  const raw = await startRawServer();
  log('starting ZooKeeper, 3 servers and 1 client');
  const cluster = await LocalCluster.start({ servers: 3, env: { MAX_MEMORY: '1Gi' } });
  try {
    const rows: Row[] = [];
    const run = async (target: string, url: string, op: 'GET' | 'POST', delayMs?: number, keys = BENCH_KEYS): Promise<LoadResult> => {
      log(`${target} ${op} for ${options.durationSeconds}s${delayMs ? ` (paced, ${delayMs} ms between requests)` : ''}`);
      const result = target === SMART_CLIENT_TARGET
        ? await smart.run(op, options.durationSeconds)
        : await load({
          url, op, durationSeconds: options.durationSeconds, connections: CONNECTIONS, keys, valueBytes: VALUE_BYTES, workDir,
          ...(delayMs ? { delayMs } : {}),
        });
      if (result.non2xx > 0) throw new Error(`${target} ${op}: ${result.non2xx} answers were not 2xx`);
      return result;
    };
    const record = (target: string, op: Row['op'], results: Array<LoadResult | RedisResult>): void => {
      const baseline = rows.find((r) => r.target === 'raw-http' && r.op === (op === 'SET' ? 'POST' : op));
      const median = medianRun(results);
      rows.push({
        target, op, ops_per_s: Math.round(median.opsPerSecond), p50_ms: median.p50Ms, p99_ms: median.p99Ms,
        ratio: baseline ? median.opsPerSecond / baseline.ops_per_s : 1, rounds: results.map((r) => Math.round(r.opsPerSecond)),
      });
    };
    const httpsUrl = await startHttpsClient(cluster);
    // Its stdin closes with this process, so it never outlives the bench.
    const smart = await startSmartClientLoad(cluster.client.url);
    const direct = cluster.servers[0]!;
    const targets: Array<[string, string, boolean, readonly string[]]> = [
      ['raw-http', raw.url, false, BENCH_KEYS],
      ['server (direct)', direct.url, true, keysOwnedBy(await cluster.ring(), direct.options.nodeId!)],
      ['client (full path)', cluster.client.url, true, BENCH_KEYS],
    ];
    for (const [, url, hasBatchApi, keys] of targets) await prefill(url, hasBatchApi, keys);
    // Their keys are the plain client's: all route to the same servers. The smart client's "url" is the router whose ring it follows.
    targets.push(['client over HTTPS', httpsUrl, true, BENCH_KEYS], [SMART_CLIENT_TARGET, cluster.client.url, true, BENCH_KEYS]);
    const redis = await startRedis(log, options.durationSeconds);
    const skipped: Array<{ row: string; reason: string }> = redis.skipped ? [{ row: REDIS_TARGET, reason: redis.skipped }] : [];
    const measured = new Map<string, LoadResult[]>();
    const redisRounds: RedisResult[] = [];
    try {
      for (let round = 1; round <= options.rounds; round++) {
        if (options.rounds > 1) log(`round ${round} of ${options.rounds}`);
        for (const [target, url, , keys] of targets) {
          for (const op of ['POST', 'GET'] as const) {
            const key = `${target} ${op}`;
            measured.set(key, [...(measured.get(key) ?? []), await run(target, url, op, undefined, keys)]);
          }
        }
        // In the same rounds as the others, so that it sees the same noise.
        if (redis.server) {
          log(`redis-server SET then GET, ${redis.requests} requests each`);
          redisRounds.push(...await redis.server.measure({ connections: CONNECTIONS, valueBytes: VALUE_BYTES, keys: KEYS }, redis.requests));
        }
      }
    } finally {
      redis.server?.stop();
      smart.stop();
    }
    for (const [target] of targets) {
      for (const op of ['POST', 'GET'] as const) record(target, op, measured.get(`${target} ${op}`) ?? []);
    }
    if (redisRounds.length > 0) {
      for (const op of ['SET', 'GET'] as const) record(REDIS_TARGET, op, redisRounds.filter((r) => r.op === op));
    }
    // The same path with coalescing off: what batching per event-loop turn buys, and what it costs in latency.
    const uncoalesced = await cluster.addClient({ ROUTER_COALESCE: 'off' });
    await cluster.waitForMembers(3, 'serving', uncoalesced);
    for (const op of ['POST', 'GET'] as const) record('client, no coalescing', op, [await run('client, no coalescing', uncoalesced.url, op)]);

    // p99 at about half of the client's best GET rate: wrk paces each connection with a delay.
    const clientGet = rows.find((r) => r.target === 'client (full path)' && r.op === 'GET') as Row;
    const halfRate = clientGet.ops_per_s / 2;
    const delayMs = Math.max(1, Math.round((CONNECTIONS * 1000) / halfRate - (clientGet.p50_ms ?? 0)));
    record('client at ~50% load', 'GET', [await run('client at ~50% load', cluster.client.url, 'GET', delayMs)]);

    log(`memory: ${options.memoryEntries} entries of 16-byte keys and ${VALUE_BYTES}-byte values`);
    const lone = await DataplaneProcess.start({
      role: 'server', zkConnect: cluster.zookeeper.connectString, cacheName: 'bench-memory', nodeId: 'memory-probe',
      env: { MAX_MEMORY: '4Gi' },
    });
    const before = rssBytes(lone.pid as number);
    await loadMany(lone, options.memoryEntries, VALUE_BYTES);
    const bytesPerEntry = (rssBytes(lone.pid as number) - before) / options.memoryEntries;
    await lone.stop();
    const mapBytes = mapBytesPerEntry(options.memoryEntries, VALUE_BYTES);

    log(`rebalance: ${options.rebalanceKeys} keys; a 4th server joins, then one drains`);
    const handoff = await measureHandoff(cluster, options.rebalanceKeys);

    log('placement: owner lookups without zones, over 2-2-2 zones and over 1-2-3');
    const placement = measurePlacement();

    log(`anti-entropy: a cycle's digest walk of ${options.rebalanceKeys} keys against a walk that only looks up owners`);
    const antiEntropy = await measureAntiEntropy(options.rebalanceKeys);

    const result = {
      rows,
      skipped,
      memory: { bytes_per_entry: Math.round(bytesPerEntry), map_bytes_per_entry: Math.round(mapBytes), entries: options.memoryEntries },
      rebalance: handoff,
      placement,
      anti_entropy: antiEntropy,
      settings: {
        connections: CONNECTIONS, duration_s: options.durationSeconds, rounds: options.rounds, value_bytes: VALUE_BYTES, keys: KEYS, wrk_threads: 1,
      },
    };
    print(result);
    if (options.json) writeFileSync(options.json, `${JSON.stringify(result, null, 2)}\n`);
    if (options.plot) {
      const bars = rows.map((r) => ({ target: r.target, op: r.op, opsPerSecond: r.ops_per_s, p99Ms: r.p99_ms }));
      const caption = `npm run bench, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${options.rounds} round(s) of ${options.durationSeconds} s, ` +
        `${CONNECTIONS} connections, ${VALUE_BYTES}-byte values; redis speaks RESP, not HTTP (scale only)`;
      writeFileSync(options.plot, renderBarChart(bars, caption));
      log(`plot written to ${options.plot}`);
    }
  } finally {
    raw.stop();
    await cluster.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * The redis reference row's server and request count, or why it is skipped.
 * A missing redis skips only that row, and says so loudly.
 */
async function startRedis(log: (line: string) => void, durationSeconds: number): Promise<{ server?: RedisReference; requests: number; skipped?: string }> {
  const missing = await redisMissing();
  if (missing) {
    log(`WARNING: SKIPPING THE REDIS REFERENCE ROW: ${missing}`);
    return { requests: 0, skipped: missing };
  }
  const server = await RedisReference.start();
  try {
    // A short first run both warms redis and sizes the measured runs to the wrk runs' duration.
    const calibration = await server.measure({ connections: CONNECTIONS, valueBytes: VALUE_BYTES, keys: KEYS }, 20_000);
    const rate = Math.min(...calibration.map((r) => r.opsPerSecond));
    return { server, requests: requestsFor(durationSeconds, rate) };
  } catch (error) {
    server.stop();
    throw error;
  }
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A dash where the load generator reports no figure, rather than an invented one. */
function ms(value: number | null): string {
  return value === null ? '–' : value.toFixed(2);
}

function print(result: {
  rows: Row[]; skipped: Array<{ row: string; reason: string }>; memory: { bytes_per_entry: number; map_bytes_per_entry: number; entries: number };
  rebalance: HandoffRound; placement: PlacementRow[]; anti_entropy: AntiEntropyRow;
}): void {
  const lines = [
    '| target | op | ops/s | p50 ms | p99 ms | ratio to raw | every round, ops/s |',
    '|---|---|---:|---:|---:|---:|---|',
    ...result.rows.map((r) =>
      `| ${r.target} | ${r.op} | ${r.ops_per_s} | ${ms(r.p50_ms)} | ${ms(r.p99_ms)} | ${r.ratio.toFixed(2)} | ${r.rounds.join(', ')} |`),
    '',
    ...result.skipped.map((s) => `SKIPPED: ${s.row}: ${s.reason}`),
    ...result.rows.some((r) => r.target === REDIS_TARGET)
      ? [`${REDIS_TARGET}: redis-benchmark, a different protocol and load generator; for scale only, not a target (SET's ratio is to raw-http POST).`]
      : [],
    `memory per entry (${result.memory.entries} entries): server ${result.memory.bytes_per_entry} B, plain Map ${result.memory.map_bytes_per_entry} B ` +
      `(${(result.memory.bytes_per_entry / result.memory.map_bytes_per_entry).toFixed(2)}x)`,
    `rebalance: join ${result.rebalance.join_keys_per_s} keys/s (${result.rebalance.join_keys} keys, ` +
      `${mib(result.rebalance.join_handoff_bytes)} hand-off, ${mib(result.rebalance.join_wire_bytes)} written by the peers, ${result.rebalance.join_cpu_s} CPU s), ` +
      `drain ${result.rebalance.drain_keys_per_s} keys/s (${result.rebalance.drain_keys} keys, ` +
      `${mib(result.rebalance.drain_handoff_bytes)} hand-off, ${mib(result.rebalance.drain_wire_bytes)} read by the peers, ${result.rebalance.drain_cpu_s} CPU s)`,
    ...result.placement.map((p) => `placement, ownersOf(key, 2): ${p.layout}: ${p.lookups_per_s} lookups/s, ${p.ns_per_lookup} ns each (${p.ratio.toFixed(2)}x)`),
    `anti-entropy cycle, ${result.anti_entropy.keys} keys held: digest walk ${result.anti_entropy.digest_walk_ms} ms ` +
      `(${result.anti_entropy.ns_per_key} ns per key, ${result.anti_entropy.ratio.toFixed(2)}x a walk that only looks up owners, ` +
      `${(result.anti_entropy.core_share_at_30s * 100).toFixed(2)} % of a core at the default 30 s interval); ` +
      `${result.anti_entropy.bytes_per_peer} bytes per peer per cycle while replicas agree (${result.anti_entropy.peers} peers)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
