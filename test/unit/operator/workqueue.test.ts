import { expect } from 'chai';
import { RateLimiter, WorkQueue } from '../../../operator/controller/workqueue.js';

/** The next key, or undefined if none comes within `ms`. */
async function nextWithin(queue: WorkQueue, ms: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  const key = await Promise.race([queue.get(), timeout]);
  clearTimeout(timer);
  return key;
}

describe('operator controller: the work queue', () => {
  it('hands out each key once however often it was added (a burst of events is one reconcile)', async () => {
    const queue = new WorkQueue();
    for (let i = 0; i < 5; i++) queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    expect(queue.length).to.equal(2);
    expect(await queue.get()).to.equal('ns/a');
    expect(await queue.get()).to.equal('ns/b');
    queue.shutDown();
  });

  it('never hands a key to two workers at once: a key added while in process comes back after done()', async () => {
    const queue = new WorkQueue();
    queue.add('ns/a');
    const key = await queue.get();
    queue.add('ns/a');
    queue.add('ns/a');
    expect(queue.length).to.equal(0);
    queue.done(key as string);
    expect(queue.length).to.equal(1);
    expect(await queue.get()).to.equal('ns/a');
    queue.done('ns/a');
    expect(queue.length).to.equal(0);
    queue.shutDown();
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.add('ns/a');
    expect(await waiting).to.equal('ns/a');
    queue.shutDown();
  });

  it('adds a key after a delay, the earliest of several delays winning', async () => {
    const queue = new WorkQueue();
    queue.addAfter('ns/a', 5_000);
    queue.addAfter('ns/a', 20);
    const started = Date.now();
    expect(await nextWithin(queue, 1_000)).to.equal('ns/a');
    expect(Date.now() - started).to.be.within(15, 900);
    queue.shutDown();
  });

  it('answers undefined to workers once shut down, and takes no more keys', async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.shutDown();
    expect(await waiting).to.equal(undefined);
    queue.add('ns/a');
    expect(await queue.get()).to.equal(undefined);
  });

  describe('rate limiter', () => {
    it('backs off exponentially per key, up to a cap, and forgets on success', () => {
      const limiter = new RateLimiter({ baseDelayMs: 10, maxDelayMs: 100, ratePerSecond: 1000, burst: 1000 });
      expect([1, 2, 3, 4, 5].map(() => limiter.when('a'))).to.deep.equal([10, 20, 40, 80, 100]);
      expect(limiter.when('b')).to.equal(10);
      expect(limiter.retries('a')).to.equal(5);
      limiter.forget('a');
      expect(limiter.when('a')).to.equal(10);
    });

    it('limits retries overall once the burst is spent', () => {
      let now = 0;
      const limiter = new RateLimiter({ baseDelayMs: 1, maxDelayMs: 1, ratePerSecond: 10, burst: 2 }, () => now);
      expect([limiter.when('a'), limiter.when('b')]).to.deep.equal([1, 1]);
      expect(limiter.when('c')).to.equal(100);
      expect(limiter.when('d')).to.equal(200);
      now = 1_000;
      expect(limiter.when('e')).to.equal(1);
    });
  });
});
