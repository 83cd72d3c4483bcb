// Keeps `npm run bench` from rotting: a tiny --quick run must produce every
// figure the benchmark promises. Speed itself is never asserted in tests.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const BENCH = fileURLToPath(new URL('../../../hack/bench/main.js', import.meta.url));

describe('benchmark (smoke)', function () {
  it('prints the table, writes every figure as JSON and plots it as SVG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcache-bench-smoke-'));
    const json = join(dir, 'bench.json');
    const svg = join(dir, 'bench.svg');
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [
      BENCH, '--quick', '--duration', '1', '--rounds', '2', '--entries', '20000', '--rebalance-keys', '3000', '--json', json, '--plot', svg,
    ], { timeout: 110_000 });
    expect(stdout).to.contain('| target | op | ops/s | p50 ms | p99 ms | ratio to raw | every round, ops/s |');
    const result = JSON.parse(readFileSync(json, 'utf8')) as {
      rows: Array<{ target: string; op: string; ops_per_s: number; p50_ms: number | null; p99_ms: number | null; ratio: number; rounds: number[] }>;
      skipped: Array<{ row: string; reason: string }>;
      memory: { bytes_per_entry: number; map_bytes_per_entry: number };
      rebalance: { join_keys_per_s: number; drain_keys_per_s: number; join_handoff_bytes: number; drain_handoff_bytes: number };
    };
    const targets = result.rows.map((r) => `${r.target} ${r.op}`);
    for (const target of ['raw-http', 'server (direct)', 'client (full path)', 'client over HTTPS', 'smart client (in-process, one hop)']) {
      expect(targets).to.include.members([`${target} GET`, `${target} POST`]);
      // The main rows are measured in interleaved rounds, and each reports its median round.
      for (const row of result.rows.filter((r) => r.target === target)) {
        expect(row.rounds, `${target} ${row.op}`).to.have.length(2).and.to.include(row.ops_per_s);
      }
    }
    for (const row of result.rows) {
      expect(row.ops_per_s, `${row.target} ${row.op}`).to.be.greaterThan(0);
      if (row.p50_ms !== null && row.p99_ms !== null) expect(row.p99_ms).to.be.at.least(row.p50_ms);
    }
    // The redis reference row, labelled as another protocol, or a loud reason why it is missing.
    const redis = result.rows.filter((r) => r.target.startsWith('redis-server'));
    if (redis.length > 0) {
      expect(redis.map((r) => r.op)).to.have.members(['SET', 'GET']);
      expect(redis[0]!.target).to.contain('RESP, not HTTP');
      for (const row of redis) expect(row.rounds, `redis ${row.op}`).to.have.length(2).and.to.include(row.ops_per_s);
      expect(stdout).to.match(/\| redis-server \(RESP, not HTTP; scale only\) \| GET \| \d+ \|/);
    } else {
      expect(result.skipped.map((s) => s.row)).to.include('redis-server (RESP, not HTTP; scale only)');
      expect(stdout).to.contain('SKIPPED: redis-server');
      expect(stderr).to.contain('WARNING: SKIPPING THE REDIS REFERENCE ROW');
    }
    // The plot: one bar per row in the ops/s panel, one per row with a p99 in the other.
    const plot = readFileSync(svg, 'utf8');
    expect(plot.startsWith('<svg ')).to.equal(true);
    expect(plot.trimEnd().endsWith('</svg>')).to.equal(true);
    const bars = result.rows.length + result.rows.filter((r) => r.p99_ms !== null).length;
    expect(plot.match(/<rect /g)).to.have.length(bars);
    for (const row of result.rows) expect(plot).to.contain(`${row.target} ${row.op}</text>`.replace(/&/g, '&amp;'));
    expect(result.memory.bytes_per_entry).to.be.greaterThan(0);
    expect(result.memory.map_bytes_per_entry).to.be.greaterThan(0);
    expect(result.rebalance.join_keys_per_s).to.be.greaterThan(0);
    expect(result.rebalance.drain_keys_per_s).to.be.greaterThan(0);
    expect(result.rebalance.join_handoff_bytes, 'bytes a join moved').to.be.greaterThan(0);
    expect(result.rebalance.drain_handoff_bytes, 'bytes a drain moved').to.be.greaterThan(0);
  });
});
