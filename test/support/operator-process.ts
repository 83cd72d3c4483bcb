// The operator as a real child process (`node dist/operator/main.js`), with its
// logs in a file and its /metrics read for what it did.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { call } from './http.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../operator/main.js');
const LOG_DIR = mkdtempSync(join(tmpdir(), 'dcache-operator-logs-'));
const STOP_TIMEOUT_MS = 25_000;

export interface OperatorOptions {
  /** The kubeconfig it runs with (its ServiceAccount's, so that RBAC applies). */
  kubeconfig: string;
  /** For the log file name. */
  name: string;
  env?: Record<string, string>;
  /** Another build's operator/main.js (the operator bench compares two builds); this build's by default. */
  main?: string;
}

export class OperatorProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;
  readonly logFile: string;

  private constructor(
    readonly options: OperatorOptions,
    readonly healthPort: number,
  ) {
    this.logFile = join(LOG_DIR, `${options.name}-${healthPort}.log`);
  }

  /** Starts it and waits until it serves /healthz. */
  static async start(options: OperatorOptions): Promise<OperatorProcess> {
    const operator = new OperatorProcess(options, await freePort());
    operator.spawn();
    await waitFor(`operator ${options.name} to serve /healthz (log: ${operator.logFile})`, async () => {
      if (!operator.running) throw new Error(`it exited with ${operator.child?.exitCode}; see ${operator.logFile}`);
      return (await call(`${operator.url}/healthz`)).status === 200;
    }, { timeoutMs: 15_000, intervalMs: 100 });
    return operator;
  }

  private spawn(): void {
    const log = openSync(this.logFile, 'a');
    this.child = spawn(process.execPath, [this.options.main ?? MAIN], {
      env: {
        PATH: process.env['PATH'] ?? '',
        KUBECONFIG: this.options.kubeconfig,
        HEALTH_PORT: String(this.healthPort),
        LOG_LEVEL: 'debug',
        ...this.options.env,
      },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    const child = this.child;
    this.exited = new Promise((resolvePromise) => child.once('exit', (code) => resolvePromise(code)));
  }

  get url(): string {
    return `http://127.0.0.1:${this.healthPort}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Every sample of /metrics, keyed `name{label="value",...}` as printed. */
  async metrics(): Promise<Map<string, number>> {
    const answer = await call(`${this.url}/metrics`);
    const samples = new Map<string, number>();
    for (const line of answer.text.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      const space = line.lastIndexOf(' ');
      samples.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
    return samples;
  }

  /** The sum of a metric over the samples whose labels include `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    let sum = 0;
    for (const [key, value] of await this.metrics()) {
      const brace = key.indexOf('{');
      const metricName = brace === -1 ? key : key.slice(0, brace);
      if (metricName !== name) continue;
      if (Object.entries(labels).every(([label, v]) => key.includes(`${label}="${v}"`))) sum += value;
    }
    return sum;
  }

  async isLeader(): Promise<boolean> {
    return (await this.metric('dcache_operator_leader')) === 1;
  }

  async ready(): Promise<boolean> {
    return (await call(`${this.url}/readyz`)).status === 200;
  }

  /** Waits until it leads and its informers are synced. */
  async waitLeading(timeoutMs = 30_000): Promise<void> {
    await waitFor(`operator ${this.options.name} to lead (log: ${this.logFile})`, async () => (await this.isLeader()) && (await this.ready()), {
      timeoutMs,
      intervalMs: 100,
    });
  }

  /** SIGTERM, as the kubelet sends; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child === undefined || !this.running) return this.child?.exitCode ?? null;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      return await (this.exited ?? Promise.resolve(null));
    } finally {
      clearTimeout(timer);
    }
  }
}
