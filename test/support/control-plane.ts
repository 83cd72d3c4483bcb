// A real Kubernetes control plane for integration tests (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler), started by hack/testenv.sh.
//
// Load it as a mocha root hook plugin (`"require":
// ["dist/test/support/control-plane.js"]`): it brings the control plane up once
// before the first test and down after the last. Tests then use the helpers
// below. Set TESTENV_DIR to reuse (and keep running) a control plane started
// with `make testenv` instead of starting a throwaway one.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { waitFor } from './wait.js';

/** Where a running control plane lives, as hack/testenv.sh reports it. */
export interface ControlPlane {
  /** The directory holding its state, pid files, logs and kubeconfigs. */
  readonly dir: string;
  /** Admin kubeconfig (client certificate in system:masters). */
  readonly kubeconfigPath: string;
  /** Directory with etcd, kube-apiserver, ..., kubectl. */
  readonly binDir: string;
  readonly apiUrl: string;
  /** False when TESTENV_DIR named a control plane someone else owns. */
  readonly ownedByThisRun: boolean;
}

/** Up to an hour and a half: a cold `up` compiles Kubernetes first. */
const UP_TIMEOUT_MS = 90 * 60 * 1000;
const DOWN_TIMEOUT_MS = 2 * 60 * 1000;
const SERVICE_ACCOUNT_TOKEN_SECONDS = 3600;

let current: ControlPlane | undefined;

function repoRoot(): string {
  // Found by walking up, so this works from test/support and dist/test/support.
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'hack', 'testenv.sh'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find hack/testenv.sh above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

function testenvScript(): string {
  return join(repoRoot(), 'hack', 'testenv.sh');
}

/** Names the first missing build prerequisite, or undefined when all are there. */
function missingPrerequisite(): string | undefined {
  const path = (process.env['PATH'] ?? '').split(delimiter);
  const onPath = (command: string): boolean => path.some((dir) => dir !== '' && existsSync(join(dir, command)));
  if (!onPath('go')) return "'go' (Go >= 1.26, to build the Kubernetes binaries from hack/k8s/go.mod)";
  for (const command of ['bash', 'setsid', 'flock']) {
    if (!onPath(command)) return `'${command}'`;
  }
  return undefined;
}

/** Runs hack/testenv.sh with its progress (including a cold build) shown on stderr. */
function runTestenv(command: 'up' | 'down', dir: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [testenvScript(), command, dir], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`hack/testenv.sh ${command} ${dir} failed (exit ${code ?? signal}); logs in ${dir}/logs`));
    });
  });
}

function parseEnvFile(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) entries.set(match[1], match[2]);
  }
  return entries;
}

async function readControlPlane(dir: string, ownedByThisRun: boolean): Promise<ControlPlane> {
  const env = parseEnvFile(await readFile(join(dir, 'testenv.env'), 'utf8'));
  const required = (key: string): string => {
    const value = env.get(key);
    if (value === undefined) throw new Error(`${dir}/testenv.env has no ${key}`);
    return value;
  };
  return {
    dir,
    kubeconfigPath: required('KUBECONFIG'),
    binDir: required('BIN_DIR'),
    apiUrl: required('API_URL'),
    ownedByThisRun,
  };
}

/** Starts the control plane (or joins the one in TESTENV_DIR). */
export async function startControlPlane(): Promise<ControlPlane> {
  if (current !== undefined) return current;
  const sharedDir = process.env['TESTENV_DIR'];
  const dir = sharedDir !== undefined && sharedDir !== '' ? resolve(sharedDir) : await mkdtemp(join(tmpdir(), 'dc-control-plane-'));
  const ownedByThisRun = sharedDir === undefined || sharedDir === '';
  if (ownedByThisRun) installTeardownGuards();
  await runTestenv('up', dir);
  current = await readControlPlane(dir, ownedByThisRun);
  return current;
}

