// When a ring change calls for a hand-off, and with whom
// (dataplane/ring/handoff-triggers.ts): tables of views → actions.
import { expect } from 'chai';
import { drainReceivers, pruneDue, pullSources, rebalanceDue, ringsFingerprint } from '../../dataplane/ring/handoff-triggers.js';
import type { MemberState } from '../../dataplane/ring/member.js';
import { Ring } from '../../dataplane/ring/ring.js';
import { ids, members } from '../support/members.js';

describe('hand-off triggers', () => {
  describe('whom joiner s pulls from (pullSources)', () => {
    // what, members in the view, pulled already for the current rings, expected sources
    const table: Array<[string, string[], boolean, string[]]> = [
      ['nobody when it is alone: it serves at once', ['s:joining'], false, []],
      ['every other member', ['a', 'b', 's:joining'], false, ['a', 'b']],
      ['joiners too: after every session expired, one may hold the only copy of a write', ['a:joining', 's:joining'], false, ['a']],
      ['leaving members too: they hold keys until they are gone', ['a:leaving', 'b', 's:joining'], false, ['a', 'b']],
      ['nobody once it pulled for these rings', ['a', 'b', 's:joining'], true, []],
    ];
    for (const [what, view, pulled, expected] of table) {
      it(what, () => expect(ids(pullSources(members(...view), 's', 'rings', pulled ? 'rings' : undefined))).to.deep.equal(expected));
    }

    it('everyone again when the rings moved since the last pull', () => {
      const view = members('a', 'b', 's:joining');
      const first = ringsFingerprint(new Ring(view), new Ring(members('a', 'b')));
      const moved = ringsFingerprint(new Ring(members('a', 'b', 'c', 's:joining')), new Ring(members('a', 'b', 'c')));
      expect(ids(pullSources(view, 's', moved, first))).to.deep.equal(['a', 'b']);
    });

    it('takes a change of states alone as no move: the rings are told apart by their ids', () => {
      const joining = ringsFingerprint(new Ring(members('a', 's:joining')), new Ring(members('a')));
      const oneMoreJoiner = ringsFingerprint(new Ring(members('a', 'b:joining', 's:joining')), new Ring(members('a')));
      expect(ringsFingerprint(new Ring(members('a:leaving', 's:joining')), new Ring(members('a:leaving')))).to.equal(joining);
      expect(oneMoreJoiner).not.to.equal(joining);
    });
  });

  describe('when serving member s copies keys to new owners (rebalanceDue)', () => {
    const handedOff = new Ring(members('a', 'b', 's'));
    const moved = new Ring(members('a', 's'));
    // what, s's state, members in the view, the ring it last handed off for, the placement ring now, due
    const table: Array<[string, MemberState, string[], Ring | undefined, Ring, boolean]> = [
      ['when the placement ring moved since its last hand-off', 'serving', ['a', 's'], handedOff, moved, true],
      ['not when the ring is the one it last handed off for', 'serving', ['a', 'b', 's'], handedOff, handedOff, false],
      ['when it never handed off (nothing to send then, but it checks)', 'serving', ['a', 's'], undefined, moved, true],
      ['not while another member is leaving: it drains its own keys', 'serving', ['a', 'b:leaving', 's'], handedOff, moved, false],
      ['even if the view shows s itself as leaving', 'serving', ['a', 's:leaving'], handedOff, moved, true],
      ['not while it is joining: it pulls instead', 'joining', ['a', 's:joining'], undefined, moved, false],
      ['not while it is leaving: the drain copies', 'leaving', ['a', 's:leaving'], handedOff, moved, false],
    ];
    for (const [what, state, view, last, now, due] of table) {
      it(what, () => expect(rebalanceDue(state, members(...view), 's', last, now)).to.equal(due));
    }
  });

  describe('whom draining member s hands its keys to (drainReceivers)', () => {
    const table: Array<[string, string[], string[]]> = [
      ['every other member', ['a', 'b', 's:leaving'], ['a', 'b']],
      ['not the others that leave too', ['a:leaving', 'b', 's:leaving'], ['b']],
      ['joiners too: they will own keys', ['a:joining', 's:leaving'], ['a']],
      ['nobody when every other member leaves', ['a:leaving', 's:leaving'], []],
    ];
    for (const [what, view, expected] of table) {
      it(what, () => expect(ids(drainReceivers(members(...view), 's'))).to.deep.equal(expected));
    }
  });

  describe('when member s drops keys it no longer owns (pruneDue)', () => {
    const ready = { state: 'serving' as MemberState, handingOff: false, zkConnected: true, settled: true, members: members('a', 's'), selfId: 's' };
    const table: Array<[string, Partial<typeof ready>, boolean]> = [
      ['when it serves, nothing moves, ZooKeeper answers and the view is settled', {}, true],
      ['not while it joins', { state: 'joining' }, false],
      ['not while it leaves', { state: 'leaving' }, false],
      ['not while a join or rebalance runs', { handingOff: true }, false],
      ['not while ZooKeeper is away: its view may be old', { zkConnected: false }, false],
      ['not before the view settled', { settled: false }, false],
      ['not from a view that lost it: it would drop everything', { members: members('a', 'b') }, false],
      ['not from a view that shows it joining', { members: members('a', 's:joining') }, false],
    ];
    for (const [what, facts, due] of table) {
      it(what, () => expect(pruneDue({ ...ready, ...facts })).to.equal(due));
    }
  });
});
