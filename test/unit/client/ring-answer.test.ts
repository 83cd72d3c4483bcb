// A router's GET /api/ring answer, as the smart client reads it (client/src/ring-answer.ts).
import { expect } from 'chai';
import { parseRingAnswer } from '../../../client/src/ring-answer.js';

describe('smart client: a router\'s ring answer', () => {
  it('reads the members, sorted by id as every process sorts them', () => {
    const ring = parseRingAnswer({
      epoch: 4, replicationFactor: 2,
      members: [{ id: 'b', address: 'b:8080', state: 'leaving' }, { id: 'a', address: 'a:8080', state: 'serving' }],
    });
    expect(ring).to.deep.equal({
      epoch: 4, replicationFactor: 2,
      members: [{ id: 'a', address: 'a:8080', state: 'serving' }, { id: 'b', address: 'b:8080', state: 'leaving' }],
    });
  });

  for (const [what, body] of [
    ['not an object', 'ring'],
    ['no replication factor', { epoch: 1, members: [] }],
    ['a replication factor of 0', { epoch: 1, replicationFactor: 0, members: [] }],
    ['a member in no known state', { epoch: 1, replicationFactor: 2, members: [{ id: 'a', address: 'a:1', state: 'gone' }] }],
    ['members that are not a list', { epoch: 1, replicationFactor: 2, members: {} }],
  ] as const) {
    it(`refuses an answer with ${what}`, () => {
      expect(parseRingAnswer(body)).to.equal(undefined);
    });
  }
});
