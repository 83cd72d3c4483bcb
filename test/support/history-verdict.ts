// The assertion every history test ends with: print the checked history's
// figures, and fail with porcupine's excerpt when it is not linearizable.
import { expect } from 'chai';
import type { CheckVerdict } from './history-checker.js';
import type { WorkloadStats } from './history.js';

/** Returns the number of operations checked. */
export function expectLinearizable(verdict: CheckVerdict, stats: WorkloadStats, label: string, via = '2 routers'): number {
  console.log(
    `      [${label}] ${verdict.operations} ops checked (${stats.gets} get, ${stats.puts} put, ${stats.dels} del; ` +
      `${stats.unknownWrites} writes unanswered, ${stats.failedReads} reads failed) on ${verdict.keys} keys via ${via}: ${verdict.result}`,
  );
  const failed = `${verdict.failures.length} of ${verdict.keys} keys`;
  expect(verdict.result, `${label}: ${failed} not linearizable\n${verdict.report}\nvisualization: ${verdict.visualization}`).to.equal('ok');
  return verdict.operations;
}
