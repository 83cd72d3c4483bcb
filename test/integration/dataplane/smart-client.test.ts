// The smart client (client/) against real servers: the router's contract
// (README "HTTP API") call for call, its typed errors, the cluster token, and
// following the ring through a router and through ZooKeeper. A router answers
// beside it throughout: the client must agree with it on every key.
import { expect } from 'chai';
import {
  AuthError, BadInputError, CacheClient, CacheClientError, ClosedError, TooLargeError, UnavailableError,
} from '../../../client/src/index.js';
import { MAX_BATCH_KEYS, MAX_KEY_BYTES, MAX_VALUE_BYTES } from '../../../dataplane/protocol/limits.js';
import { ownsKey } from '../../../dataplane/ring/handoff-plan.js';
import { Ring } from '../../../dataplane/ring/ring.js';
import { LocalCluster } from '../../support/cluster.js';
import { call, postJson } from '../../support/http.js';
import { viaRouter, viaZooKeeper } from '../../support/smart-client.js';
import { waitFor } from '../../support/wait.js';

/** The typed error a call failed with; fails the test if it succeeded. */
async function failure(promise: Promise<unknown>): Promise<CacheClientError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(CacheClientError);
    return error as CacheClientError;
  }
  throw new Error('the call succeeded; a failure was expected');
}

