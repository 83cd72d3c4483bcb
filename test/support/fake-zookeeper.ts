// A fake ZooKeeper member on loopback that speaks just enough of the wire
// protocol for ZkSession: it opens a session or resumes the one a client asks
// for, and answers pings, exists and getData (every path exists, empty). It
// can answer late, which is how a slow ZooKeeper looks to a client, stop
// answering after the handshake, which is how a frozen member looks, or
// answer every request with an error code.
import { createServer, type AddressInfo, type Socket } from 'node:net';

const PING_XID = -2;
const OP_EXISTS = 3;
const OP_GET_DATA = 4;
const OP_CLOSE_SESSION = -11;
const NO_NODE = -101;
const STAT_BYTES = 68;

export interface FakeZooKeeperOptions {
  /** The id a new session gets. */
  newSessionId: bigint;
  /** Asked once per connection: true to complete its handshake and then answer nothing. */
  silentAfterHandshake?: () => boolean;
  /** Answers every request but pings with this error code instead (one the client library may not know). */
  errorCode?: number;
}

export interface FakeZooKeeper {
  readonly port: number;
  /** Every connection it accepted. */
  readonly connections: number;
  /** The session id of each connect request, in order: 0n asks for a new session. */
  readonly requestedSessions: bigint[];
  /** When a silent connection first left a request unanswered. */
  readonly firstUnansweredAt: number | undefined;
  /** Every answer, the handshake's too, is sent this much later; may change at any time. */
  delayMs: number;
  close(): void;
}

function frame(body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length);
  return Buffer.concat([length, body]);
}

function connectResponse(sessionTimeoutMs: number, sessionId: bigint): Buffer {
  const body = Buffer.alloc(4 + 4 + 8 + 4 + 16);
  body.writeInt32BE(0, 0); // protocol version
  body.writeInt32BE(sessionTimeoutMs, 4);
  body.writeBigInt64BE(sessionId, 8);
  body.writeInt32BE(16, 16); // password length; the password stays zeros
  return frame(body);
}

function reply(xid: number, err: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(4 + 8 + 4);
  header.writeInt32BE(xid, 0);
  header.writeBigInt64BE(1n, 4); // zxid
  header.writeInt32BE(err, 12);
  return frame(Buffer.concat([header, payload]));
}

function answer(request: Buffer, errorCode: number | undefined): Buffer {
  const xid = request.readInt32BE(0);
  const op = request.readInt32BE(4);
  if (xid === PING_XID) return reply(xid, 0);
  if (errorCode !== undefined) return reply(xid, errorCode);
  if (op === OP_EXISTS) return reply(xid, 0, Buffer.alloc(STAT_BYTES));
  // Empty data (a zero length), then the stat.
  if (op === OP_GET_DATA) return reply(xid, 0, Buffer.alloc(4 + STAT_BYTES));
  if (op === OP_CLOSE_SESSION) return reply(xid, 0);
  return reply(xid, NO_NODE);
}

export async function startFakeZooKeeper(options: FakeZooKeeperOptions): Promise<FakeZooKeeper> {
  const requestedSessions: bigint[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let firstUnansweredAt: number | undefined;
  const server = createServer((socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const silent = options.silentAfterHandshake?.() ?? false;
    let handshaken = false;
    let pending = Buffer.alloc(0);
    const send = (bytes: Buffer): void => {
      const write = (): void => {
        if (!socket.destroyed) socket.write(bytes);
      };
      if (fake.delayMs > 0) setTimeout(write, fake.delayMs);
      else write();
    };
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const request = pending.subarray(4, 4 + pending.readInt32BE(0));
        pending = pending.subarray(4 + request.length);
        if (!handshaken) {
          // ConnectRequest: protocol version, last zxid seen, timeout, session id, password.
          handshaken = true;
          const timeoutMs = request.readInt32BE(12);
          const asked = request.readBigInt64BE(16);
          requestedSessions.push(asked);
          send(connectResponse(timeoutMs, asked === 0n ? options.newSessionId : asked));
        } else if (silent) {
          firstUnansweredAt ??= Date.now();
        } else {
          send(answer(request, options.errorCode));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeZooKeeper = {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    requestedSessions,
    get firstUnansweredAt() {
      return firstUnansweredAt;
    },
    delayMs: 0,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
  return fake;
}
