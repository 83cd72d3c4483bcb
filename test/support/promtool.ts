// Runs promtool (built from the Prometheus module by hack/build-promtool.sh)
// on metrics text and on rule files.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from './operator-repo.js';

/** promtool check metrics' exit code when it found problems (it prints them on stderr). */
const LINT_PROBLEMS_EXIT = 3;

export interface LintProblem {
  metric: string;
  text: string;
}

/** The binary; `make test-monitoring` builds it before the suite runs. */
export function promtoolBinary(): string {
  const script = repoPath('hack', 'build-promtool.sh');
  const binary = join(execFileSync(script, ['--print-bin-dir'], { encoding: 'utf8' }).trim(), 'promtool');
  if (!existsSync(binary)) throw new Error(`promtool is not built (${binary} is missing): run ${script}, as \`make test-monitoring\` does`);
  return binary;
}

function run(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(promtoolBinary(), args, { input, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `promtool check metrics` on an exposition: its problems, one per metric and finding. */
export function checkMetrics(exposition: string): LintProblem[] {
  const { status, stderr } = run(['check', 'metrics'], exposition);
  if (status !== 0 && status !== LINT_PROBLEMS_EXIT) throw new Error(`promtool check metrics failed (exit ${status}): ${stderr.trim()}`);
  return stderr.split('\n').filter((line) => line.trim() !== '').map((line) => {
    const space = line.indexOf(' ');
    return { metric: line.slice(0, space), text: line.slice(space + 1) };
  });
}

/** `promtool <args>` that must succeed: its combined output, or an error carrying it. */
export function promtool(...args: string[]): string {
  const { status, stdout, stderr } = run(args);
  const output = `${stdout}${stderr}`.trim();
  if (status !== 0) throw new Error(`promtool ${args.join(' ')} failed (exit ${status}):\n${output}`);
  return output;
}
