// A server's member znode against a real ZooKeeper: a state set while the
// connection is down (ZooKeeper restarting, or a member of the ensemble lost
// and the session moving to another) is published once the same session is
// back. It used to be dropped: the znode said joining for ever, and the server
// was never Ready (a frozen node in the three-zone e2e left a new server so).
import { expect } from 'chai';
import { MemberRegistration } from '../../../dataplane/membership/registration.js';
import { decodeMember } from '../../../dataplane/membership/member-znode.js';
import { ZkSession } from '../../../dataplane/membership/zk-session.js';
import { createLogger } from '../../../dataplane/observability/logger.js';
import { waitFor } from '../../support/wait.js';
import { ZooKeeperServer } from '../../support/zookeeper.js';

describe('member registration: a state set while ZooKeeper is away', function () {
  this.timeout(120_000);
  const logger = createLogger('silent', {});
  let zookeeper: ZooKeeperServer | undefined;
  let session: ZkSession | undefined;
  after(async () => {
    session?.close();
    await zookeeper?.destroy();
  });

  it('is published when the same session reconnects', async () => {
    zookeeper = await ZooKeeperServer.start();
    // Long enough to outlive a restart of ZooKeeper, which restores its sessions.
    session = new ZkSession(zookeeper.connectString, 20_000, logger);
    const registration = new MemberRegistration(session, 'registration-test', { id: 'server-1', address: '127.0.0.1:1', state: 'joining' }, logger);
    session.start();
    await registration.waitUntilRegistered();
    const sessionBefore = session.sessionId();

    await zookeeper.stop();
    await waitFor('the session to notice ZooKeeper is gone', () => session?.isConnected === false, { timeoutMs: 30_000 });
    await registration.setState('serving');

    await zookeeper.restart();
    const published = await waitFor('the znode to say serving', async () => {
      if (session?.isConnected !== true) return undefined;
      const { data } = await session.getData(registration.path);
      return decodeMember(data)?.state === 'serving' ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    expect(published).to.equal(true);
    expect(session.sessionId(), 'the same session, not a new one (which registers anew)').to.equal(sessionBefore);
  });
});
