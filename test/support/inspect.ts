// Looking inside the cluster from a test: metrics, copies held by each
// server, and the hand-off reports servers log.
import { readFileSync } from 'node:fs';
import type { DataplaneProcess } from './dataplane-process.js';
import { clusterTokenHeaders } from './cluster-token.js';
import { call } from './http.js';

/** The sum of a metric's samples whose labels include all of `labels`. */
export async function metric(process: DataplaneProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = (await call(`${process.url}/metrics`)).text;
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Which of the given keys each server holds a live value for, asked directly over the internal route. */
export async function holders(servers: readonly DataplaneProcess[], keys: readonly string[]): Promise<Map<string, string[]>> {
  const held = new Map<string, string[]>(keys.map((k) => [k, []]));
  await Promise.all(servers.map(async (server) => {
    for (let start = 0; start < keys.length; start += 500) {
      const slice = keys.slice(start, start + 500);
      const answer = await call(`${server.url}/internal/v1/batch`, {
        method: 'POST', headers: { ...clusterTokenHeaders(), 'content-type': 'application/json' },
        body: JSON.stringify({ ops: slice.map((key) => ({ op: 'get', key })) }),
      });
      const { results } = answer.json() as { results: Array<{ found?: boolean }> };
      results.forEach((r, i) => r.found && held.get(slice[i] as string)?.push(server.options.nodeId ?? server.address));
    }
  }));
  return held;
}

export interface HandoffReport {
  kind: string;
  node: string;
  seconds: number;
  keysSent: number;
  keysReceived: number;
  keysPerSecond: number;
  /** Copies whose value travelled (drain, rebalance), and hand-off bytes on the wire (issue 17). */
  valuesSent?: number;
  bytesSent?: number;
  bytesReceived?: number;
  failed?: number;
}

/** The "hand-off finished" lines the servers logged, with at least one key moved. */
export function handoffReports(servers: readonly DataplaneProcess[]): HandoffReport[] {
  const reports: HandoffReport[] = [];
  for (const server of servers) {
    let text = '';
    try {
      text = readFileSync(server.logFile, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.includes('"hand-off finished"')) continue;
      const entry = JSON.parse(line) as HandoffReport;
      if (entry.keysSent + entry.keysReceived > 0) reports.push({ ...entry, node: server.options.nodeId ?? '' });
    }
  }
  return reports;
}

/** One line for the test log: what moved, how long it took, how fast. */
export function summarize(reports: readonly HandoffReport[]): string {
  if (reports.length === 0) return 'no keys moved';
  const moved = reports.reduce((sum, r) => sum + r.keysSent + r.keysReceived, 0);
  const longest = Math.max(...reports.map((r) => r.seconds));
  return `${reports.length} hand-offs (${[...new Set(reports.map((r) => r.kind))].join(', ')}), ${moved} key copies moved, longest ${longest.toFixed(2)} s, ` +
    `${Math.round(moved / Math.max(longest, 0.001))} keys/s`;
}
