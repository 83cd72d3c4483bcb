// The redis reference row: Debian's redis-server driven by redis-benchmark,
// with wrk's concurrency, value size and keyspace. Redis speaks RESP, not
// HTTP, so the row is there for scale only, never as a target.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RedisResult {
  op: 'GET' | 'SET';
  opsPerSecond: number;
  /** null when this redis-benchmark's CSV has no percentiles (before Redis 7). */
  p50Ms: number | null;
  p99Ms: number | null;
}

/**
 * Reads `redis-benchmark --csv`. Redis 7 prints a header and percentiles
 * ("test","rps",…,"p50_latency_ms",…,"p99_latency_ms",…); older versions
 * print only "SET","12345.67". Missing percentiles stay null, never guessed.
 */
export function parseRedisCsv(csv: string): RedisResult[] {
  const lines = csv.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('"'));
  const cells = (line: string): string[] => line.split(',').map((c) => c.replace(/^"|"$/g, ''));
  const header = lines[0] && cells(lines[0])[0] === 'test' ? cells(lines[0]) : undefined;
  const column = (name: string, fallback: number): number => (header ? header.indexOf(name) : fallback);
  const rps = column('rps', 1);
  const p50 = column('p50_latency_ms', -1);
  const p99 = column('p99_latency_ms', -1);
  const results: RedisResult[] = [];
  for (const line of header ? lines.slice(1) : lines) {
    const row = cells(line);
    const op = row[0];
    if (op !== 'GET' && op !== 'SET') continue;
    const number = (i: number): number | null => (i >= 0 && row[i] !== undefined && row[i] !== '' ? Number(row[i]) : null);
    const opsPerSecond = number(rps);
    if (opsPerSecond === null || Number.isNaN(opsPerSecond)) throw new Error(`unreadable redis-benchmark line: ${line}`);
    results.push({ op, opsPerSecond, p50Ms: number(p50), p99Ms: number(p99) });
  }
  if (!results.some((r) => r.op === 'GET') || !results.some((r) => r.op === 'SET')) {
    throw new Error(`redis-benchmark printed no GET and SET rates:\n${csv}`);
  }
  return results;
}

/**
 * redis-benchmark counts requests rather than seconds: size a run from a
 * calibration rate so that it lasts about as long as a wrk run.
 */
export function requestsFor(durationSeconds: number, calibrationOpsPerSecond: number, minimum = 10_000): number {
  return Math.max(minimum, Math.round(durationSeconds * calibrationOpsPerSecond));
}

/** Why the redis row cannot run here, or undefined when it can. */
export async function redisMissing(): Promise<string | undefined> {
  for (const tool of ['redis-server', 'redis-benchmark']) {
    try {
      await run(tool, ['--version']);
    } catch {
      return `${tool} is not installed (Debian: redis-server / redis-tools; hack/ensure-prereqs.sh installs them)`;
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address !== 'object') throw new Error('no free port');
  return address.port;
}

export interface RedisOptions {
  connections: number;
  valueBytes: number;
  keys: number;
}

export class RedisReference {
  private constructor(private readonly child: ChildProcess, private readonly port: number, private readonly dir: string) {}

  /** A throwaway redis-server on loopback: its own directory, no RDB, no AOF. */
  static async start(): Promise<RedisReference> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'dcache-bench-redis-'));
    const child = spawn('redis-server', [
      '--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no',
    ], { stdio: 'ignore' });
    const redis = new RedisReference(child, port, dir);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping']);
        return redis;
      } catch (error) {
        if (Date.now() > deadline || child.exitCode !== null) {
          redis.stop();
          throw new Error(`redis-server did not start on port ${port}: ${(error as Error).message}`);
        }
        await sleep(100);
      }
    }
  }

  /**
   * SET then GET (redis-benchmark's own order, so GETs mostly hit): -c is
   * wrk's connections, -d its value bytes, -r its keyspace, -P 1 one request
   * in flight per connection as with wrk, and one client thread as wrk -t1.
   */
  async measure(options: RedisOptions, requests: number): Promise<RedisResult[]> {
    const { stdout } = await run('redis-benchmark', [
      '-h', '127.0.0.1', '-p', String(this.port), '-c', String(options.connections), '-d', String(options.valueBytes),
      '-r', String(options.keys), '-n', String(requests), '-P', '1', '-t', 'set,get', '--csv',
    ], { maxBuffer: 1 << 20 });
    return parseRedisCsv(stdout);
  }

  stop(): void {
    this.child.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
