// The one handler for ring changes both roles use (dataplane/membership/ring-follower.ts).
import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MemberWatcher } from '../../dataplane/membership/member-watcher.js';
import { RingFollower } from '../../dataplane/membership/ring-follower.js';
import { createLogger } from '../../dataplane/observability/logger.js';
import { DataplaneMetrics } from '../../dataplane/observability/metrics.js';
import type { Member } from '../../dataplane/ring/member.js';
import type { Ring } from '../../dataplane/ring/ring.js';
import { RingView } from '../../dataplane/ring/ring-view.js';
import type { ServerChannels } from '../../dataplane/transport/server-channels.js';
import { ids, members } from '../support/members.js';

function follow(view: RingView): { watcher: EventEmitter; retained: string[][]; changes: string[][]; follower: RingFollower; metrics: DataplaneMetrics } {
  const watcher = new EventEmitter();
  const retained: string[][] = [];
  const changes: string[][] = [];
  const channels = { retainOnly: (list: readonly Member[]) => retained.push(ids(list)) } as unknown as ServerChannels;
  const metrics = new DataplaneMetrics('test');
  const follower = new RingFollower(watcher as MemberWatcher, {
    view, channels, metrics, logger: createLogger('silent', {}), onChange: (before: Ring) => changes.push(ids(before.members)),
  });
  return { watcher, retained, changes, follower, metrics };
}

describe('ring follower', () => {
  it('reacts once per change of the view: channels, metrics, and the role with the ring before it', async () => {
    const view = new RingView(2);
    const { watcher, retained, changes, metrics } = follow(view);
    watcher.emit('members', members('a', 'b'));
    watcher.emit('members', members('a', 'b')); // no change
    watcher.emit('members', members('a'));
    expect(retained).to.deep.equal([['a', 'b'], ['a']]);
    expect(changes).to.deep.equal([[], ['a', 'b']]);
    expect((await metrics.ringEpoch.get()).values[0]?.value).to.equal(2);
  });

  it('forgets a vanished member when its grace ends, with nothing new from ZooKeeper', async () => {
    const view = new RingView({ replicationFactor: 2, departedGraceMs: 30 });
    const { watcher, retained, follower } = follow(view);
    watcher.emit('members', members('a', 'b'));
    watcher.emit('members', members('a'));
    expect(ids(view.members), 'still read from, as leaving').to.deep.equal(['a', 'b']);
    await sleep(80);
    expect(ids(view.members)).to.deep.equal(['a']);
    expect(retained.at(-1)).to.deep.equal(['a']);
    follower.stop();
  });
});
