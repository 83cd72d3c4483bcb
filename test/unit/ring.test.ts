import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import HashRing from 'hashring';
import { Ring, VIRTUAL_NODES_PER_MEMBER } from '../../dataplane/ring/ring.js';
import { placementMembers, RingView } from '../../dataplane/ring/ring-view.js';
import { ids, member } from '../support/members.js';

const keys = Array.from({ length: 20_000 }, (_, i) => `key-${i}`);

describe('ring', () => {
  it('places these keys on these owners, and moves some to a fourth member (R = 2)', () => {
    // Pinned, like groupcache's consistenthash tests: a change here re-homes keys across a rolling upgrade.
    const three = new Ring(['s1', 's2', 's3'].map((id) => member(id)));
    const four = new Ring(['s1', 's2', 's3', 's4'].map((id) => member(id)));
    const table: Array<[string, string, string]> = [
      // key, owners of three, owners of four
      ['a', 's2,s1', 's4,s2'],
      ['b', 's3,s1', 's3,s4'],
      ['user:1', 's3,s1', 's4,s3'],
      ['user:2', 's3,s2', 's4,s3'],
      ['session/42', 's3,s2', 's3,s4'],
      ['ключ', 's2,s1', 's2,s1'],
    ];
    for (const [key, before, after] of table) {
      expect(three.ownersOf(key, 2).map((m) => m.id).join(','), key).to.equal(before);
      expect(four.ownersOf(key, 2).map((m) => m.id).join(','), key).to.equal(after);
    }
  });

  it('gives R distinct owners per key, or every member when there are fewer', () => {
    const ring = new Ring(['a', 'b', 'c', 'd'].map((id) => member(id)));
    for (const key of keys.slice(0, 500)) {
      const owners = ring.ownersOf(key, 3).map((m) => m.id);
      expect(new Set(owners).size).to.equal(3);
    }
    expect(new Ring([member('a'), member('b')]).ownersOf('k', 3).map((m) => m.id)).to.have.members(['a', 'b']);
    expect(new Ring([]).ownersOf('k', 2)).to.deep.equal([]);
  });

  it("places keys exactly as hashring's built-in md5 does, so processes of older versions agree", () => {
    const ids = ['server-1', 'server-2', 'server-3', 'server-4', 'server-5'];
    const ours = new Ring(ids.map((id) => member(id)));
    const builtIn = new HashRing(ids, 'md5', { 'vnode count': VIRTUAL_NODES_PER_MEMBER / 4, 'max cache size': 0 });
    for (const key of keys.slice(0, 5000)) {
      expect(ours.ownersOf(key, 3).map((m) => m.id), key).to.deep.equal(builtIn.range(key, 3, true));
    }
  });

  it('does not depend on the order in which members were learned', () => {
    const ids = ['server-1', 'server-2', 'server-3', 'server-4'];
    const forward = new Ring(ids.map((id) => member(id)));
    const backward = new Ring([...ids].reverse().map((id) => member(id)));
    for (const key of keys.slice(0, 2000)) {
      expect(backward.ownersOf(key, 2).map((m) => m.id)).to.deep.equal(forward.ownersOf(key, 2).map((m) => m.id));
    }
  });

  it('computes the same owners in another process', () => {
    const ringModule = fileURLToPath(new URL('../../dataplane/ring/ring.js', import.meta.url));
    const script = `
      const { Ring } = await import(${JSON.stringify(ringModule)});
      const ring = new Ring(['c', 'a', 'b'].map((id) => ({ id, address: 'x:1', state: 'serving' })));
      const out = [];
      for (let i = 0; i < 1000; i++) out.push(ring.ownersOf('key-' + i, 2).map((m) => m.id).join(','));
      process.stdout.write(JSON.stringify(out));`;
    const remote = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
    const local = new Ring(['a', 'b', 'c'].map((id) => member(id)));
    expect(remote).to.deep.equal(keys.slice(0, 1000).map((key) => local.ownersOf(key, 2).map((m) => m.id).join(',')));
  });

  it('moves about 1/N of the keys when a member joins, and only to the new member', () => {
    const before = new Ring(['s1', 's2', 's3', 's4'].map((id) => member(id)));
    const after = new Ring(['s1', 's2', 's3', 's4', 's5'].map((id) => member(id)));
    let moved = 0;
    for (const key of keys) {
      const was = before.primaryOf(key)?.id;
      const now = after.primaryOf(key)?.id;
      if (was !== now) {
        moved++;
        expect(now, `key ${key} moved between old members`).to.equal('s5');
      }
    }
    const fraction = moved / keys.length;
    expect(fraction).to.be.within(0.12, 0.28); // ideal: 1/5
  });

  it('spreads keys roughly evenly', () => {
    const ring = new Ring(['s1', 's2', 's3'].map((id) => member(id)));
    const counts = new Map<string, number>();
    for (const key of keys) {
      const id = ring.primaryOf(key)?.id as string;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const count of counts.values()) expect(count / keys.length).to.be.within(0.22, 0.45);
  });
});