/** Stops the control plane this run started; keeps DIR (with logs) when asked to. */
export async function stopControlPlane(options: { keepDir: boolean }): Promise<void> {
  const plane = current;
  if (plane === undefined || !plane.ownedByThisRun) return;
  await runTestenv('down', plane.dir);
  current = undefined;
  removeTeardownGuards();
  if (options.keepDir) {
    console.error(`control-plane: kept ${plane.dir} (logs in ${plane.dir}/logs) because a test failed`);
  } else {
    await rm(plane.dir, { recursive: true, force: true });
  }
}

// If mocha ends without running afterAll (Ctrl-C, a crash, process.exit),
// the control plane, which runs in its own session, would outlive the run.
// These guards stop it synchronously, since 'exit' handlers cannot await.
const TERMINATING_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function stopSynchronously(): void {
  const plane = current;
  if (plane?.ownedByThisRun !== true) return;
  current = undefined;
  spawnSync('bash', [testenvScript(), 'down', plane.dir], { stdio: 'inherit', timeout: DOWN_TIMEOUT_MS });
}

function stopThenDieOf(signal: NodeJS.Signals): void {
  stopSynchronously();
  removeTeardownGuards();
  // Re-raised with no listener left, so the process ends as the signal intends.
  process.kill(process.pid, signal);
}

function installTeardownGuards(): void {
  process.once('exit', stopSynchronously);
  for (const signal of TERMINATING_SIGNALS) process.once(signal, stopThenDieOf);
}

function removeTeardownGuards(): void {
  process.removeListener('exit', stopSynchronously);
  for (const signal of TERMINATING_SIGNALS) process.removeListener(signal, stopThenDieOf);
}

/** The running control plane; throws if the root hook did not start one. */
export function controlPlane(): ControlPlane {
  if (current === undefined) {
    throw new Error('no control plane: run mocha with --config .mocharc.control-plane.json (it loads test/support/control-plane)');
  }
  return current;
}

export function binDir(): string {
  return controlPlane().binDir;
}

export function adminKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(controlPlane().kubeconfigPath);
  return kubeConfig;
}

export interface ServiceAccountKubeConfig {
  readonly kubeConfig: KubeConfig;
  /** The same credentials as a kubeconfig file, e.g. for kubectl or a child process. */
  readonly path: string;
  readonly username: string;
}

/**
 * Credentials for a ServiceAccount, from a token issued by the TokenRequest
 * API, so a test acts exactly as a pod running as that account would.
 */
export async function kubeconfigForServiceAccount(namespace: string, name: string): Promise<ServiceAccountKubeConfig> {
  const admin = adminKubeConfig();
  const tokenRequest = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds: SERVICE_ACCOUNT_TOKEN_SECONDS } },
  });
  const token = tokenRequest.status?.token;
  if (token === undefined || token === '') throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);

  const cluster = admin.getCurrentCluster();
  if (cluster === null) throw new Error('the admin kubeconfig has no current cluster');
  const username = `system:serviceaccount:${namespace}:${name}`;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [cluster],
    users: [{ name: username, token }],
    contexts: [{ name: username, cluster: cluster.name, user: username, namespace }],
    currentContext: username,
  });
  const path = join(controlPlane().dir, `serviceaccount-${namespace}-${name}.kubeconfig`);
  // exportConfig() writes JSON, which kubectl reads as the YAML it is.
  await writeFile(path, kubeConfig.exportConfig(), { mode: 0o600 });
  return { kubeConfig, path, username };
}

export interface KubectlOptions {
  /** Defaults to the admin kubeconfig. */
  readonly kubeconfig?: string;
  /** Written to kubectl's stdin, e.g. a manifest for `apply -f -`. */
  readonly input?: string;
}

/** A kubectl invocation that exited non-zero. */
export class KubectlError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`kubectl ${args.join(' ')} exited ${exitCode}: ${stderr.trim()}`);
    this.name = 'KubectlError';
  }
}

