// Concurrent histories of get, put and delete on a few hot keys, recorded for
// an outside linearizability checker (hack/porcupine). Every client runs in
// this process, so one monotonic clock stamps every call and return. Each op
// goes through a router or a smart client (history-writers.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { routerWriter, type HistoryWriter } from './history-writers.js';

/** One operation as the checker reads it (the format is in hack/porcupine/README.md). */
export interface HistoryOp {
  client: number;
  op: 'get' | 'put' | 'del';
  key: string;
  value?: string;
  /** Nanoseconds on the one monotonic clock. */
  call: number;
  /** null: no answer, so the op may or may not have taken effect. */
  return: number | null;
  output: { found?: boolean; value?: string; existed?: boolean; unknown?: boolean };
}

export interface WorkloadOptions {
  /** Base URLs of the routers; every op picks one at random (among `writers` too, if given). */
  routers: () => readonly string[];
  /** Smart clients (or any writer) that take ops beside the routers. */
  writers?: () => readonly HistoryWriter[];
  clients: number;
  keys: readonly string[];
  /** Total ops per second across all clients; 0 runs flat out. */
  opsPerSecond: number;
  /** Per-request limit: past it the op counts as unanswered. */
  timeoutMs?: number;
  /** Share of ops that are deletes (default 0.1); the rest are half gets, half puts and gets. */
  deleteShare?: number;
}

export interface WorkloadStats {
  ops: number;
  gets: number;
  puts: number;
  dels: number;
  /** Writes with no definite answer (timeout, 5xx): recorded as may-or-may-not. */
  unknownWrites: number;
  /** Reads with no answer: they constrain nothing and are left out. */
  failedReads: number;
  /** The first few unexpected answers, for the test's message. */
  problems: string[];
}

const origin = process.hrtime.bigint();
const now = (): number => Number(process.hrtime.bigint() - origin);

/** Runs clients against the routers until stopped, recording every op. */
export class HistoryWorkload {
  readonly history: HistoryOp[] = [];
  readonly stats: WorkloadStats = { ops: 0, gets: 0, puts: 0, dels: 0, unknownWrites: 0, failedReads: 0, problems: [] };
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly options: WorkloadOptions) {}

  start(): this {
    this.running = true;
    this.loops = Array.from({ length: this.options.clients }, (_, client) => this.clientLoop(client));
    return this;
  }

  async stop(): Promise<WorkloadStats> {
    this.running = false;
    await Promise.all(this.loops);
    return this.stats;
  }

  private async clientLoop(client: number): Promise<void> {
    const { clients, opsPerSecond } = this.options;
    const interval = opsPerSecond > 0 ? (clients * 1000) / opsPerSecond : 0;
    // Stagger the clients so paced load is spread over each interval.
    let next = performance.now() + Math.random() * interval;
    for (let seq = 0; this.running; seq++) {
      if (interval > 0) {
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        next += interval;
      }
      await this.oneOp(client, seq);
    }
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(Math.random() * items.length)] as T;
  }

  private writers(): HistoryWriter[] {
    return [...this.options.routers().map(routerWriter), ...(this.options.writers?.() ?? [])];
  }

  private async oneOp(client: number, seq: number): Promise<void> {
    const writer = this.pick(this.writers());
    const key = this.pick(this.options.keys);
    const roll = Math.random();
    const kind = roll < 0.5 ? 'get' : roll < 1 - (this.options.deleteShare ?? 0.1) ? 'put' : 'del';
    const value = `c${client}-${seq}`;
    const call = now();
    const answer = await writer.run(kind, key, value, this.options.timeoutMs ?? 3000);
    const returned = now();
    this.stats.ops++;
    const op: HistoryOp = { client, op: kind, key, call, return: returned, output: {}, ...(kind === 'put' ? { value } : {}) };
    const failure = (): string => `${kind} ${key} via ${writer.name}: ${'failed' in answer ? answer.failed : ''}`;
    if (kind === 'get') {
      this.stats.gets++;
      if ('failed' in answer) return this.failedRead(failure());
      op.output = 'found' in answer && answer.found ? { found: true, value: answer.value } : { found: false };
    } else if (kind === 'put') {
      this.stats.puts++;
      if ('failed' in answer) return this.unknownWrite(op, failure());
    } else {
      this.stats.dels++;
      if ('failed' in answer) return this.unknownWrite(op, failure());
      op.output = { existed: 'existed' in answer && answer.existed };
    }
    this.history.push(op);
  }

  private failedRead(problem: string): void {
    this.stats.failedReads++;
    this.note(problem);
  }

  private unknownWrite(op: HistoryOp, problem: string): void {
    this.stats.unknownWrites++;
    this.note(problem);
    this.history.push({ ...op, return: null, output: { unknown: true } });
  }

  private note(problem: string): void {
    if (this.stats.problems.length < 5) this.stats.problems.push(problem);
  }
}
