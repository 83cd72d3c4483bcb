// Which keys move where (dataplane/ring/handoff-plan.ts): tables of a key's
// owners before and after a change, and the copies each member must send.
import { expect } from 'chai';
import { drainPlacement, handoffTargets, ownsKey, sendsOnPull } from '../../dataplane/ring/handoff-plan.js';
import { Ring } from '../../dataplane/ring/ring.js';
import { ids, member, members, ownersTable } from '../support/members.js';

const R = 2;
const keys = Array.from({ length: 3000 }, (_, i) => `key-${i}`);

describe('hand-off plan', () => {
  describe('what a member sends when the owners of key k change (handoffTargets)', () => {
    // what, owners before, owners after ('id:joining' is joining), sender, drain, expected receivers
    const table: Array<[string, string[], string[], string, boolean, string[]]> = [
      ['an owner left: the owner that stays copies to the new one', ['a', 'b'], ['a', 'c'], 'a', false, ['c']],
      ['the new owner sends nothing: it never owned the key', ['a', 'b'], ['a', 'c'], 'c', false, []],
      ['a member that did not own the key sends nothing', ['a', 'b'], ['c', 'd'], 'e', false, []],
      ['an old owner sends to every new owner', ['a', 'b'], ['c', 'd'], 'b', false, ['c', 'd']],
      ['nothing moves when the owners stay, in any order', ['a', 'b'], ['b', 'a'], 'a', false, []],
      ['a joining new owner is left to pull the key itself', ['a', 'b'], ['a', 'j:joining'], 'a', false, []],
      ['a drain pushes to a joining new owner too', ['a', 'b'], ['a', 'j:joining'], 'a', true, ['j']],
      ['a draining owner sends to the member that takes its place', ['a', 's'], ['a', 'c'], 's', true, ['c']],
    ];
    for (const [what, before, after, self, drain, expected] of table) {
      it(what, () => {
        const beforeRing = ownersTable({ k: before }, members(...before));
        const afterMembers = members(...after);
        const afterRing = ownersTable({ k: ids(afterMembers) }, afterMembers);
        const targets = handoffTargets('k', beforeRing, afterRing, { replicationFactor: R, selfId: self, includeJoining: drain });
        expect(ids(targets)).to.deep.equal(expected);
      });
    }
  });

  describe('which member sends key k to joiner j when it pulls (sendsOnPull)', () => {
    // what, owners in the placement ring, owners in the holding ring, source, skipped sources, sends
    const table: Array<[string, string[], string[], string, string[], boolean]> = [
      ['the first holder sends a key the joiner owns', ['j', 'a'], ['a', 'b'], 'a', [], true],
      ['the second holder does not: each key crosses the network once', ['j', 'a'], ['a', 'b'], 'b', [], false],
      ['the next holder sends when the first could not be reached', ['j', 'a'], ['a', 'b'], 'b', ['a'], true],
      ['a holder the joiner skipped sends nothing', ['j', 'a'], ['a', 'b'], 'a', ['a'], false],
      ['a holder that takes writes sends too when the first is leaving, which may hold an older copy', ['j', 'b'], ['a:leaving', 'b'], 'b', [], true],
      ['... and the leaving first holder still sends, as earlier releases expect', ['j', 'b'], ['a:leaving', 'b'], 'a', [], true],
      ['only the first of several holders that take writes sends', ['j', 'c'], ['a:leaving', 'b', 'c'], 'c', [], false],
      ['only the first holder sends when every holder is leaving', ['j', 'c'], ['a:leaving', 'b:leaving'], 'b', [], false],
      ['nobody sends a key the joiner does not own', ['a', 'b'], ['a', 'b'], 'a', [], false],
      ['a source that is joining too (no holder) sends every key the joiner owns', ['j', 'x'], ['a', 'b'], 'x', [], true],
      ['... and no key the joiner does not own', ['a', 'x'], ['a', 'b'], 'x', [], false],
    ];
    for (const [what, placement, holding, source, skip, sends] of table) {
      it(what, () => {
        const placementRing = ownersTable({ k: placement }, members(...placement));
        const holdingRing = ownersTable({ k: ids(members(...holding)) }, members(...holding));
        expect(sendsOnPull('k', placementRing, holdingRing, 'j', source, new Set(skip), R)).to.equal(sends);
      });
    }
  });

  describe('the ring a drain hands keys off from (drainPlacement)', () => {
    // what, members in the view, expected ring members when s drains
    const table: Array<[string, string[], string[]]> = [
      ['every member, itself included, while nobody else leaves', ['a', 'b', 's:leaving'], ['a', 'b', 's']],
      ['not the other leaving members: they hand off their own keys', ['a', 'b:leaving', 's:leaving'], ['a', 's']],
      ['joining members, which will own keys', ['a:joining', 's'], ['a', 's']],
      ['itself alone when every member leaves', ['b:leaving', 's:leaving'], ['s']],
      ['without itself when the view lost it: then it owns nothing to hand off', ['a', 'b'], ['a', 'b']],
    ];
    for (const [what, view, expected] of table) {
      it(what, () => expect(ids(drainPlacement(members(...view), 's'))).to.deep.equal(expected));
    }
  });

  describe('over the real ring', () => {
    const ring = (...list: string[]): Ring => new Ring(members(...list));

    it('sends a key only from an old owner, only to owners that are new', () => {
      const before = ring('s1', 's2', 's3');
      const after = ring('s1', 's3');
      let sent = 0;
      for (const key of keys) {
        const old = ids(before.ownersOf(key, R));
        for (const self of ['s1', 's3']) {
          const targets = ids(handoffTargets(key, before, after, { replicationFactor: R, selfId: self, includeJoining: false }));
          if (!old.includes(self)) expect(targets).to.deep.equal([]);
          for (const target of targets) {
            expect(old).not.to.include(target);
            expect(target).not.to.equal(self);
            sent++;
          }
        }
      }
      expect(sent).to.be.greaterThan(0);
    });

    it('has exactly one holder send each key a joiner owns, the next one when the first is skipped', () => {
      const placement = ring('s1', 's2', 's3', 's4:joining');
      const holding = ring('s1', 's2', 's3');
      for (const skip of [new Set<string>(), new Set(['s1'])]) {
        for (const key of keys.slice(0, 1000)) {
          const senders = ['s1', 's2', 's3'].filter((source) => sendsOnPull(key, placement, holding, 's4', source, skip, R));
          expect(senders, key).to.have.length(ownsKey(key, placement, 's4', R) ? 1 : 0);
          for (const skipped of skip) expect(senders).not.to.include(skipped);
        }
      }
    });

    it('has a source that is joining too send every key the joiner owns (all re-join after ZooKeeper expired every session)', () => {
      const placement = ring('s1:joining', 's2:joining', 's3:joining');
      const holding = new Ring([]);
      for (const key of keys.slice(0, 1000)) {
        expect(sendsOnPull(key, placement, holding, 's1', 's2', new Set(), R), key).to.equal(ownsKey(key, placement, 's1', R));
      }
    });

    it('tells a joining member exactly the keys it owns', () => {
      const after = new Ring([member('s1'), member('s2'), member('s3', 'joining')]);
      for (const key of keys.slice(0, 500)) {
        expect(ownsKey(key, after, 's3', R)).to.equal(after.ownersOf(key, R).some((m) => m.id === 's3'));
      }
    });
  });
});