describe('smart client: the router\'s contract, one hop', function () {
  let cluster: LocalCluster;
  let byRouter: CacheClient;
  let byZooKeeper: CacheClient;
  let base: string;

  before(async () => {
    // A 1 MiB store, so an entry can be too large for a server while within the API's limits.
    cluster = await LocalCluster.start({ servers: 3, env: { MAX_MEMORY: '1Mi' } });
    base = cluster.client.url;
    [byRouter, byZooKeeper] = await Promise.all([viaRouter(cluster), viaZooKeeper(cluster)]);
  });
  after(async () => {
    await Promise.all([byRouter?.close(), byZooKeeper?.close()]);
    await cluster?.stop();
  });

  it('sees the ring the router sees, through the router and through ZooKeeper', async () => {
    const routerRing = await cluster.ring();
    for (const client of [byRouter, byZooKeeper]) {
      expect(client.ring().members).to.deep.equal(routerRing.members);
      expect(client.ring().replicationFactor).to.equal(2);
    }
  });

  it('reads what a router wrote, and a router reads what it wrote', async () => {
    expect((await call(`${base}/api/post?key=from-router&value=r1`, { method: 'POST' })).status).to.equal(200);
    expect(await byRouter.get('from-router')).to.equal('r1');
    expect(await byZooKeeper.get('from-router')).to.equal('r1');

    await byZooKeeper.set('from-client', 'c1');
    expect((await call(`${base}/api/get/from-client`)).text).to.equal('c1');
    await byRouter.set('from-client', 'c2');
    expect((await call(`${base}/api/get/from-client`)).text).to.equal('c2');
    expect(await byZooKeeper.get('from-client')).to.equal('c2');
  });

  it('stores keys the router does not need to encode, on the same owners', async () => {
    const key = 'a/b c?d=é';
    await byRouter.set(key, 'odd');
    expect((await call(`${base}/api/get/${encodeURIComponent(key)}`)).text).to.equal('odd');
  });

  it('answers undefined for an absent key, and delete says whether the key held a value', async () => {
    expect(await byRouter.get('never-written')).to.equal(undefined);
    await byRouter.set('doomed', 'x');
    expect(await byZooKeeper.delete('doomed')).to.equal(true);
    expect(await byRouter.delete('doomed')).to.equal(false);
    expect(await byRouter.get('doomed')).to.equal(undefined);
    expect((await call(`${base}/api/get/doomed`)).status).to.equal(404);
    expect((await call(`${base}/api/keys/doomed`, { method: 'DELETE' })).status).to.equal(404);
  });

  it('expires a key set with a TTL, for itself and for the router', async () => {
    await byRouter.set('short-lived', 'v', { ttlSeconds: 1 });
    await byRouter.mset([{ key: 'short-lived-batch', value: 'v', ttlSeconds: 1 }, { key: 'long-lived-batch', value: 'v' }]);
    expect(await byRouter.get('short-lived')).to.equal('v');
    await waitFor('the TTL to pass', async () => (await byZooKeeper.get('short-lived')) === undefined, { timeoutMs: 5000, intervalMs: 100 });
    expect((await call(`${base}/api/get/short-lived`)).status).to.equal(404);
    expect(await byRouter.get('short-lived-batch')).to.equal(undefined);
    expect(await byRouter.get('long-lived-batch')).to.equal('v');
  });

  it('mset and mget agree with the router\'s /api/mset and /api/mget', async () => {
    await byRouter.mset([{ key: 'm1', value: 'one' }, { key: 'm2', value: 'two' }]);
    expect((await postJson(`${base}/api/mset`, { entries: [{ key: 'm3', value: 'three' }] })).status).to.equal(200);
    const values = await byZooKeeper.mget(['m1', 'm2', 'm3', 'm-missing']);
    expect([...values]).to.deep.equal([['m1', 'one'], ['m2', 'two'], ['m3', 'three'], ['m-missing', undefined]]);
    const viaRouterApi = (await postJson(`${base}/api/mget`, { keys: ['m1', 'm2', 'm3', 'm-missing'] })).json();
    expect(viaRouterApi).to.deep.equal({ values: { m1: 'one', m2: 'two', m3: 'three', 'm-missing': null } });
  });

  it('refuses bad input with BadInputError or TooLargeError, with the router\'s own message', async () => {
    const cases: Array<[string, () => Promise<unknown>, () => Promise<{ status: number; text: string }>, typeof BadInputError]> = [
      ['an empty key', () => byRouter.set('', 'v'), () => postJson(`${base}/api/post`, { key: '', value: 'v' }), BadInputError],
      ['a key over the limit', () => byRouter.get('k'.repeat(MAX_KEY_BYTES + 1)), () => call(`${base}/api/get/${'k'.repeat(MAX_KEY_BYTES + 1)}`), BadInputError],
      ['a TTL of 0', () => byRouter.set('k', 'v', { ttlSeconds: 0 }), () => postJson(`${base}/api/post`, { key: 'k', value: 'v', ttl: 0 }), BadInputError],
      ['a fractional TTL', () => byRouter.mset([{ key: 'k', value: 'v', ttlSeconds: 1.5 }]), () => postJson(`${base}/api/mset`, { entries: [{ key: 'k', value: 'v', ttl: 1.5 }] }), BadInputError],
      ['an empty mget', () => byRouter.mget([]), () => postJson(`${base}/api/mget`, { keys: [] }), BadInputError],
      ['an mget over the limit', () => byRouter.mget(Array.from({ length: MAX_BATCH_KEYS + 1 }, (_, i) => `k${i}`)),
        () => postJson(`${base}/api/mget`, { keys: Array.from({ length: MAX_BATCH_KEYS + 1 }, (_, i) => `k${i}`) }), BadInputError],
      ['a value over the limit', () => byRouter.set('big', 'v'.repeat(MAX_VALUE_BYTES + 1)), () => postJson(`${base}/api/post`, { key: 'big', value: 'v'.repeat(MAX_VALUE_BYTES + 1) }), TooLargeError],
      ['an entry larger than a server\'s store', () => byRouter.set('huge', 'v'.repeat(MAX_VALUE_BYTES)),
        () => call(`${base}/api/keys/huge`, { method: 'PUT', body: 'v'.repeat(MAX_VALUE_BYTES) }), TooLargeError],
    ];
    for (const [what, viaClient, viaRouterApi, kind] of cases) {
      const error = await failure(viaClient());
      const answer = await viaRouterApi();
      expect(error, what).to.be.instanceOf(kind);
      expect(error.retryable, what).to.equal(false);
      expect(answer.status, what).to.equal(kind === TooLargeError ? 413 : 400);
      const routerMessage = (JSON.parse(answer.text) as { error: string }).error;
      // The entry's size counts its version, whose writer id differs between a router and a client.
      const same = (text: string): string => text.replace(/^entry of \d+ bytes/, 'entry of N bytes');
      expect(same(error.message), what).to.equal(same(routerMessage));
    }
    expect(await byRouter.get('big')).to.equal(undefined);
  });

  it('refuses options it cannot use before connecting', async () => {
    const bad = [
      () => CacheClient.connect({ ring: { router: 'not a url' }, clusterToken: 'x'.repeat(16) }),
      () => CacheClient.connect({ ring: { router: base }, clusterToken: 'short' }),
      () => CacheClient.connect({ ring: { router: base } }),
      () => CacheClient.connect({ ring: { zookeeper: cluster.zookeeper.connectString, replicationFactor: 0 }, clusterToken: 'x'.repeat(16) }),
      () => CacheClient.connect({ ring: { router: base }, clusterToken: { file: '/nonexistent/token' } }),
    ];
    for (const connect of bad) expect(await failure(connect())).to.be.instanceOf(BadInputError);
  });

  it('fails with AuthError when the servers refuse its cluster token, and stores nothing', async () => {
    const wrong = await viaRouter(cluster, { clusterToken: 'not-the-cluster-token-at-all' });
    const none = await viaRouter(cluster, { clusterToken: undefined, insecure: true });
    try {
      for (const client of [wrong, none]) {
        const read = await failure(client.get('from-client'));
        expect(read, read.message).to.be.instanceOf(AuthError);
        expect(await failure(client.set('auth-refused', 'v'))).to.be.instanceOf(AuthError);
        expect(await failure(client.delete('from-client'))).to.be.instanceOf(AuthError);
      }
      expect(await byRouter.get('auth-refused')).to.equal(undefined);
      expect(await byRouter.get('from-client')).to.equal('c2');
    } finally {
      await Promise.all([wrong.close(), none.close()]);
    }
  });

  it('fails with UnavailableError when no ring with a server can be found', async () => {
    const empty = await failure(CacheClient.connect({
      ring: { zookeeper: cluster.zookeeper.connectString, cacheName: 'no-such-cache', replicationFactor: 2, sessionTimeoutMs: 2000 },
      clusterToken: 'x'.repeat(16), readyTimeoutMs: 500,
    }));
    expect(empty).to.be.instanceOf(UnavailableError);
    expect(empty.retryable).to.equal(true);
    const noRouter = await failure(CacheClient.connect({ ring: { router: 'http://127.0.0.1:1' }, clusterToken: 'x'.repeat(16) }));
    expect(noRouter).to.be.instanceOf(UnavailableError);
  });

  it('refuses every call once closed', async () => {
    const client = await viaZooKeeper(cluster);
    expect(await client.get('from-client')).to.equal('c2');
    await client.close();
    expect(await failure(client.get('from-client'))).to.be.instanceOf(ClosedError);
    expect(await failure(client.set('k', 'v'))).to.be.instanceOf(ClosedError);
  });
});

