// The log sink (dataplane/observability/log-sink.ts): lines pass while the
// reader keeps up; past the backlog bound, or once the stream failed, they
// are dropped and counted; flush waits for the reader, but only so long.
import { expect } from 'chai';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { LogSink } from '../../dataplane/observability/log-sink.js';

/** A reader that takes nothing while stalled, as a full pipe does, and everything once resumed. */
class StallableReader extends Writable {
  readonly taken: string[] = [];
  private held: (() => void) | undefined;
  private stalled = true;

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.taken.push(chunk.toString());
    if (this.stalled) this.held = done;
    else done();
  }

  resume(): void {
    this.stalled = false;
    const done = this.held;
    this.held = undefined;
    done?.();
  }
}

const line = (n: number): string => `${JSON.stringify({ n, msg: 'x'.repeat(20) })}\n`;

describe('log sink', () => {
  it('queues lines up to its bound while the reader is stalled, drops and counts the rest, and delivers the queued ones in order', () => {
    const reader = new StallableReader();
    const sink = new LogSink(reader, 3 * line(0).length);
    for (let n = 0; n < 10; n++) sink.write(line(n));
    expect(sink.dropped).to.equal(7);
    expect(reader.writableLength).to.equal(3 * line(0).length);
    reader.resume();
    expect(reader.taken).to.deep.equal([line(0), line(1), line(2)]);
    sink.write(line(10));
    expect(reader.taken.at(-1)).to.equal(line(10));
    expect(sink.dropped).to.equal(7);
  });

  it('flushes: true once the reader has taken every line, false at its bound when it has not', async () => {
    const reader = new StallableReader();
    const sink = new LogSink(reader);
    sink.write(line(0));
    sink.write(line(1));
    const started = Date.now();
    expect(await sink.flush(50)).to.equal(false);
    expect(Date.now() - started).to.be.at.least(45);
    setTimeout(() => reader.resume(), 20);
    expect(await sink.flush(5000)).to.equal(true);
    expect(reader.taken).to.deep.equal([line(0), line(1)]);
  });

  it('drops and counts every line once the stream has failed (a closed pipe: EPIPE), and never throws', async () => {
    const closed = new Writable({
      write: (_chunk, _encoding, done) => done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })),
    });
    const sink = new LogSink(closed);
    const failed = once(closed, 'error');
    sink.write(line(0));
    await failed;
    for (let n = 1; n <= 3; n++) sink.write(line(n));
    expect(sink.dropped).to.equal(3);
    expect(await sink.flush(5000)).to.equal(false);
  });
});
