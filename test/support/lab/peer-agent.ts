// Drives peer.js inside a lab host from the test: starts it there, keeps the
// events it reports, and waits for one (or for none to come).
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const PEER = join(dirname(fileURLToPath(import.meta.url)), 'peer.js');

export type PeerEvent = { event: string; id?: string; data?: string; code?: string; from?: string; local?: string };

export class PeerAgent {
  readonly events: PeerEvent[] = [];
  private readonly child: ChildProcess;

  constructor(netns: string, args: string[]) {
    this.child = spawn('ip', ['netns', 'exec', netns, process.execPath, PEER, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.events.push(JSON.parse(line) as PeerEvent));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends a relay command. */
  command(command: Record<string, unknown>): void {
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  /** The first event at or after `from` (an index into events) that matches, within `timeoutMs`. */
  async waitFor(match: (e: PeerEvent) => boolean, timeoutMs: number, from = 0): Promise<PeerEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find(match);
      if (found || Date.now() > deadline) return found;
      await sleep(20);
    }
  }

  /** The events since index `from` that match. */
  since(from: number, match: (e: PeerEvent) => boolean): PeerEvent[] {
    return this.events.slice(from).filter(match);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}
