// The helm CLI built from hack/helm (hack/build-helm.sh), run on
// charts/distributed-cache with a helm home of its own, so that tests never
// read or change a person's helm settings, repositories or plugins.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from './operator-repo.js';

export const CHART_DIR = repoPath('charts', 'distributed-cache');
/** The release and namespace the README's install example uses. */
export const RELEASE = 'dcache';
export const RELEASE_NAMESPACE = 'distributed-cache-system';

/** A cold build of helm takes minutes on these machines; a `before` that calls helmBinary() allows this. */
export const HELM_BUILD_TIMEOUT_MS = 60 * 60 * 1000;

let binary: string | undefined;
let home: string | undefined;

/**
 * The helm binary. `make test-helm` builds it before mocha; when a person runs
 * mocha directly, this builds it (minutes when cold, progress on stderr).
 */
export function helmBinary(): string {
  if (binary !== undefined) return binary;
  const script = repoPath('hack', 'build-helm.sh');
  const built = spawnSync(script, [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (built.status !== 0) throw new Error(`${script} failed (exit ${built.status ?? built.signal})`);
  const path = join(built.stdout.trim(), 'helm');
  if (!existsSync(path)) throw new Error(`${script} printed ${built.stdout.trim()}, which has no helm`);
  binary = path;
  return path;
}

function helmEnv(): NodeJS.ProcessEnv {
  if (home === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'dc-helm-home-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    home = dir;
  }
  return {
    ...process.env,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
    // No cluster unless a test names one with --kubeconfig.
    KUBECONFIG: join(home, 'no-kubeconfig'),
  };
}

/** A helm invocation that exited non-zero; its output says why. */
export class HelmError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`helm ${args.join(' ')} failed: ${stderr.trim() || stdout.trim()}`);
    this.name = 'HelmError';
  }
}

export interface HelmResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm; resolves to its output, or rejects with HelmError. */
export function helm(args: readonly string[]): Promise<HelmResult> {
  return new Promise((resolve, reject) => {
    execFile(helmBinary(), args, { env: helmEnv(), maxBuffer: 32 * 2 ** 20 }, (error, stdout, stderr) => {
      if (error === null) resolve({ stdout, stderr });
      else if (typeof error.code === 'number') reject(new HelmError(args, stdout, stderr));
      else reject(error);
    });
  });
}

/** `helm template` of the chart (or another copy of it) as the README's release; `--set` pairs follow. */
export async function helmTemplate(sets: readonly string[] = [], options: { chart?: string; namespace?: string } = {}): Promise<string> {
  const args = ['template', RELEASE, options.chart ?? CHART_DIR, '--namespace', options.namespace ?? RELEASE_NAMESPACE];
  for (const set of sets) args.push('--set', set);
  return (await helm(args)).stdout;
}
