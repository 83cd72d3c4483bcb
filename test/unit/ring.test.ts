import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Member } from '../../dataplane/membership/member.js';
import { Ring } from '../../dataplane/ring/ring.js';
import { placementMembers, RingView } from '../../dataplane/ring/ring-view.js';

const member = (id: string, state: Member['state'] = 'serving'): Member => ({ id, address: `10.0.0.1:${id.length}`, state });
const keys = Array.from({ length: 20_000 }, (_, i) => `key-${i}`);

describe('ring', () => {
  it('gives R distinct owners per key, or every member when there are fewer', () => {
    const ring = new Ring(['a', 'b', 'c', 'd'].map((id) => member(id)));
    for (const key of keys.slice(0, 500)) {
      const owners = ring.ownersOf(key, 3).map((m) => m.id);
      expect(new Set(owners).size).to.equal(3);
    }
    expect(new Ring([member('a'), member('b')]).ownersOf('k', 3).map((m) => m.id)).to.have.members(['a', 'b']);
    expect(new Ring([]).ownersOf('k', 2)).to.deep.equal([]);
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
  it('keeps leaving members off the ring unless nobody else is left', () => {
    const members = [member('a'), member('b', 'leaving'), member('c', 'joining')];
    expect(placementMembers(members).map((m) => m.id)).to.deep.equal(['a', 'c']);
    expect(placementMembers([member('b', 'leaving')]).map((m) => m.id)).to.deep.equal(['b']);
  });

  it('advances the epoch only when the membership changes', () => {
    const view = new RingView(2);
    expect(view.epoch).to.equal(0);
    expect(view.update([member('b'), member('a')])).to.equal(true);
    expect(view.epoch).to.equal(1);
    expect(view.update([member('a'), member('b')])).to.equal(false);
    expect(view.epoch).to.equal(1);
    expect(view.update([member('a'), member('b', 'leaving')])).to.equal(true);
    expect(view.epoch).to.equal(2);
    expect(view.describe()).to.deep.include({ epoch: 2, replicationFactor: 2 });
    expect(view.ownersOf('any').map((m) => m.id)).to.deep.equal(['a']);
  });
});
