import { expect } from 'chai';
import { mayAcquire, type Observation } from '../../../operator/controller/leader-election.js';
import { microTime } from '../../../operator/api/time.js';

const seen = (holderIdentity: string | undefined, atMs: number, leaseDurationSeconds = 15): Observation => ({
  spec: { ...(holderIdentity !== undefined ? { holderIdentity } : {}), leaseDurationSeconds },
  atMs,
});

describe('operator controller: leader election decisions', () => {
  const table: Array<[string, Observation | undefined, number, boolean]> = [
    ['no Lease yet', undefined, 0, true],
    ['a released Lease (no holder)', seen(undefined, 1_000), 1_000, true],
    ['our own Lease', seen('me', 1_000), 1_000, true],
    ["another's Lease, renewed 5 s ago", seen('other', 10_000), 15_000, false],
    ["another's Lease, just before it expires", seen('other', 10_000), 24_999, false],
    ["another's Lease, unrenewed for its whole duration", seen('other', 10_000), 25_000, true],
  ];
  for (const [what, observation, now, expected] of table) {
    it(`${expected ? 'takes' : 'leaves'} ${what}`, () => {
      expect(mayAcquire(observation, 'me', now)).to.equal(expected);
    });
  }

  it('writes Lease times as MicroTime (six fractional digits)', () => {
    expect(microTime(new Date('2026-11-25T12:00:00.123Z'))).to.equal('2026-11-25T12:00:00.123000Z');
  });
});
