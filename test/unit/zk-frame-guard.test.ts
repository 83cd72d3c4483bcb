// node-zookeeper-client throws from its socket handler on a reply it cannot
// read. A fake ZooKeeper on loopback speaks just enough of the wire protocol
// to open a session and then answers a request with an error code the library
// does not know. Without the guard, that throw is uncaught and mocha fails.
import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ZkSession } from '../../dataplane/membership/zk-session.js';
import { createLogger } from '../../dataplane/observability/logger.js';

const PING_XID = -2;
const UNKNOWN_ERROR_CODE = -1095761916;

function frame(body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length);
  return Buffer.concat([length, body]);
}

function connectResponse(sessionTimeoutMs: number): Buffer {
  const body = Buffer.alloc(4 + 4 + 8 + 4 + 16);
  body.writeInt32BE(0, 0); // protocol version
  body.writeInt32BE(sessionTimeoutMs, 4);
  body.writeBigInt64BE(0x1234n, 8); // session id
  body.writeInt32BE(16, 16); // password length; the password stays zeros
  return frame(body);
}

function replyHeader(xid: number, err: number): Buffer {
  const body = Buffer.alloc(4 + 8 + 4);
  body.writeInt32BE(xid, 0);
  body.writeBigInt64BE(1n, 4); // zxid
  body.writeInt32BE(err, 12);
  return frame(body);
}

/** Opens sessions, answers pings, and answers every other request with an unknown error code. */
function fakeZooKeeper(): { server: Server; connections: () => number } {
  let connections = 0;
  const server = createServer((socket: Socket) => {
    connections++;
    let handshaken = false;
    let pending = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const request = pending.subarray(4, 4 + pending.readInt32BE(0));
        pending = pending.subarray(4 + request.length);
        if (!handshaken) {
          handshaken = true;
          socket.write(connectResponse(2000));
          continue;
        }
        const xid = request.readInt32BE(0);
        socket.write(replyHeader(xid, xid === PING_XID ? 0 : UNKNOWN_ERROR_CODE));
      }
    });
  });
  return { server, connections: () => connections };
}

describe('ZooKeeper frame guard', function () {
  this.timeout(15_000);

  it('survives a reply the client library cannot read, and reconnects', async () => {
    const fake = fakeZooKeeper();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    const { port } = fake.server.address() as AddressInfo;
    const session = new ZkSession(`127.0.0.1:${port}`, 2000, createLogger('silent', {}));
    try {
      const firstSession = new Promise<void>((resolve) => session.once('session', resolve));
      session.start();
      await firstSession;
      // The watchdog's probe (an exists() call) gets the unreadable answer within a second or two.
      await new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error('the client never reconnected')), 10_000);
        const poll = setInterval(() => {
          if (fake.connections() >= 2 && session.isConnected) {
            clearInterval(poll);
            clearTimeout(deadline);
            resolve();
          }
        }, 50);
      });
      expect(fake.connections()).to.be.at.least(2);
    } finally {
      session.close();
      fake.server.close();
    }
  });
});
