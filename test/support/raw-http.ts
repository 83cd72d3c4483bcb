// Raw TCP clients for tests of what a connection may do before any route
// sees a request: slow heads, oversized heads, malformed requests.
import { connect, type Socket } from 'node:net';

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
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
