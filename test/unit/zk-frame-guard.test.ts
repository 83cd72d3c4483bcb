// node-zookeeper-client throws from its socket handler on a reply it cannot
// read. A fake ZooKeeper on loopback speaks just enough of the wire protocol
// to open a session and then answers a request with an error code the library
// does not know. Without the guard, that throw is uncaught and mocha fails.
import { expect } from 'chai';
import { ZkSession } from '../../dataplane/membership/zk-session.js';
import { createLogger } from '../../dataplane/observability/logger.js';
import { startFakeZooKeeper } from '../support/fake-zookeeper.js';

const UNKNOWN_ERROR_CODE = -1095761916;

describe('ZooKeeper frame guard', function () {
  this.timeout(15_000);

  it('survives a reply the client library cannot read, and reconnects', async () => {
    // Opens sessions, answers pings, and answers every other request with an error code the library does not know.
    const fake = await startFakeZooKeeper({ newSessionId: 0x1234n, errorCode: UNKNOWN_ERROR_CODE });
    const session = new ZkSession(`127.0.0.1:${fake.port}`, 2000, createLogger('silent', {}));
    try {
      const firstSession = new Promise<void>((resolve) => session.once('session', resolve));
      session.start();
      await firstSession;
      // The watchdog's probe (an exists() call) gets the unreadable answer within a second or two.
      await new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error('the client never reconnected')), 10_000);
        const poll = setInterval(() => {
          if (fake.connections >= 2 && session.isConnected) {
            clearInterval(poll);
            clearTimeout(deadline);
            resolve();
          }
        }, 50);
      });
      expect(fake.connections).to.be.at.least(2);
    } finally {
      session.close();
      fake.close();
    }
  });
});
