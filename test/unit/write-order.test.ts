// Writes through two routers are ordered as real time orders them, even when
// both routers stamp in the same millisecond (docs/consistency.md). Real
// routers and real stores; only the network between them is in-process.
import { expect } from 'chai';
import { RouterBackend } from '../../dataplane/router/router-backend.js';
import { judgeWrite, restampAllowed, type OwnerAnswer } from '../../dataplane/router/write-verdict.js';
import { createLogger } from '../../dataplane/observability/logger.js';
import { DataplaneMetrics } from '../../dataplane/observability/metrics.js';
import { ServiceUnavailableError } from '../../dataplane/protocol/errors.js';
import type { BatchOp, BatchResult } from '../../dataplane/protocol/internal-batch.js';
import type { Member } from '../../dataplane/ring/member.js';
import { Ring } from '../../dataplane/ring/ring.js';
import { RingView } from '../../dataplane/ring/ring-view.js';
import { applyBatch } from '../../dataplane/server/apply-batch.js';
import { VersionedStore } from '../../dataplane/store/versioned-store.js';
import type { ServerLinks } from '../../dataplane/transport/server-channels.js';
import { encodeVersion, HybridLogicalClock } from '../../dataplane/version/hlc.js';
import { member } from '../support/members.js';

const SAME_MS = 1_800_000_000_000;

/** Three servers' stores, reached in-process: every op goes through the real batch executor. */
class InProcessServers implements ServerLinks {
  readonly stores = new Map<string, VersionedStore>();
  /** Servers that do not answer (their requests fail, as a connection refused would). */
  readonly down = new Set<string>();
  /** Servers that are leaving: they answer reads and refuse writes. */
  readonly leaving = new Set<string>();
  /** Runs before each read reaches a store (to change a router's view meanwhile). */
  beforeRead: () => void = () => {};
  /** Runs before each write reaches a store (to play a third writer). */
  beforeWrite: (store: VersionedStore, op: BatchOp) => void = () => {};

  constructor(addresses: readonly string[]) {
    for (const address of addresses) this.stores.set(address, new VersionedStore({ maxBytes: 1 << 20 }, () => SAME_MS));
  }

  get(address: string): { send(op: BatchOp): Promise<BatchResult> } {
    const store = this.stores.get(address);
    if (!store) throw new Error(`no server at ${address}`);
    return {
      send: async (op) => {
        if (this.down.has(address)) throw new Error(`connect ECONNREFUSED ${address}`);
        if (op.op !== 'get') this.beforeWrite(store, op);
        else this.beforeRead();
        return applyBatch(store, [op], { hits: 0, misses: 0 }, !this.leaving.has(address))[0] as BatchResult;
      },
    };
  }
}

/** A router whose view last changed at `changedAt`: long settled by default, or changing (now). */
function router(writer: string, servers: ServerLinks, members: Member[], changedAt = 0): RouterBackend {
  const view = new RingView(2);
  view.update(members, changedAt);
  const logger = createLogger('silent', { role: 'client' });
  return new RouterBackend(view, servers, new HybridLogicalClock(writer, () => SAME_MS), new DataplaneMetrics('client'), logger);
}

