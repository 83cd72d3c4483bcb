// A real pipe (a FIFO, 64 KiB on Linux) to hand a process as its stdout, as a
// container runtime does, with a reader the test controls: one that never
// reads, one that has closed, or one that keeps everything (and may lag).
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export class StdoutPipe {
  private readFd: number | undefined;
  private reader: Socket | undefined;
  private text = '';

  private constructor(readonly path: string) {}

  /** The reader end is open from the start, so the writer's open does not block. */
  static create(): StdoutPipe {
    const path = join(mkdtempSync(join(tmpdir(), 'dcache-stdout-')), 'stdout');
    const made = spawnSync('mkfifo', [path], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`mkfifo ${path} failed: ${made.stderr || made.error?.message}`);
    const pipe = new StdoutPipe(path);
    pipe.readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    return pipe;
  }

  /** A writer end for a child's stdio; the caller closes it once the child has it. */
  openWriter(): number {
    return openSync(this.path, constants.O_WRONLY);
  }

  /** Reads everything from now on (a healthy reader). */
  consume(): void {
    if (this.readFd === undefined) throw new Error('the reader is closed');
    this.reader = new Socket({ fd: this.readFd, readable: true, writable: false });
    this.readFd = undefined;
    this.reader.setEncoding('utf8');
    this.reader.on('data', (chunk: string) => (this.text += chunk));
  }

  /** Stops reading for now, as a lagging log collector does; the pipe fills. */
  pause(): void {
    this.reader?.pause();
  }

  resume(): void {
    this.reader?.resume();
  }

  /** What a consuming reader has read so far. */
  get received(): string {
    return this.text;
  }

  /** Closes the reader end: the writer's next write fails with EPIPE. */
  closeReader(): void {
    if (this.readFd !== undefined) closeSync(this.readFd);
    this.readFd = undefined;
    this.reader?.destroy();
    this.reader = undefined;
  }

  /** Closes the reader and removes the pipe. */
  dispose(): void {
    this.closeReader();
    rmSync(dirname(this.path), { recursive: true, force: true });
  }
}
