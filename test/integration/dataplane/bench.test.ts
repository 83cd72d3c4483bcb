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
  it('prints the table and writes every figure as JSON', async () => {
    const json = join(mkdtempSync(join(tmpdir(), 'dcache-bench-smoke-')), 'bench.json');
    const { stdout } = await promisify(execFile)(process.execPath, [
      BENCH, '--quick', '--duration', '1', '--rounds', '2', '--entries', '20000', '--rebalance-keys', '3000', '--json', json,
    ], { timeout: 110_000 });
    expect(stdout).to.contain('| target | op | ops/s | p50 ms | p99 ms | ratio to raw | every round, ops/s |');
    const result = JSON.parse(readFileSync(json, 'utf8')) as {
      rows: Array<{ target: string; op: string; ops_per_s: number; p50_ms: number; p99_ms: number; ratio: number; rounds: number[] }>;
      memory: { bytes_per_entry: number; map_bytes_per_entry: number };
      rebalance: { join_keys_per_s: number; drain_keys_per_s: number };
    };
    const targets = result.rows.map((r) => `${r.target} ${r.op}`);
    for (const target of ['raw-http', 'server (direct)', 'client (full path)', 'client over HTTPS']) {
      expect(targets).to.include.members([`${target} GET`, `${target} POST`]);
      // The main rows are measured in interleaved rounds, and each reports its median round.
      for (const row of result.rows.filter((r) => r.target === target)) {
        expect(row.rounds, `${target} ${row.op}`).to.have.length(2).and.to.include(row.ops_per_s);
      }
    }
    for (const row of result.rows) {
      expect(row.ops_per_s, `${row.target} ${row.op}`).to.be.greaterThan(0);
      expect(row.p99_ms).to.be.at.least(row.p50_ms);
    }
    expect(result.memory.bytes_per_entry).to.be.greaterThan(0);
    expect(result.memory.map_bytes_per_entry).to.be.greaterThan(0);
    expect(result.rebalance.join_keys_per_s).to.be.greaterThan(0);
    expect(result.rebalance.drain_keys_per_s).to.be.greaterThan(0);
  });
});