describe('write order across routers', () => {
  const members = [member('s1'), member('s2'), member('s3')];
  let servers: InProcessServers;
  // 'router-a' sorts before 'router-b': with both clocks in one ms, its stamps are older.
  let low: RouterBackend;
  let high: RouterBackend;

  beforeEach(() => {
    servers = new InProcessServers(members.map((m) => m.address));
    low = router('router-a', servers, members);
    high = router('router-b', servers, members);
  });

  it('lets a write that starts after an acknowledged one win, though its stamp sorts lower', async () => {
    for (let i = 0; i < 50; i++) {
      const key = `key-${i}`;
      await high.setMany([{ key, value: 'first', ttlSeconds: undefined }]);
      await low.setMany([{ key, value: 'second', ttlSeconds: undefined }]);
      expect(await high.getMany([key]), key).to.deep.equal(['second']);
      expect(await low.getMany([key]), key).to.deep.equal(['second']);
    }
  });

  it('does not lose a delete that follows a put, or a put that follows a delete', async () => {
    await high.setMany([{ key: 'k', value: 'first', ttlSeconds: undefined }]);
    expect(await low.delete('k')).to.equal(true);
    expect(await high.getMany(['k'])).to.deep.equal([undefined]);

    const other = router('r-other', servers, members);
    await router('r-zzz', servers, members).delete('j');
    await other.setMany([{ key: 'j', value: 'after-delete', ttlSeconds: undefined }]);
    expect(await low.getMany(['j'])).to.deep.equal(['after-delete']);
  });

  it('leaves every owner holding the winning write', async () => {
    await high.setMany([{ key: 'k', value: 'first', ttlSeconds: undefined }]);
    await low.setMany([{ key: 'k', value: 'second', ttlSeconds: undefined }]);
    const holders = [...servers.stores.values()].map((s) => s.get('k')?.value).filter((v) => v !== undefined);
    expect(holders).to.deep.equal(['second', 'second']);
  });

  it('copies a value read past the first owner to it first, so an older write on its way there cannot show through', async () => {
    // Found by the 30 s ZooKeeper-outage history: the first owner remembered a delete, the second already
    // had a newer write, and an older write still on its way then landed on the first owner alone.
    const [first, second] = new Ring(members).ownersOf('k', 2).map((m) => servers.stores.get(m.address) as VersionedStore);
    first?.delete('k', encodeVersion(SAME_MS - 3, 0, 'r-1'));
    second?.set('k', 'newest', encodeVersion(SAME_MS - 1, 0, 'r-3'));
    expect(await low.getMany(['k'])).to.deep.equal(['newest']);
    expect(first?.get('k')?.value, 'the first owner holds what was read').to.equal('newest');
    const late = first?.set('k', 'older, late', encodeVersion(SAME_MS - 2, 0, 'r-2'));
    expect(late).to.not.equal('stored');
    expect(await high.getMany(['k'])).to.deep.equal(['newest']);
  });

  it('reads past an owner that says it is leaving, which this view had not heard yet', async () => {
    // A drain history: a router that had not yet heard of a drain read the leaving first owner's older copy
    // after a write it no longer takes had been acknowledged by the others.
    for (const changedAt of [0, Date.now()]) {
      const key = `drained-${changedAt}`;
      const [first, second] = new Ring(members).ownersOf(key, 2);
      servers.leaving.clear();
      // A router of its own, whose first stamp sorts before router-aware's in the same ms: the later write wins.
      await router('router-a', servers, members).setMany([{ key, value: 'before the drain', ttlSeconds: undefined }]);
      servers.leaving.add(first?.address as string);
      const aware = router('router-aware', servers, members);
      await aware.setMany([{ key, value: 'acknowledged after', ttlSeconds: undefined }]);
      expect(servers.stores.get(second?.address as string)?.get(key)?.value).to.equal('acknowledged after');
      const unaware = router('router-unaware', servers, members, changedAt);
      expect(await unaware.getMany([key]), changedAt ? 'while membership changes' : 'once settled').to.deep.equal(['acknowledged after']);
      expect(unaware.describeRing().members.find((m) => m.id === first?.id)?.state).to.equal('leaving');
    }
  });

  it('copies the newest value to owners behind it while membership changes', async () => {
    const [first, second] = new Ring(members).ownersOf('k', 2).map((m) => servers.stores.get(m.address) as VersionedStore);
    first?.set('k', 'decided', encodeVersion(SAME_MS - 1, 0, 'r-1'));
    second?.delete('k', encodeVersion(SAME_MS - 2, 0, 'r-2'));
    expect(await router('router-c', servers, members, Date.now()).getMany(['k'])).to.deep.equal(['decided']);
    expect(second?.get('k')?.value).to.equal('decided');
  });

  it('reads the next owner when the first does not answer', async () => {
    const [first, second] = new Ring(members).ownersOf('k', 2);
    servers.stores.get(second?.address as string)?.set('k', 'kept', encodeVersion(SAME_MS - 1, 0, 'r-1'));
    servers.down.add(first?.address as string);
    expect(await low.getMany(['k'])).to.deep.equal(['kept']);
    expect(await router('router-c', servers, members, Date.now()).getMany(['k'])).to.deep.equal(['kept']);
  });

  it('does not stamp again a write that lost elsewhere while its deciding owner did not answer: 503, nothing re-sent', async () => {
    // The unreachable decider may hold the attempt, and a reader may see it there once it is back; a newer
    // stamp of the same write would then show it again after writes read since (docs/consistency.md,
    // "A write that may be half in place").
    const [first, second] = new Ring(members).ownersOf('k', 2);
    servers.stores.get(second?.address as string)?.set('k', 'newer, from elsewhere', encodeVersion(SAME_MS + 5, 0, 'r-ahead'));
    servers.down.add(first?.address as string);
    let sent = 0;
    servers.beforeWrite = () => sent++;
    const error = await low.setMany([{ key: 'k', value: 'lost', ttlSeconds: undefined }]).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(ServiceUnavailableError);
    expect((error as Error).message).to.match(/may be in place on some owner; retry it/);
    expect(sent, 'one attempt, sent once to the owner that answered').to.equal(1);
    expect(servers.stores.get(second?.address as string)?.get('k')?.value).to.equal('newer, from elsewhere');
  });

  it('still stamps again a write every owner answered and none took, with no deciding owner answering', async () => {
    const [first, second] = new Ring(members).ownersOf('k', 2);
    servers.leaving.add(first?.address as string);
    for (const store of servers.stores.values()) store.set('k', 'newer, from elsewhere', encodeVersion(SAME_MS + 5, 0, 'r-ahead'));
    await low.setMany([{ key: 'k', value: 'after it', ttlSeconds: undefined }]);
    expect(servers.stores.get(second?.address as string)?.get('k')?.value).to.equal('after it');
  });

  it('sends a write to the deciding owner first, and nowhere else while it loses there', async () => {
    // A version the decider did not take, visible on another owner, is what a reader once saw before the
    // write was stamped again after newer ones (docs/consistency.md, "The deciding owner first").
    const [first, second] = new Ring(members).ownersOf('k', 2);
    servers.stores.get(first?.address as string)?.set('k', 'newer, from elsewhere', encodeVersion(SAME_MS + 5, 0, 'r-ahead'));
    const received: Array<{ store: VersionedStore; op: BatchOp }> = [];
    servers.beforeWrite = (store, op) => received.push({ store, op });
    await low.setMany([{ key: 'k', value: 'mine', ttlSeconds: undefined }]);
    const secondStore = servers.stores.get(second?.address as string);
    const toSecond = received.filter(({ store }) => store === secondStore);
    expect(toSecond, 'writes the second owner received').to.have.length(1);
    expect(received[0]?.store, 'the first write went to the deciding owner').to.equal(servers.stores.get(first?.address as string));
    expect(secondStore?.get('k')?.value).to.equal('mine');
  });

  it('answers 503 rather than acknowledge a write that keeps losing to newer ones', async () => {
    let ms = SAME_MS + 1000;
    servers.beforeWrite = (store, op) => store.set(op.key, 'from elsewhere', encodeVersion(ms++, 0, 'r-ahead'));
    const write = low.setMany([{ key: 'k', value: 'mine', ttlSeconds: undefined }]);
    const error = await write.then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).message).to.match(/lost to newer writes of the same key 5 times/);
  });
});

