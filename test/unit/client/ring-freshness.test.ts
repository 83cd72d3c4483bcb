// Which ring may route a smart client's write (client/src/router-ring-poller.ts).
import { expect } from 'chai';
import { freshForWrites, WRITE_RING_MAX_AGE_MS } from '../../../client/src/router-ring-poller.js';
import { HANDOFF_SETTLE_MS } from '../../../dataplane/protocol/handoff.js';

describe('smart client: a ring fresh enough for writes', () => {
  it('is younger than the time a joiner gives writers to see it, with room for the write itself', () => {
    expect(WRITE_RING_MAX_AGE_MS).to.be.lessThan(HANDOFF_SETTLE_MS).and.greaterThan(0);
  });

  // what, read at, now, fresh
  const table: Array<[string, number, number, boolean]> = [
    ['just read', 1000, 1000, true],
    ['read at the limit', 1000, 1000 + WRITE_RING_MAX_AGE_MS, true],
    ['read a moment past it', 1000, 1001 + WRITE_RING_MAX_AGE_MS, false],
    ['never read', -Infinity, 1000, false],
  ];
  for (const [what, readAt, now, fresh] of table) {
    it(`${fresh ? 'routes' : 'does not route'} a write by a ring ${what}`, () => expect(freshForWrites(readAt, now)).to.equal(fresh));
  }
});
