// Which value a read returns while the ring changes and every candidate
// owner answered (dataplane/router/read-verdict.ts).
import { expect } from 'chai';
import type { BatchResult } from '../../dataplane/protocol/internal-batch.js';
import { newestOf, ownersBehind } from '../../dataplane/router/read-verdict.js';
import { encodeVersion } from '../../dataplane/version/hlc.js';

const v = (n: number): string => encodeVersion(1_800_000_000_000 + n, 0, 'router');
const found = (value: string, n: number): BatchResult => ({ found: true, value, version: v(n), expiresAt: 0 });
const deleted = (n: number): BatchResult => ({ found: false, version: v(n) });
const absent: BatchResult = { found: false };

describe('read verdict (newestOf)', () => {
  // what, the owners' answers, the value read (undefined: absent)
  const table: Array<[string, BatchResult[], string | undefined]> = [
    ['absent when no owner answered', [], undefined],
    ['absent when no owner has the key', [absent, absent], undefined],
    ['the one value there is', [absent, found('x', 1)], 'x'],
    ['the newest value, whichever owner answered first', [found('old', 1), found('new', 2)], 'new'],
    ['the newest value, in either order', [found('new', 2), found('old', 1)], 'new'],
    ['absent when a delete is newer than every value', [found('old', 1), deleted(2)], undefined],
    ['a value written after the delete', [deleted(1), found('new', 2)], 'new'],
    ['the value when only an older delete is remembered', [found('v', 3), deleted(2), deleted(1)], 'v'],
    ['what the reads say, ignoring write answers and refusals', [{ stored: true }, { refused: 'leaving' }, found('x', 1)], 'x'],
  ];
  for (const [what, answers, value] of table) {
    it(what, () => expect(newestOf(answers)?.value).to.equal(value));
  }

  it('returns the winning answer whole, so the router can observe its version', () => {
    expect(newestOf([found('old', 1), found('new', 2)])).to.deep.equal(found('new', 2));
  });
});

describe('read repair (ownersBehind)', () => {
  it('names the owners that answered without the value read, or with an older one', () => {
    const answers = [
      { owner: 'a', result: absent },
      { owner: 'b', result: deleted(1) },
      { owner: 'c', result: found('old', 2) },
      { owner: 'd', result: found('new', 3) },
      { owner: 'e', result: deleted(4) },
      { owner: 'f', result: found('newer', 5) },
      { owner: 'g', result: { refused: 'leaving' } as BatchResult },
    ];
    expect(ownersBehind(answers.slice(0, 4), found('new', 3) as never)).to.deep.equal(['a', 'b', 'c']);
    expect(ownersBehind(answers, found('new', 3) as never), 'newer deletes and values, and refusals, are not behind').to.deep.equal(['a', 'b', 'c']);
  });
});