describe('write verdict', () => {
  const mine = encodeVersion(SAME_MS, 0, 'router-a');
  const newer = encodeVersion(SAME_MS, 0, 'router-b');
  const older = encodeVersion(SAME_MS - 1, 0, 'router-b');
  const answer = (ownerId: string, result: OwnerAnswer['result']): OwnerAnswer => ({ ownerId, result });

  it('is decided by the first deciding owner that answered', () => {
    const answers = [answer('a', { stored: true }), answer('b', { stored: false, current: newer })];
    expect(judgeWrite(mine, answers, () => ['a', 'b'])).to.deep.equal({ taken: true, existed: false });
    expect(judgeWrite(mine, answers, () => ['b', 'a'])).to.deep.equal({ taken: false, newest: newer });
    expect(judgeWrite(mine, answers.slice(0, 1), () => ['b', 'a']), 'b did not answer').to.deep.equal({ taken: true, existed: false });
  });

  it('counts every answer when no deciding owner answered', () => {
    const answers = [answer('j', { stored: true }), answer('k', { stored: false, current: newer })];
    expect(judgeWrite(mine, answers, () => ['a'])).to.deep.equal({ taken: false, newest: newer });
    expect(judgeWrite(mine, answers, () => [])).to.deep.equal({ taken: false, newest: newer });
  });

  it('takes an owner that already holds this very version, or refused an expired write, as done', () => {
    expect(judgeWrite(mine, [answer('a', { stored: false, current: mine })], () => ['a'])).to.deep.equal({ taken: true, existed: false });
    expect(judgeWrite(mine, [answer('a', { stored: false, current: older })], () => ['a'])).to.deep.equal({ taken: true, existed: false });
    expect(judgeWrite(mine, [answer('a', { stored: false })], () => ['a'])).to.deep.equal({ taken: true, existed: false });
  });

  it("reports a delete's existed flag from the owner with the newest earlier state when no owner decides", () => {
    // After every server re-joined at once: one owner missed an earlier delete, the other saw it.
    const missedDelete = answer('a', { stored: true, existed: true, previous: older });
    const sawDelete = answer('b', { stored: true, existed: false, previous: newer });
    const hadNothing = answer('c', { stored: true, existed: false });
    expect(judgeWrite(mine, [missedDelete, sawDelete], () => [])).to.deep.equal({ taken: true, existed: false });
    expect(judgeWrite(mine, [sawDelete, missedDelete], () => [])).to.deep.equal({ taken: true, existed: false });
    expect(judgeWrite(mine, [hadNothing, missedDelete], () => []), 'one missed the write').to.deep.equal({ taken: true, existed: true });
    expect(judgeWrite(mine, [hadNothing], () => [])).to.deep.equal({ taken: true, existed: false });
  });

  it("reports a delete's existed flag from the deciding owner", () => {
    const answers = [answer('a', { stored: true, existed: false }), answer('b', { stored: true, existed: true })];
    expect(judgeWrite(mine, answers, () => ['a', 'b'])).to.deep.equal({ taken: true, existed: false });
    expect(judgeWrite(mine, answers, () => ['b', 'a'])).to.deep.equal({ taken: true, existed: true });
  });
});

