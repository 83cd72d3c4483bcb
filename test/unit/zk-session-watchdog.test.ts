// ZkSession's watchdog against fake ZooKeeper members on loopback
// (test/support/fake-zookeeper.ts): it must leave a frozen member fast and
// keep the session, yet stay connected to a ZooKeeper that is only slow
// (docs/architecture.md, "Membership").
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { ZkSession, type ZkSessionEvents } from '../../dataplane/membership/zk-session.js';
import { createLogger } from '../../dataplane/observability/logger.js';
import { startFakeZooKeeper, type FakeZooKeeper } from '../support/fake-zookeeper.js';

const SESSION_MS = 6000;
// A quarter of the session: how long the first stuck connection may last.
const QUARTER_MS = 1500;
// Between a quarter and two thirds of the session late.
const SLOW_MS = 2500;
// The watchdog looks once a second, so a drop comes up to that much after its limit.
const SLACK_MS = 1500;

type EventName = keyof ZkSessionEvents;

/** Resolves with the time of the session's next `name` event. */
function next(session: ZkSession, name: EventName, withinMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`no '${name}' within ${withinMs} ms`)), withinMs);
    session.once(name, () => {
      clearTimeout(deadline);
      resolve(Date.now());
    });
  });
}

function recordEvents(session: ZkSession): EventName[] {
  const events: EventName[] = [];
  for (const name of ['session', 'reconnected', 'disconnected'] as const) session.on(name, () => events.push(name));
  return events;
}

describe('ZooKeeper session watchdog', function () {
  this.timeout(40_000);
  const logger = createLogger('silent', {});
  let session: ZkSession | undefined;
  let fakes: FakeZooKeeper[] = [];

  afterEach(() => {
    session?.close();
    session = undefined;
    for (const fake of fakes) fake.close();
    fakes = [];
  });

  it('leaves a member that stops answering within a quarter of the session, and resumes the session on the next', async () => {
    // Whichever member the client tries first (it shuffles them) freezes after the handshake.
    let frozenOne = true;
    const firstConnectionFreezes = (): boolean => {
      const freezes = frozenOne;
      frozenOne = false;
      return freezes;
    };
    fakes = [
      await startFakeZooKeeper({ newSessionId: 0x1111n, silentAfterHandshake: firstConnectionFreezes }),
      await startFakeZooKeeper({ newSessionId: 0x2222n, silentAfterHandshake: firstConnectionFreezes }),
    ];
    session = new ZkSession(fakes.map((fake) => `127.0.0.1:${fake.port}`).join(','), SESSION_MS, logger);
    const events = recordEvents(session);
    const established = next(session, 'session', 10_000);
    session.start();
    await established;
    const sessionId = session.sessionId();
    const [frozen, other] = fakes[0].connections > 0 ? [fakes[0], fakes[1]] : [fakes[1], fakes[0]];

    const disconnectedAt = await next(session, 'disconnected', 10_000);
    expect(frozen.firstUnansweredAt, 'the frozen member was asked something').to.be.a('number');
    expect(disconnectedAt - frozen.firstUnansweredAt!, 'ms stuck on the frozen member').to.be.at.most(QUARTER_MS + SLACK_MS);

    await next(session, 'reconnected', 10_000);
    expect(other.requestedSessions, 'the next member was asked to resume the session').to.deep.equal([BigInt(`0x${sessionId}`)]);
    expect(session.sessionId()).to.equal(sessionId);
    expect(events).to.deep.equal(['session', 'disconnected', 'reconnected']);
  });

  it('stays connected to a ZooKeeper that answers everything late, and its reads succeed', async () => {
    const slow = await startFakeZooKeeper({ newSessionId: 0x1111n });
    fakes = [slow];
    slow.delayMs = SLOW_MS;
    session = new ZkSession(`127.0.0.1:${slow.port}`, SESSION_MS, logger);
    const events = recordEvents(session);
    const established = next(session, 'session', 12_000);
    session.start();
    await established;

    for (let read = 0; read < 3; read++) {
      const { data } = await session.getData('/distributed-cache');
      expect(data?.length ?? 0).to.equal(0);
    }
    expect(session.isConnected).to.equal(true);
    expect(events, 'one session, never lost').to.deep.equal(['session']);
    expect(slow.connections, 'connections: the first handshake may be dropped, no more').to.be.at.most(2);
  });

  it('after a slow spell and a healthy one, leaves a member that stops answering within a quarter of the session again', async () => {
    const member = await startFakeZooKeeper({ newSessionId: 0x1111n });
    fakes = [member];
    member.delayMs = SLOW_MS;
    session = new ZkSession(`127.0.0.1:${member.port}`, SESSION_MS, logger);
    const established = next(session, 'session', 12_000);
    session.start();
    await established;
    await session.getData('/distributed-cache');

    // Quick answers to the watchdog's probes make the connection healthy again.
    member.delayMs = 0;
    await sleep(2500);
    expect(session.isConnected).to.equal(true);

    // Frozen, as far as the client can tell.
    const frozenAt = Date.now();
    member.delayMs = 60_000;
    const disconnectedAt = await next(session, 'disconnected', 10_000);
    // The first probe goes out within a second of the freeze.
    expect(disconnectedAt - frozenAt, 'ms stuck on the frozen member').to.be.at.most(QUARTER_MS + SLACK_MS + 1000);
  });
});
