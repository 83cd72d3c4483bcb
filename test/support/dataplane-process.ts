// Real data plane processes for integration tests: `node dist/dataplane/main.js`
// (this checkout's, or an earlier release's: previous-release.ts) with its
// settings in the environment, logs kept in a file for post-mortems. On
// loopback by default, or inside a network lab's host (test/support/lab/).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_CLUSTER_TOKEN } from './cluster-token.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../dataplane/main.js');
const LOG_DIR = mkdtempSync(join(tmpdir(), 'dcache-logs-'));

/** A lab host to run in: its network namespace and its address there (test/support/lab/lab.ts). */
export interface ProcessSite {
  netns: string;
  address: string;
}

export interface DataplaneOptions {
  role: 'server' | 'client';
  zkConnect: string;
  cacheName: string;
  nodeId?: string;
  env?: Record<string, string>;
  /** The entry point to run; default this checkout's dist/dataplane/main.js. */
  main?: string;
  /** A file descriptor for its stdout (a pipe, say); default the log file, which also takes stderr. */
  stdout?: number;
  /** Where it runs; default loopback in the test's own namespace. */
  site?: ProcessSite;
}

export class DataplaneProcess {
  private child: ChildProcess | undefined;
  readonly logFile: string;

  private constructor(readonly options: DataplaneOptions, readonly port: number) {
    this.logFile = join(LOG_DIR, `${options.nodeId ?? options.role}-${port}.log`);
  }

  /** The IP it listens on and is reached at. */
  get host(): string {
    return this.options.site?.address ?? '127.0.0.1';
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and waits until it answers /readyz (unless told not to). */
  static async start(options: DataplaneOptions, { waitReady = true } = {}): Promise<DataplaneProcess> {
    const process = new DataplaneProcess(options, await freePort());
    process.spawn();
    if (waitReady) await process.waitReady();
    return process;
  }

  private spawn(): void {
    const log = openSync(this.logFile, 'a');
    const { role, zkConnect, cacheName, nodeId, env, main = MAIN, site, stdout = log } = this.options;
    // `ip netns exec` enters the namespace and then execs node, so the child's pid is node's
    // own and every signal below (SIGSTOP, SIGTERM, SIGKILL) reaches the process itself.
    const [command, args] = site
      ? ['ip', ['netns', 'exec', site.netns, process.execPath, main, role]]
      : [process.execPath, [main, role]];
    this.child = spawn(command, args, {
      env: {
        PATH: process.env.PATH ?? '',
        ZK_CONNECT: zkConnect,
        CACHE_NAME: cacheName,
        HOST: this.host,
        PORT: String(this.port),
        LOG_LEVEL: 'info',
        ZK_SESSION_TIMEOUT: '2s',
        // A test that needs no token, or a file, overrides this (an empty value counts as unset).
        CLUSTER_TOKEN: TEST_CLUSTER_TOKEN,
        ...(nodeId ? { NODE_ID: nodeId, ADVERTISE_ADDRESS: this.address } : {}),
        ...env,
      },
      stdio: ['ignore', stdout, log],
    });
  }

  async waitReady(timeoutMs = 20_000): Promise<void> {
    await waitFor(`${this.options.nodeId ?? this.options.role} to be ready (log: ${this.logFile})`, async () => {
      if (this.child?.exitCode != null) throw new Error(`exited with ${this.child.exitCode}: ${this.logTail()}`);
      const response = await fetch(`${this.url}/readyz`);
      return response.status === 200;
    }, { timeoutMs });
  }

  /** Sends a signal and waits for the process to exit; resolves its exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  /** Starts the process again on the same port and identity (after it stopped or was killed). */
  async restart({ waitReady = true } = {}): Promise<void> {
    if (this.running) throw new Error(`${this.options.nodeId ?? this.options.role} is still running`);
    this.spawn();
    if (waitReady) await this.waitReady();
  }

  kill(): Promise<number | null> {
    return this.stop('SIGKILL');
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
