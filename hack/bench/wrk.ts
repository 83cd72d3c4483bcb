// Drives load with Debian's wrk (a C load generator: on a 2-core machine it
// takes far less CPU than a Node one would, so it disturbs the target less),
// and reads its latency distribution.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LoadResult {
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}

export interface LoadOptions {
  url: string;
  op: 'GET' | 'POST';
  durationSeconds: number;
  connections: number;
  /** The keys the requests cycle over. */
  keys: readonly string[];
  valueBytes: number;
  /** Per-request delay per connection, to hold a rate below the maximum. */
  delayMs?: number;
  workDir: string;
}

function script(options: LoadOptions): string {
  const value = 'v'.repeat(options.valueBytes);
  const request = options.op === 'GET'
    ? 'return wrk.format("GET", "/api/get/" .. keys[i])'
    : `return wrk.format("POST", "/api/post?key=" .. keys[i] .. "&value=${value}")`;
  return [
    // Bench keys need no escaping in a Lua string or a URL.
    `local keys = {${options.keys.map((key) => `"${key}"`).join(',')}}`,
    'local i = 0',
    `request = function() i = i % #keys + 1; ${request} end`,
    options.delayMs ? `delay = function() return ${options.delayMs} end` : '',
  ].join('\n');
}

function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!match) throw new Error(`unreadable wrk latency: ${text}`);
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  const file = join(options.workDir, `${options.op}-${Date.now()}.lua`);
  writeFileSync(file, script(options));
  const { stdout } = await run('wrk', [
    '-t1', `-c${options.connections}`, `-d${options.durationSeconds}s`, '--latency', '-s', file, options.url,
  ], { maxBuffer: 1 << 20 });
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  const p50 = /\s50%\s+(\S+)/.exec(stdout);
  const p99 = /\s99%\s+(\S+)/.exec(stdout);
  if (!rate || !p50 || !p99) throw new Error(`unreadable wrk output:\n${stdout}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
  return { opsPerSecond: Number(rate[1]), p50Ms: toMs(p50[1] as string), p99Ms: toMs(p99[1] as string), non2xx };
}
