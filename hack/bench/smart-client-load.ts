// The smart client's bench row: an application process that is its own load
// generator, calling the smart client (client/) directly, as wrk calls the
// other targets: `connections` calls in flight at once, keys cycling over
// bench-0 … bench-(keys-1), `valueBytes`-byte values. It reaches the owners
// in one hop, where wrk's requests to a router take two.
//
// It connects once and then takes one run per line on stdin ("GET 5" or
// "POST 5": the op and its seconds), answering each with a LoadResult
// (wrk.ts) as one JSON line; `non2xx` counts failed calls. Staying up between
// runs keeps its start-up out of the bench's interleaved rounds.
//
//   CLUSTER_TOKEN=… node dist/hack/bench/smart-client-load.js <router url> <connections> <keys> <value bytes>
import { createInterface } from 'node:readline';
import { CacheClient } from '../../client/src/index.js';
import type { LoadResult } from './wrk.js';

const [routerUrl, connections, keys, valueBytes] = process.argv.slice(2);
if (routerUrl === undefined) throw new Error('usage: smart-client-load.js <router url> <connections> <keys> <value bytes>');

/** A short warm-up before each measured run, as wrk's targets are warm from the runs before theirs. */
const WARM_UP_MS = 200;

const cache = await CacheClient.connect({ ring: { router: routerUrl }, clusterToken: process.env.CLUSTER_TOKEN ?? '' });
const value = 'v'.repeat(Number(valueBytes));
const keyCount = Number(keys);

async function run(op: 'GET' | 'POST', seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  const measureFrom = performance.now() + WARM_UP_MS;
  const deadline = measureFrom + seconds * 1000;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const key = `bench-${(next = (next + 1) % keyCount)}`;
      const start = performance.now();
      try {
        if (op === 'GET') await cache.get(key);
        else await cache.set(key, value);
      } catch {
        failed++;
      }
      if (start >= measureFrom) latencies.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: Number(connections) }, loop));
  latencies.sort((a, b) => a - b);
  const at = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { opsPerSecond: latencies.length / seconds, p50Ms: at(0.5), p99Ms: at(0.99), non2xx: failed };
}

process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  const [op, seconds] = line.trim().split(/\s+/);
  if (op !== 'GET' && op !== 'POST') throw new Error(`unknown run: ${line}`);
  process.stdout.write(`${JSON.stringify(await run(op, Number(seconds)))}\n`);
}
await cache.close();
