// The one member check (dataplane/ring/member.ts), used for member znodes
// and for the members a joiner sends with a pull request.
import { expect } from 'chai';
import { decodeMember, encodeMember } from '../../dataplane/membership/member-znode.js';
import { BadRequestError } from '../../dataplane/protocol/errors.js';
import { parsePullRequest } from '../../dataplane/protocol/handoff.js';
import { toMember } from '../../dataplane/ring/member.js';
import { member } from '../support/members.js';

describe('member check', () => {
  // what, the raw value, whether it is a member
  const table: Array<[string, unknown, boolean]> = [
    ['a serving member', { id: 's1', address: '10.0.0.1:8080', state: 'serving' }, true],
    ['a joining member', { id: 's1', address: 'h:1', state: 'joining' }, true],
    ['a leaving member', { id: 's1', address: 'h:1', state: 'leaving' }, true],
    ['not an unknown state', { id: 's1', address: 'h:1', state: 'gone' }, false],
    ['not without an address', { id: 's1', state: 'serving' }, false],
    ['not with a numeric id', { id: 1, address: 'h:1', state: 'serving' }, false],
    ['not null', null, false],
    ['not a string', 's1', false],
    ['not an array', ['s1', 'h:1', 'serving'], false],
  ];
  for (const [what, raw, valid] of table) {
    it(`${valid ? 'takes' : 'refuses'} ${what.replace(/^not /, '')}`, () => expect(toMember(raw) !== undefined).to.equal(valid));
  }

  it('keeps only the three fields', () => {
    expect(toMember({ id: 's1', address: 'h:1', state: 'serving', extra: true })).to.deep.equal({ id: 's1', address: 'h:1', state: 'serving' });
  });

  it('reads back what a znode holds, and nothing from data that is not a member', () => {
    expect(decodeMember(encodeMember(member('s1', 'joining')))).to.deep.equal(member('s1', 'joining'));
    expect(decodeMember(Buffer.from('{"id":"s1"'))).to.equal(undefined);
    expect(decodeMember(Buffer.from('{"id":"s1","address":"h:1","state":"gone"}'))).to.equal(undefined);
    expect(decodeMember(undefined)).to.equal(undefined);
  });

  it('refuses a pull request whose member lists hold something that is not a member', () => {
    const pull = { requester: 's1', members: [member('s1')], holders: [member('s2')], skip: [], replicationFactor: 2 };
    expect(parsePullRequest(pull).holders).to.deep.equal([member('s2')]);
    expect(() => parsePullRequest({ ...pull, holders: [{ id: 's2', address: 'h:1', state: 'gone' }] })).to.throw(BadRequestError, 'holders[0]');
  });
});
