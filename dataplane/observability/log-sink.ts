// Where pino's lines go: a stream (stdout) written without ever blocking, with
// a bounded backlog. When the reader falls behind or is gone, new lines are
// dropped and counted instead of queued without end or waited for
// (docs/architecture.md, "Logs never block").
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** Thousands of lines of backlog: a slow collector catches up, a stuck one costs 1 MiB. */
export const MAX_QUEUED_BYTES = 1 << 20;

const FLUSH_POLL_MS = 10;

export class LogSink {
  private droppedLines = 0;
  private failed = false;

  /**
   * `out` must queue rather than block when its reader is slow: so does
   * process.stdout when it is a pipe or a socket, as in a container (it is
   * then libuv's non-blocking stream). A file or a terminal is written
   * synchronously, and never backs up behind a stuck reader.
   */
  constructor(private readonly out: Writable, private readonly maxQueuedBytes = MAX_QUEUED_BYTES) {
    // EPIPE (the reader closed) and the like: nothing written later can arrive.
    out.on('error', () => {
      this.failed = true;
    });
  }

  /** Lines dropped since start: the backlog was full, or the stream had failed. */
  get dropped(): number {
    return this.droppedLines;
  }

  /** Called by pino with one whole line. */
  write(line: string): void {
    if (this.failed || this.out.destroyed || this.out.writableLength >= this.maxQueuedBytes) {
      this.droppedLines++;
      return;
    }
    this.out.write(line);
  }

  /** Waits until every queued line is written, at most `timeoutMs`; resolves whether it was. */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.failed || this.out.destroyed) return false;
      if (this.out.writableLength === 0) return true;
      if (Date.now() >= deadline) return false;
      await sleep(FLUSH_POLL_MS);
    }
  }
}