describe('smart client: following the ring', function () {
  let cluster: LocalCluster;
  const clients: CacheClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await cluster?.stop();
  });

  it('sees a server join, through the router and through ZooKeeper', async () => {
    cluster = await LocalCluster.start({ servers: 2 });
    clients.push(await viaRouter(cluster), await viaZooKeeper(cluster));
    await cluster.addServer();
    await cluster.waitForMembers(3);
    for (const client of clients) {
      await waitFor('the client to see 3 serving servers', () => client.ring().members.filter((m) => m.state === 'serving').length === 3, { timeoutMs: 5000 });
    }
  });

  it('routes each write by a ring read within WRITE_RING_MAX_AGE_MS, so it reaches a server that joined between polls', async () => {
    cluster = await LocalCluster.start({ servers: 2 });
    // Polling is all but off: only a write's freshness check makes it look again.
    const client = await viaRouter(cluster, { pollIntervalMs: 600_000 });
    clients.push(client);
    const joiner = await cluster.addServer();
    await cluster.waitForMembers(3);
    const keys = Array.from({ length: 300 }, (_, i) => `fresh-${i}`);
    await client.mset(keys.map((key) => ({ key, value: key })));
    const joinerId = joiner.options.nodeId!;
    const ring = new Ring(client.ring().members);
    const owned = keys.filter((key) => ownsKey(key, ring, joinerId, 2));
    expect(owned.length, 'keys the joiner owns').to.be.greaterThan(100);
    // Held by the joiner itself: the writes went to it, not only to the owners before it.
    const missing = [];
    for (const key of owned) if ((await call(`${joiner.url}/api/get/${key}`)).status !== 200) missing.push(key);
    expect(missing).to.deep.equal([]);
  });

  it('refuses a write with UnavailableError once no router can say what the ring is, and keeps reading by the last ring', async () => {
    cluster = await LocalCluster.start({ servers: 2 });
    const client = await viaRouter(cluster);
    clients.push(client);
    await client.set('before', 'v');
    await cluster.client.kill();
    const refused = await waitFor('a write to be refused', async () => {
      try {
        await client.set('after', 'v');
        return undefined;
      } catch (error) {
        return error;
      }
    }, { timeoutMs: 10_000, intervalMs: 100 });
    expect(refused).to.be.instanceOf(UnavailableError);
    expect((refused as Error).message).to.contain('could miss a joining server');
    expect(await client.get('before')).to.equal('v');
  });

  it('looks at the ring again at once when an owner stops answering, not at its next poll', async () => {
    cluster = await LocalCluster.start({ servers: 3 });
    // Polling is all but off: only an owner's failure can make it look again.
    const client = await viaRouter(cluster, { pollIntervalMs: 600_000 });
    clients.push(client);
    const keys = Array.from({ length: 200 }, (_, i) => `follow-${i}`);
    await client.mset(keys.map((key) => ({ key, value: key })));
    const victim = cluster.servers[0]!;
    await victim.kill();
    await waitFor('the client to drop the killed server', async () => {
      const values = await client.mget(keys);
      expect([...values.values()].filter((v) => v === undefined), 'every key still reads').to.deep.equal([]);
      return !client.ring().members.some((m) => m.id === victim.options.nodeId && m.state === 'serving');
    }, { timeoutMs: 20_000, intervalMs: 200 });
    expect(client.stats().ringRefreshes).to.be.greaterThan(0);
  });
});
