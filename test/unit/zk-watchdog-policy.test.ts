// What the ZooKeeper watchdog does on each look (dataplane/membership/zk-watchdog-policy.ts):
// a quarter of the session for the first stuck connection, two thirds after a
// drop that did not help, a fresh session only after three session timeouts.
import { expect } from 'chai';
import { isHealthyAnswer, watchdogAction, type WatchdogAction, type WatchdogView } from '../../dataplane/membership/zk-watchdog-policy.js';

const SESSION = 10_000; // quarter 2,500; two thirds 6,666; fresh session after 30,000
const NOW = 1_000_000;

const connected = (probeAge: number | undefined, droppedSinceHealthy = false): WatchdogView => ({
  now: NOW,
  sessionTimeoutMs: SESSION,
  connected: true,
  disconnectedSince: undefined,
  attemptStartedAt: undefined,
  probeSentAt: probeAge === undefined ? undefined : NOW - probeAge,
  droppedSinceHealthy,
});

const disconnected = (disconnectedFor: number, attemptAge: number, droppedSinceHealthy = false): WatchdogView => ({
  now: NOW,
  sessionTimeoutMs: SESSION,
  connected: false,
  disconnectedSince: NOW - disconnectedFor,
  attemptStartedAt: NOW - attemptAge,
  probeSentAt: undefined,
  droppedSinceHealthy,
});

const wait: WatchdogAction = { kind: 'wait' };
const probe: WatchdogAction = { kind: 'probe' };
const drop = (reason: string, afterMs: number): WatchdogAction => ({ kind: 'drop', reason, afterMs });
const unanswered = (afterMs: number): WatchdogAction => drop('no answer to a probe', afterMs);
const noSession = (afterMs: number): WatchdogAction => drop('no session after connecting', afterMs);
const freshSession: WatchdogAction = { kind: 'fresh-session', reason: 'no connection', afterMs: 30_000 };

describe('ZooKeeper watchdog policy', () => {
  // what, what the watchdog sees, what it does
  const table: Array<[string, WatchdogView, WatchdogAction]> = [
    ['probes a connected session with no probe in flight', connected(undefined), probe],
    ['waits for a probe up to a quarter of the session', connected(2500), wait],
    ['drops a connection whose probe is unanswered for longer', connected(2501), unanswered(2500)],
    ['after a drop that did not help, waits for a probe up to two thirds', connected(6666, true), wait],
    ['after a drop that did not help, drops a probe unanswered for longer', connected(6667, true), unanswered(6666)],
    ['waits for a session up to a quarter of the session', disconnected(2500, 2500), wait],
    ['drops a connection with no session for longer', disconnected(2501, 2501), noSession(2500)],
    ['after a drop, gives the next handshake up to two thirds', disconnected(5000, 6666, true), wait],
    ['after a drop, drops a handshake slower than two thirds', disconnected(7000, 6667, true), noSession(6666)],
    ['times the try from its start, not from the loss', disconnected(20_000, 1000), wait],
    ['keeps the session while it may live: drops rather than start afresh', disconnected(30_000, 6667, true), noSession(6666)],
    ['starts a fresh session after three session timeouts with no connection', disconnected(30_001, 1000, true), freshSession],
    ['a fresh session comes first when a drop is also due', disconnected(30_001, 30_001), freshSession],
    [
      'never waits less than a second, however short the session',
      { ...connected(1000), sessionTimeoutMs: 2000 },
      wait,
    ],
    [
      'two thirds of a short session after a drop',
      { ...connected(1334, true), sessionTimeoutMs: 2000 },
      unanswered(1333),
    ],
  ];
  for (const [what, view, action] of table) {
    it(what, () => expect(watchdogAction(view)).to.deep.equal(action));
  }

  describe('a healthy answer (the next stuck connection gets a quarter of the session again)', () => {
    // answered in ms, healthy
    const answers: Array<[number, boolean]> = [
      [0, true],
      [2500, true],
      [2501, false],
      [6000, false],
    ];
    for (const [answeredInMs, healthy] of answers) {
      it(`${answeredInMs} ms into a 10 s session: ${healthy ? 'healthy' : 'not healthy'}`, () =>
        expect(isHealthyAnswer(answeredInMs, SESSION)).to.equal(healthy));
    }
  });
});
