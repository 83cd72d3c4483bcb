// Versions first, values where they are missing (issue 17): which copies of a
// hand-off carry a value (dataplane/store/value-need.ts), and the compact
// version list offers and pull requests carry (dataplane/protocol/handoff.ts).
import { expect } from 'chai';
import { BadRequestError } from '../../dataplane/protocol/errors.js';
import { decodePullLine, decodeVersionList, encodeEntryBatch, encodeVersionList, type HandoffEntry } from '../../dataplane/protocol/handoff.js';
import { COLD_SKIPPED_OFFERS, heldByRequester, needsValue, offersToSkip, sendsAfterOffer, wantedValues } from '../../dataplane/store/value-need.js';
import { VersionedStore } from '../../dataplane/store/versioned-store.js';
import { encodeVersion, type Version } from '../../dataplane/version/hlc.js';

const v = (n: number, writer = 'router-a'): Version => encodeVersion(1_700_000_000_000 + n, 0, writer);

describe('which hand-off copies carry a value', () => {
  describe('the receiver of an offer (needsValue)', () => {
    // what, version held (undefined: absent), version offered, needs the value
    const table: Array<[string, Version | undefined, Version, boolean]> = [
      ['a key it lacks', undefined, v(5), true],
      ['an older version of the key', v(4), v(5), true],
      ['the same version: the same write, already there', v(5), v(5), false],
      ['a newer version (a write that beat the copy)', v(6), v(5), false],
      ['a newer write in the same ms by a writer that sorts later', v(5, 'router-b'), v(5, 'router-a'), false],
      ['an older write in the same ms by a writer that sorts earlier', v(5, 'router-a'), v(5, 'router-b'), true],
    ];
    for (const [what, held, offered, expected] of table) it(`${expected ? 'needs' : 'does not need'} ${what}`, () => expect(needsValue(held, offered)).to.equal(expected));
  });

  describe('the sender once the answer is back (sendsAfterOffer)', () => {
    // what, version offered, version held now (undefined: expired), receiver wanted it, sends
    const table: Array<[string, Version, Version | undefined, boolean, boolean]> = [
      ['sends what the receiver asked for', v(5), v(5), true, true],
      ['sends nothing the receiver already holds', v(5), v(5), false, false],
      ['sends a local write made after the offer, though the receiver held the offered version', v(5), v(7), false, true],
      ['sends nothing for an entry that expired meanwhile', v(5), undefined, true, false],
    ];
    for (const [what, offered, now, wanted, expected] of table) it(what, () => expect(sendsAfterOffer(offered, now, wanted)).to.equal(expected));
  });

  describe('a pull source (heldByRequester)', () => {
    const have = new Map([['a', v(5)], ['tomb', v(9)]]);
    it('leaves out a key the joiner holds at the same version', () => expect(heldByRequester(have, 'a', v(5))).to.equal(true));
    it('leaves out a key the joiner holds newer, a tombstone included', () => expect(heldByRequester(have, 'tomb', v(8))).to.equal(true));
    it('sends a key the joiner holds older', () => expect(heldByRequester(have, 'a', v(6))).to.equal(false));
    it('sends a key the joiner did not list', () => expect(heldByRequester(have, 'b', v(1))).to.equal(false));
  });

  describe('a receiver that lacks the keys (offersToSkip)', () => {
    // what, wanted, offered, batches sent next without an offer
    const table: Array<[string, number, number, number]> = [
      ['wanted every key (a new owner after a crash): the next batches skip the offer', 1024, 1024, COLD_SKIPPED_OFFERS],
      ['wanted 95%: still taken to lack them', 973, 1024, COLD_SKIPPED_OFFERS],
      ['wanted half: offers go on', 512, 1024, 0],
      ['wanted none (a drain to holders): offers go on', 0, 1024, 0],
      ['an empty offer says nothing', 0, 0, 0],
    ];
    for (const [what, wanted, offered, expected] of table) it(what, () => expect(offersToSkip(wanted, offered)).to.equal(expected));
  });

  it('answers an offer against a real store: absent, older, equal, newer, and a tombstone', () => {
    const store = new VersionedStore({ maxBytes: 1 << 20 });
    store.set('older', 'x', v(1));
    store.set('equal', 'x', v(5));
    store.set('newer', 'x', v(9));
    store.delete('deleted', v(9)); // a delete newer than the offered value: the copy must not revive it
    const offered: Array<[string, Version]> = [['absent', v(5)], ['older', v(5)], ['equal', v(5)], ['newer', v(5)], ['deleted', v(5)]];
    expect(wantedValues(offered, (key) => store.peek(key)?.version)).to.equal('11000');
  });
});

