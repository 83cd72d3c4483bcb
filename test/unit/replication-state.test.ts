// Whether a server can vouch that every key has its R copies
// (dataplane/ring/replication-state.ts): the answer its /readyz gives.
import { expect } from 'chai';
import { notReplicatedReason, type ReplicationFacts } from '../../dataplane/ring/replication-state.js';
import { members } from '../support/members.js';

describe('replication state (a server\'s readiness)', () => {
  const steady: ReplicationFacts = { zkConnected: true, handingOff: false, handOffPending: false, members: members('a', 'b', 's'), selfId: 's' };

  it('is replicated when every member serves and no hand-off runs or waits', () => {
    expect(notReplicatedReason(steady)).to.equal(undefined);
  });

  it('stays replicated while another member joins: the holders keep every copy until it serves', () => {
    expect(notReplicatedReason({ ...steady, members: members('a', 'b', 'c:joining', 's') })).to.equal(undefined);
  });

  // what, facts changed from the steady ones, the reason's start
  const table: Array<[string, Partial<ReplicationFacts>, string]> = [
    ['not while ZooKeeper is unreachable: the ring may be stale', { zkConnected: false }, 'ZooKeeper is unreachable'],
    ['not before ZooKeeper shows this server serving', { members: members('a', 'b', 's:joining') }, 'ZooKeeper does not show this server serving'],
    ['not when ZooKeeper has lost this server', { members: members('a', 'b') }, 'ZooKeeper does not show this server serving'],
    ['not while a member leaves: its keys are being copied', { members: members('a', 'b:leaving', 's') }, 'hand-off running: b is leaving'],
    ['names every leaver', { members: members('a:leaving', 'b:leaving', 's') }, 'hand-off running: a, b are leaving'],
    ['not while this server copies keys to new owners', { handingOff: true }, 'hand-off running: copying keys'],
    ['not when the ring moved and the copy has not started', { handOffPending: true }, 'hand-off pending'],
  ];
  for (const [what, change, reason] of table) {
    it(what, () => expect(notReplicatedReason({ ...steady, ...change })).to.match(new RegExp(`^${reason}`)));
  }
});
