// The stall fence (dataplane/membership/stall-fence.ts): a gap in the
// process's running fences the view until a read of the members that began
// after the gap completes.
import { expect } from 'chai';
import { StallFence, stallThresholdMs } from '../../dataplane/membership/stall-fence.js';
import { createLogger } from '../../dataplane/observability/logger.js';

const logger = createLogger('silent', {});

describe('stall fence', () => {
  it('never fences a process that keeps running', () => {
    let confirms = 0;
    const fence = new StallFence(2000, () => confirms++, logger);
    const start = Date.now();
    for (let t = start; t < start + 60_000; t += 500) expect(fence.fencedReason(t)).to.equal(undefined);
    expect(confirms).to.equal(0);
  });

  it('fences after a gap, asks for a fresh read once, and lifts only for a read begun after the gap', () => {
    let confirms = 0;
    const fence = new StallFence(2000, () => confirms++, logger);
    const start = Date.now();
    const woke = start + 60_000;
    expect(fence.fencedReason(woke)).to.match(/stopped for a while/);
    expect(confirms).to.equal(1);
    expect(fence.fencedReason(woke + 100), 'still fenced, and no second read asked for').to.be.a('string');
    expect(confirms).to.equal(1);
    fence.confirmed(woke - 1); // a read that began before the wake-up
    expect(fence.fencedReason(woke + 200)).to.be.a('string');
    fence.confirmed(woke + 150);
    expect(fence.fencedReason(woke + 300)).to.equal(undefined);
  });

  it('takes half a ZooKeeper session as the limit, between 2 s and 5 s', () => {
    expect(stallThresholdMs(2000)).to.equal(2000);
    expect(stallThresholdMs(6000)).to.equal(3000);
    expect(stallThresholdMs(10_000)).to.equal(5000);
    expect(stallThresholdMs(60_000)).to.equal(5000);
  });
});