/** Runs the kubectl built with the control plane; resolves to its stdout. */
export function kubectl(args: readonly string[], options: KubectlOptions = {}): Promise<string> {
  const kubeconfig = options.kubeconfig ?? controlPlane().kubeconfigPath;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(join(binDir(), 'kubectl'), ['--kubeconfig', kubeconfig, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise(stdout);
      else reject(new KubectlError(args, code, stdout, stderr));
    });
    child.stdin.end(options.input ?? '');
  });
}

function anyTestFailed(suite: Mocha.Suite): boolean {
  return suite.tests.some((test) => test.state === 'failed') || suite.suites.some(anyTestFailed);
}

export const mochaHooks: Mocha.RootHookObject = {
  async beforeAll(this: Mocha.Context) {
    const missing = missingPrerequisite();
    if (missing !== undefined && process.env['CI'] === 'true') {
      // CI machines install Go first, so a missing prerequisite there is a bug.
      throw new Error(`control-plane tests cannot run in CI: ${missing} is not on PATH`);
    }
    if (missing !== undefined) {
      const banner = '!'.repeat(78);
      console.error(
        `\n${banner}\n  SKIPPING every control-plane test: ${missing} is not on PATH.\n` +
          `  Install it (see hack/k8s/README.md) to run etcd, kube-apiserver,\n` +
          `  kube-controller-manager and kube-scheduler for these tests.\n${banner}\n`,
      );
      this.skip();
    }
    this.timeout(UP_TIMEOUT_MS);
    const plane = await startControlPlane();
    console.error(`control-plane: up in ${plane.dir} (API ${plane.apiUrl})`);
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(DOWN_TIMEOUT_MS);
    const root = this.test?.parent;
    await stopControlPlane({ keepDir: root !== undefined && anyTestFailed(root) });
  },
};

/**
 * Creates a namespace with a generated name for one suite, and waits for its
 * `default` ServiceAccount so that pods created in it are admitted.
 */
export async function createTestNamespace(prefix: string): Promise<string> {
  const core = adminKubeConfig().makeApiClient(CoreV1Api);
  const created = await core.createNamespace({ body: { metadata: { generateName: `${prefix}-` } } });
  const name = created.metadata?.name;
  if (name === undefined) throw new Error('the API server returned a namespace without a name');
  await waitFor(
    `serviceaccount ${name}/default`,
    async () => {
      await core.readNamespacedServiceAccount({ namespace: name, name: 'default' });
      return true;
    },
    { intervalMs: 100 },
  );
  return name;
}

/** Deletes a test namespace; the namespace controller removes its contents. */
export async function deleteTestNamespace(name: string): Promise<void> {
  await adminKubeConfig().makeApiClient(CoreV1Api).deleteNamespace({ name });
}

/** The parts of a rejected API request that tests assert on. */
export interface ApiRejection {
  readonly code: number;
  readonly reason: string;
  readonly message: string;
}

/**
 * Awaits a request that must fail and returns the API server's Status.
 * The client throws ApiException with the Status JSON as a string body.
 */
export async function rejectionOf(request: Promise<unknown>): Promise<ApiRejection> {
  try {
    await request;
  } catch (error) {
    if (error instanceof ApiException) {
      const body: unknown = error.body;
      const status = parseStatus(typeof body === 'string' ? body : JSON.stringify(body ?? {}));
      return { code: error.code, reason: status.reason ?? '', message: status.message ?? '' };
    }
    throw error;
  }
  throw new Error('expected the API server to reject the request, but it succeeded');
}

function parseStatus(text: string): { reason?: string; message?: string } {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return {};
    const { reason, message } = parsed as Record<string, unknown>;
    return {
      ...(typeof reason === 'string' ? { reason } : {}),
      ...(typeof message === 'string' ? { message } : {}),
    };
  } catch {
    return { message: text };
  }
}
