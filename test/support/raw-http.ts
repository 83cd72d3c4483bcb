// Raw TCP clients for tests of what a connection may do before any route
// sees a request (slow heads, oversized heads, malformed requests), and of
// an answer's exact bytes.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export function openSocket(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export interface Closed {
  /** Everything the server sent before the connection ended. */
  text: string;
  /** performance.now() when it ended. */
  at: number;
}

/** Collects what the server sends until the connection closes (a reset counts as closing). */
export function untilClosed(socket: Socket): Promise<Closed> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), at: performance.now() }));
  });
}

/** The status and JSON body of the one raw answer in `text`. */
export function parseRawAnswer(text: string): { status: number; contentType: string | undefined; body: string } {
  const [head = '', body = ''] = text.split('\r\n\r\n', 2);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  const contentType = /^content-type:\s*(.+)$/im.exec(head)?.[1]?.trim();
  return { status, contentType, body };
}

/** Writes `lines` one by one, `everyMs` apart, until they run out or the socket closes. */
export async function trickle(socket: Socket, lines: Iterable<string>, everyMs: number): Promise<void> {
  for (const line of lines) {
    if (socket.destroyed || !socket.writable) return;
    socket.write(line);
    await sleep(everyMs);
  }
}

/**
 * Sends one raw request on a new connection and resolves the bytes of its
 * answer, head and body, once the answer is complete (by its Content-Length,
 * or no body for 204 and HEAD) or the server closes. Then it closes too.
 */
export async function rawExchange(port: number, request: string | Buffer, { head = false } = {}): Promise<string> {
  const socket = await openSocket(port);
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    // An answer without a length (chunked) ends only when the connection does: do not wait for that.
    const timer = setTimeout(() => done(), 2000);
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received.toString('latin1'));
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      const headText = received.subarray(0, end).toString('latin1');
      const bodyBytes = head || /^HTTP\/1\.1 (204|304)/.test(headText) ? 0 : Number(/^content-length:\s*(\d+)/im.exec(headText)?.[1] ?? Number.NaN);
      if (received.length >= end + 4 + bodyBytes) done();
    });
    socket.on('error', () => undefined);
    socket.once('close', done);
    socket.write(request);
  });
}
