import { expect } from 'chai';
import { ENTRY_OVERHEAD_BYTES, entryBytes, TOMBSTONE_TTL_MS } from '../../dataplane/store/entry.js';
import { EntryTooLargeError } from '../../dataplane/protocol/errors.js';
import { VersionedStore } from '../../dataplane/store/versioned-store.js';
import { encodeVersion } from '../../dataplane/version/hlc.js';

const v = (n: number): string => encodeVersion(1_000_000 + n, 0, 'w');

describe('versioned store', () => {
  describe('LRU by bytes', () => {
    it('counts key, value, version and per-entry overhead in bytes', () => {
      const store = new VersionedStore({ maxBytes: 1 << 20 });
      store.set('ключ', 'значение', v(1));
      const expected = Buffer.byteLength('ключ') + Buffer.byteLength('значение') + v(1).length + ENTRY_OVERHEAD_BYTES;
      expect(store.bytes).to.equal(expected);
      expect(entryBytes('ключ', { value: 'значение', version: v(1), expiresAt: 0 })).to.equal(expected);
    });

    it('evicts the least recently used keys to stay within MAX_MEMORY', () => {
      const value = 'x'.repeat(1000);
      const perEntry = entryBytes('key-00', { value, version: v(1), expiresAt: 0 });
      const store = new VersionedStore({ maxBytes: perEntry * 10 });
      for (let i = 0; i < 10; i++) store.set(`key-${String(i).padStart(2, '0')}`, value, v(1));
      expect(store.get('key-00')?.value).to.equal(value); // now recently used
      store.set('key-10', value, v(1));
      store.set('key-11', value, v(1));
      expect(store.get('key-00')?.value, 'recently read key survives').to.equal(value);
      expect(store.get('key-01'), 'oldest unread key is evicted').to.equal(undefined);
      expect(store.get('key-02')).to.equal(undefined);
      expect(store.bytes).to.be.at.most(perEntry * 10);
      expect(store.evictions).to.equal(2);
    });

    it('honours MAX_ENTRIES as well', () => {
      const store = new VersionedStore({ maxBytes: 1 << 20, maxEntries: 3 });
      for (const key of ['a', 'b', 'c', 'd']) store.set(key, key, v(1));
      expect(store.keyCount).to.equal(3);
      expect(store.get('a')).to.equal(undefined);
      expect(store.get('d')?.value).to.equal('d');
    });

    it('refuses an entry larger than the whole store', () => {
      const store = new VersionedStore({ maxBytes: 1000 });
      expect(() => store.set('k', 'x'.repeat(2000), v(1))).to.throw(EntryTooLargeError);
    });
  });

  describe('TTL', () => {
    it('hides and drops a key once it expires', () => {
      let now = 10_000;
      const store = new VersionedStore({ maxBytes: 1 << 20 }, () => now);
      store.set('k', 'v', v(1), now + 1000);
      expect(store.get('k')?.value).to.equal('v');
      now += 999;
      expect(store.get('k')?.value).to.equal('v');
      now += 1;
      expect(store.get('k')).to.equal(undefined);
      expect(store.keyCount).to.equal(0);
    });

    it('does not store an entry that has already expired', () => {
      const store = new VersionedStore({ maxBytes: 1 << 20 }, () => 5000);
      expect(store.set('k', 'v', v(1), 4000)).to.equal('superseded');
      expect(store.keyCount).to.equal(0);
    });
  });

  describe('versions', () => {
    it('keeps the highest version whatever order writes arrive in', () => {
      const store = new VersionedStore({ maxBytes: 1 << 20 });
      expect(store.set('k', 'new', v(2))).to.equal('stored');
      expect(store.set('k', 'old', v(1))).to.equal('superseded');
      expect(store.get('k')).to.deep.equal({ value: 'new', version: v(2) });
      expect(store.set('k', 'newer', v(3))).to.equal('stored');
      expect(store.get('k')?.value).to.equal('newer');
    });

    it('treats a repeated version as already applied', () => {
      const store = new VersionedStore({ maxBytes: 1 << 20 });
      store.set('k', 'a', v(1));
      expect(store.set('k', 'b', v(1))).to.equal('superseded');
      expect(store.get('k')?.value).to.equal('a');
    });
  });

  describe('tombstones', () => {
    it('keeps a delete so that an older copy cannot bring the key back', () => {
      const store = new VersionedStore({ maxBytes: 1 << 20 });
      store.set('k', 'v', v(1));
      expect(store.delete('k', v(2))).to.deep.equal({ outcome: 'stored', existed: true, previous: v(1) });
      expect(store.get('k')).to.equal(undefined);
      expect(store.apply('k', { value: 'v', version: v(1), expiresAt: 0 })).to.equal('superseded');
      expect(store.get('k')).to.equal(undefined);
      expect(store.read('k')?.value).to.equal(null);
    });

    it('lets a newer write replace the tombstone', () => {
      const store = new VersionedStore({ maxBytes: 1 << 20 });
      store.delete('k', v(2));
      expect(store.set('k', 'again', v(3))).to.equal('stored');
      expect(store.get('k')?.value).to.equal('again');
    });

    it('reports whether a live value was deleted, and ignores an older delete', () => {
      const store = new VersionedStore({ maxBytes: 1 << 20 });
      expect(store.delete('absent', v(1))).to.deep.equal({ outcome: 'stored', existed: false });
      expect(store.delete('absent', v(2)), 'the tombstone is what was there').to.deep.equal({ outcome: 'stored', existed: false, previous: v(1) });
      store.set('k', 'v', v(5));
      expect(store.delete('k', v(4))).to.deep.equal({ outcome: 'superseded', existed: true, previous: v(5) });
      expect(store.get('k')?.value).to.equal('v');
    });

    it('forgets tombstones after their TTL', () => {
      let now = 0;
      const store = new VersionedStore({ maxBytes: 1 << 20 }, () => now);
      store.delete('k', v(1));
      now += TOMBSTONE_TTL_MS;
      expect(store.read('k')).to.equal(undefined);
    });

    it('lists live entries and tombstones for hand-off, without expired ones', () => {
      let now = 0;
      const store = new VersionedStore({ maxBytes: 1 << 20 }, () => now);
      store.set('live', 'v', v(1));
      store.set('short', 'v', v(1), 10);
      store.delete('gone', v(1));
      now = 20;
      expect([...store.entries()].map(([key]) => key).sort()).to.deep.equal(['gone', 'live']);
    });
  });
});