describe('version lists on the wire', () => {
  it('round-trips keys with their exact versions, tombstones\' too', () => {
    const entries: Array<[string, Version]> = [['a', v(1)], ['b', v(2, 'router-b')], ['ключ', v(3)], ['c', encodeVersion(1, 65535, 'r-x')]];
    expect(decodeVersionList(JSON.parse(JSON.stringify(encodeVersionList(entries))))).to.deep.equal(entries);
  });

  it('names each writer once, and each version costs its 16-digit stamp and a short index', () => {
    const entries = Array.from({ length: 100 }, (_, i): [string, Version] => [`key-${i}`, v(i, i % 2 ? 'router-a' : 'router-b')]);
    const list = encodeVersionList(entries);
    expect(list.writers).to.deep.equal(['router-b', 'router-a']);
    expect(list.versions.every((text) => text.length === 17)).to.equal(true);
  });

  it('an empty list is an empty list', () => expect(decodeVersionList(encodeVersionList([]))).to.deep.equal([]));

  // what, raw list
  const malformed: Array<[string, unknown]> = [
    ['not an object', 'x'],
    ['more keys than versions', { writers: ['w'], keys: ['a', 'b'], versions: ['0000000000010000' + '0'] }],
    ['a writer index out of range', { writers: ['w'], keys: ['a'], versions: ['00000000000100001'] }],
    ['a stamp that is not hex', { writers: ['w'], keys: ['a'], versions: ['zzzzzzzzzzzzzzzz0'] }],
    ['a key that is not a string', { writers: ['w'], keys: [7], versions: ['00000000000100000'] }],
  ];
  for (const [what, raw] of malformed) it(`refuses ${what} with a 400`, () => expect(() => decodeVersionList(raw)).to.throw(BadRequestError));
});

describe('pull answer lines', () => {
  const entries: HandoffEntry[] = [
    { key: 'a', value: 'x', version: v(1), expiresAt: 0 },
    { key: 'gone', value: null, version: v(2, 'router-b'), expiresAt: 1_700_000_600_000 },
  ];

  it('round-trips a line of many entries, a tombstone among them', () => {
    expect(decodePullLine(JSON.parse(JSON.stringify(encodeEntryBatch(entries))))).to.deep.equal(entries);
  });

  it('reads a line of one entry, as an older source sends it', () => {
    expect(decodePullLine(JSON.parse(JSON.stringify(entries[0])))).to.deep.equal([entries[0]]);
  });

  it('costs fewer bytes than a line per entry', () => {
    const many = Array.from({ length: 512 }, (_, i): HandoffEntry => ({ key: `rebalance-${i}`, value: `rebalance-value-${i}`, version: v(i), expiresAt: 0 }));
    const perEntry = many.map((e) => JSON.stringify(e)).join('\n').length;
    expect(JSON.stringify(encodeEntryBatch(many)).length).to.be.below(perEntry * 0.7);
  });

  // what, line
  const malformed: Array<[string, unknown]> = [
    ['a value that is neither a string nor null', { ...encodeEntryBatch(entries), values: [1, null] }],
    ['fewer expiries than keys', { ...encodeEntryBatch(entries), expiresAt: [0] }],
    ['neither form', { hello: 'world' }],
  ];
  for (const [what, raw] of malformed) it(`refuses ${what}`, () => expect(decodePullLine(raw)).to.equal(undefined));
});
