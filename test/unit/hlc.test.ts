import { expect } from 'chai';
import { compareVersions, decodeVersion, encodeVersion, HybridLogicalClock, isVersion, ZERO_VERSION } from '../../dataplane/version/hlc.js';

describe('hybrid logical clock', () => {
  it('follows the wall clock', () => {
    let now = 1_700_000_000_000;
    const clock = new HybridLogicalClock('w', () => now);
    expect(decodeVersion(clock.next())).to.deep.equal({ ms: now, counter: 0, writer: 'w' });
    now += 5;
    expect(decodeVersion(clock.next())).to.deep.equal({ ms: now, counter: 0, writer: 'w' });
  });

  it('never goes backwards when the wall clock does', () => {
    let now = 1_700_000_000_000;
    const clock = new HybridLogicalClock('w', () => now);
    const first = clock.next();
    now -= 10_000;
    const second = clock.next();
    expect(compareVersions(second, first)).to.be.greaterThan(0);
  });

  it('counts within one millisecond and borrows the next one when the counter is full', () => {
    const clock = new HybridLogicalClock('w', () => 1000);
    const versions = Array.from({ length: 70_000 }, () => clock.next());
    for (let i = 1; i < versions.length; i++) expect(versions[i]! > versions[i - 1]!).to.equal(true);
    expect(decodeVersion(versions.at(-1)!).ms).to.equal(1001);
  });

  it('moves past a version observed from another writer', () => {
    const clock = new HybridLogicalClock('a', () => 1000);
    const remote = encodeVersion(5000, 7, 'b');
    clock.observe(remote);
    expect(compareVersions(clock.next(), remote)).to.be.greaterThan(0);
  });

  it('orders versions by time, then counter, then writer', () => {
    expect(compareVersions(encodeVersion(2, 0, 'a'), encodeVersion(1, 9, 'z'))).to.be.greaterThan(0);
    expect(compareVersions(encodeVersion(1, 2, 'a'), encodeVersion(1, 1, 'z'))).to.be.greaterThan(0);
    expect(compareVersions(encodeVersion(1, 1, 'b'), encodeVersion(1, 1, 'a'))).to.be.greaterThan(0);
    expect(compareVersions(encodeVersion(1, 1, 'a'), encodeVersion(1, 1, 'a'))).to.equal(0);
    expect(compareVersions(ZERO_VERSION, encodeVersion(0, 1, 'a'))).to.be.lessThan(0);
  });

  it('recognises its own encoding', () => {
    expect(isVersion(encodeVersion(1, 1, 'w'))).to.equal(true);
    expect(isVersion('12')).to.equal(false);
    expect(isVersion(42)).to.equal(false);
  });
});