describe('ring view', () => {
  it('keeps leaving members off the placement ring unless nobody else is left', () => {
    const members = [member('a'), member('b', 'leaving'), member('c', 'joining')];
    expect(ids(placementMembers(members))).to.deep.equal(['a', 'c']);
    expect(ids(placementMembers([member('b', 'leaving')]))).to.deep.equal(['b']);
  });

  it('advances the epoch only when the membership changes', () => {
    const view = new RingView(2);
    expect(view.epoch).to.equal(0);
    expect(view.update([member('b'), member('a')], 0)).to.equal(true);
    expect(view.epoch).to.equal(1);
    expect(view.update([member('a'), member('b')], 1)).to.equal(false);
    expect(view.epoch).to.equal(1);
    expect(view.update([member('a'), member('b', 'leaving')], 2)).to.equal(true);
    expect(view.epoch).to.equal(2);
    expect(view.describe()).to.deep.include({ epoch: 2, replicationFactor: 2 });
    expect(ids(view.ownersOf('any'))).to.deep.equal(['a']);
  });

  it('while a member joins, writes reach old and new owners and reads ask both', () => {
    const view = new RingView(2);
    view.update([member('s1'), member('s2'), member('s3')], 0);
    const before = new Map(keys.slice(0, 3000).map((k) => [k, ids(view.ownersOf(k))]));
    view.update([member('s1'), member('s2'), member('s3'), member('s4', 'joining')], 1);
    let moved = 0;
    for (const [key, old] of before) {
      const next = ids(view.ownersOf(key));
      const writes = ids(view.writeOwners(key));
      expect(writes).to.include.members([...old, ...next]);
      expect(ids(view.readOwners(key)).slice(0, old.length), 'holders are read first').to.deep.equal(old);
      if (next.includes('s4')) moved++;
    }
    expect(moved).to.be.greaterThan(0);
  });

  it('never writes to a leaving member, but still reads from it', () => {
    const view = new RingView(2);
    view.update([member('s1'), member('s2'), member('s3'), member('s4', 'leaving')], 0);
    for (const key of keys.slice(0, 2000)) {
      expect(ids(view.writeOwners(key))).not.to.include('s4');
      expect(ids(view.ownersOf(key))).to.have.length(2);
    }
    const readers = new Set(keys.slice(0, 2000).flatMap((k) => ids(view.readOwners(k))));
    expect(readers.has('s4')).to.equal(true);
  });

  it('lets the holders that take writes decide a write: the owners when settled, never a joiner or a leaver', () => {
    const view = new RingView(2);
    view.update([member('s1'), member('s2'), member('s3')], 0);
    for (const key of keys.slice(0, 500)) expect(ids(view.decidingOwners(key))).to.deep.equal(ids(view.ownersOf(key)));
    view.update([member('s1'), member('s2'), member('s3'), member('s4', 'joining')], 1);
    for (const key of keys.slice(0, 500)) {
      expect(ids(view.decidingOwners(key))).not.to.include('s4');
      expect(ids(view.writeOwners(key))).to.include.members(ids(view.decidingOwners(key)));
    }
    view.update([member('s1'), member('s2', 'leaving'), member('s3')], 2);
    for (const key of keys.slice(0, 500)) {
      expect(ids(view.decidingOwners(key))).not.to.include('s2');
      expect(ids(view.writeOwners(key))).to.include.members(ids(view.decidingOwners(key)));
    }
    view.update([member('s1', 'leaving'), member('s2', 'leaving'), member('s3')], 3);
    const decided = keys.slice(0, 500).map((k) => view.decidingOwners(k).length);
    expect(decided, 'a key whose holders all leave has no deciding owner').to.include(0);
  });

  it('never lets a holder decide for a key it will not own: a joiner that serves before the others holds only its own ranges', () => {
    // After a ZooKeeper outage every server re-joins; the first to finish serves alone in the holding ring.
    const view = new RingView(2);
    view.update([member('s1'), member('s2', 'joining'), member('s3', 'joining')], 0);
    const placed = new Ring(['s1', 's2', 's3'].map((id) => member(id)));
    let withoutDecider = 0;
    for (const key of keys.slice(0, 2000)) {
      const owners = ids(placed.ownersOf(key, 2));
      const deciders = ids(view.decidingOwners(key));
      expect(deciders, key).to.deep.equal(owners.includes('s1') ? ['s1'] : []);
      if (deciders.length === 0) withoutDecider++;
    }
    expect(withoutDecider, 'keys s1 does not own have no deciding owner').to.be.greaterThan(0);
    // Scale 3 -> 5 with s4 serving first: s4 decides only keys it owns once s5 serves too.
    view.update([member('s1'), member('s2'), member('s3'), member('s4'), member('s5', 'joining')], 1);
    const five = new Ring(['s1', 's2', 's3', 's4', 's5'].map((id) => member(id)));
    for (const key of keys.slice(0, 2000)) {
      for (const decider of ids(view.decidingOwners(key))) expect(ids(five.ownersOf(key, 2)), key).to.include(decider);
    }
  });

  it('is settled only when every member serves and the grace has passed', () => {
    const view = new RingView({ replicationFactor: 2, settleGraceMs: 100 });
    view.update([member('a'), member('b', 'joining')], 1000);
    expect(view.isSettled(5000)).to.equal(false);
    view.update([member('a'), member('b')], 6000);
    expect(view.isSettled(6050)).to.equal(false);
    expect(view.isSettled(6100)).to.equal(true);
  });

  it('keeps a vanished member readable as leaving for a grace period when asked to', () => {
    const view = new RingView({ replicationFactor: 2, departedGraceMs: 500 });
    view.update([member('a'), member('b')], 0);
    view.update([member('a')], 100);
    expect(view.members.map((m) => `${m.id}:${m.state}`)).to.deep.equal(['a:serving', 'b:leaving']);
    expect(view.nextExpiry()).to.equal(600);
    expect(view.expire(599)).to.equal(false);
    expect(view.expire(600)).to.equal(true);
    expect(ids(view.members)).to.deep.equal(['a']);
    // A member that comes back (a new session) replaces its departed self at once.
    view.update([member('a')], 700);
    view.update([member('a')], 800);
    expect(new RingView(2).nextExpiry()).to.equal(undefined);
  });

  it('writes to a member that vanished unannounced for its grace, never to one that said it was leaving', () => {
    const view = new RingView({ replicationFactor: 2, departedGraceMs: 500 });
    view.update([member('s1'), member('s2'), member('s3'), member('s4')], 0);
    const held = keys.slice(0, 2000).filter((k) => ids(view.ownersOf(k)).includes('s1'));
    // s1's session ended while it may still serve (a ZooKeeper outage): routers whose view lags read it first.
    view.update([member('s2'), member('s3'), member('s4')], 100);
    expect(view.vanishedUnannounced('s1')).to.equal(true);
    for (const key of held) {
      expect(ids(view.writeOwners(key)), key).to.include('s1');
      expect(ids(view.decidingOwners(key)), key).not.to.include('s1');
    }
    view.expire(600);
    expect(view.vanishedUnannounced('s1')).to.equal(false);
    for (const key of held) expect(ids(view.writeOwners(key)), key).not.to.include('s1');

    // One that published leaving, or said so by refusing a write, drained its keys: it takes no more writes.
    view.update([member('s2', 'leaving'), member('s3'), member('s4')], 700);
    view.update([member('s3'), member('s4')], 800);
    expect(view.markLeaving('s3', 850)).to.equal(true);
    view.update([member('s4')], 900);
    expect(view.vanishedUnannounced('s2')).to.equal(false);
    expect(view.vanishedUnannounced('s3')).to.equal(false);
    for (const key of keys.slice(0, 500)) expect(ids(view.writeOwners(key)), key).to.deep.equal(['s4']);
  });

  it('takes a leaving hint from a refusal until ZooKeeper catches up', () => {
    const view = new RingView(2);
    view.update([member('a'), member('b'), member('c')], 0);
    expect(view.markLeaving('b', 1)).to.equal(true);
    expect(view.members.find((m) => m.id === 'b')?.state).to.equal('leaving');
    expect(view.markLeaving('b', 2)).to.equal(false);
    view.update([member('a'), member('b'), member('c')], 3); // ZooKeeper not caught up yet: hint stays
    expect(view.members.find((m) => m.id === 'b')?.state).to.equal('leaving');
    view.update([member('a'), member('c')], 4); // gone: the hint is dropped
    expect(ids(view.members)).to.deep.equal(['a', 'c']);
  });
});