describe('batch executor', () => {
  it('answers a write that lost with the version that beat it', () => {
    const store = new VersionedStore({ maxBytes: 1 << 20 }, () => SAME_MS);
    const newer = encodeVersion(SAME_MS, 0, 'router-b');
    const mine = encodeVersion(SAME_MS, 0, 'router-a');
    store.set('k', 'first', newer);
    const tally = { hits: 0, misses: 0 };
    expect(applyBatch(store, [{ op: 'put', key: 'k', value: 'second', version: mine, expiresAt: 0 }], tally)).to.deep.equal([
      { stored: false, current: newer },
    ]);
    expect(applyBatch(store, [{ op: 'del', key: 'k', version: mine }], tally)).to.deep.equal([{ stored: false, existed: true, previous: newer, current: newer }]);
    expect(applyBatch(store, [{ op: 'put', key: 'n', value: 'v', version: mine, expiresAt: 0 }], tally)).to.deep.equal([{ stored: true }]);
  });

  it('answers reads on a leaving server and says so, and refuses its writes', () => {
    const store = new VersionedStore({ maxBytes: 1 << 20 }, () => SAME_MS);
    const version = encodeVersion(SAME_MS, 0, 'router-a');
    store.set('k', 'v', version);
    const tally = { hits: 0, misses: 0 };
    const ops: BatchOp[] = [{ op: 'get', key: 'k' }, { op: 'get', key: 'absent' }, { op: 'del', key: 'k', version }];
    expect(applyBatch(store, ops, tally, false)).to.deep.equal([
      { found: true, value: 'v', version, expiresAt: 0, leaving: true },
      { found: false, leaving: true },
      { refused: 'leaving' },
    ]);
    expect(applyBatch(store, ops.slice(0, 2), tally, true)).to.deep.equal([{ found: true, value: 'v', version, expiresAt: 0 }, { found: false }]);
  });
});

describe('restampAllowed: a write that lost is stamped again only when no owner can hold the attempt', () => {
  const lost = (ownerId: string): OwnerAnswer => ({ ownerId, result: { stored: false, current: encodeVersion(SAME_MS + 1, 0, 'x') } });
  const stored = (ownerId: string): OwnerAnswer => ({ ownerId, result: { stored: true } });
  const cases: Array<[string, OwnerAnswer[], string | undefined, boolean, boolean]> = [
    ['the deciding owner answered that it lost (the write went nowhere else)', [lost('d')], 'd', false, true],
    ['the deciding owner answered, another owner did not', [lost('d')], 'd', true, true],
    ['no deciding owner; every owner answered, none took it', [lost('a'), lost('b')], undefined, false, true],
    ['the deciding owner did not answer, the others lost', [lost('b')], 'd', true, false],
    ['no deciding owner; one took it, another lost', [stored('a'), lost('b')], undefined, false, false],
    ['the deciding owner refused (leaving); one took it, another lost', [stored('c'), lost('b')], 'd', false, false],
  ];
  for (const [what, answers, decider, unanswered, allowed] of cases) {
    it(`${allowed ? 'yes' : 'no'}: ${what}`, () => expect(restampAllowed(answers, decider, unanswered)).to.equal(allowed));
  }
});
