// Runs the porcupine checker (hack/porcupine, built by hack/build-porcupine.sh)
// over a recorded history and returns its verdict.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryOp } from './history.js';
import { repoPath } from './operator-repo.js';

export interface CheckVerdict {
  result: 'ok' | 'illegal' | 'unknown';
  operations: number;
  keys: number;
  visualization: string;
  /** For an illegal history: the keys that cannot be linearized, with the shortest failing excerpt. */
  failures: unknown[];
  /** The checker's human-readable account (the excerpts). */
  report: string;
}

const HISTORY_DIR = mkdtempSync(join(tmpdir(), 'dcache-histories-'));

/** The checker binary; `make test` builds it before the suite runs. */
export function checkerBinary(): string {
  const script = repoPath('hack', 'build-porcupine.sh');
  const binary = execFileSync(script, ['--print-path'], { encoding: 'utf8' }).trim();
  if (!existsSync(binary)) {
    throw new Error(`the history checker is not built (${binary} is missing): run ${script}, as \`make test\` does`);
  }
  return binary;
}

export function checkHistory(history: readonly HistoryOp[], name: string): CheckVerdict {
  const file = join(HISTORY_DIR, `${name}.json`);
  writeFileSync(file, JSON.stringify({ operations: history }));
  const html = join(HISTORY_DIR, `${name}.html`);
  const run = spawnSync(checkerBinary(), ['--history', file, '--visualize', html, '--timeout', '90s'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status === 2 || run.status === null) {
    throw new Error(`the history checker failed on ${file} (exit ${run.status ?? run.signal}): ${run.stderr.trim()}`);
  }
  const verdict = JSON.parse(run.stdout) as Omit<CheckVerdict, 'report'>;
  return { ...verdict, report: run.stderr.trim() };
}
