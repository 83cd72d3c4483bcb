// The public API contract (README, "HTTP API"), black-box
// against real ZooKeeper, three real servers and a real client.
import { expect } from 'chai';
import { LocalCluster } from '../../support/cluster.js';
import { call, postJson } from '../../support/http.js';
import { waitFor } from '../../support/wait.js';

const AWKWARD_KEYS = ['hello world', 'a/b/c', 'ключ', 'emoji 🎉', '100%', 'q?x=1&y=2', 'hash#tag', 'plus+sign', 'dots..in..key', '__proto__', ' leading and trailing '];

describe('public API (3 servers, 1 client)', function () {
  let cluster: LocalCluster;
  let base: string;

  before(async function () {
    cluster = await LocalCluster.start({ servers: 3 });
    base = cluster.client.url;
  });
  after(async () => cluster?.stop());

  describe('the original API', () => {
    it('stores with POST /api/post?key&value and answers the prototype\'s exact text', async () => {
      const answer = await call(`${base}/api/post?key=greeting&value=hello`, { method: 'POST' });
      expect(answer.status).to.equal(200);
      expect(answer.headers.get('content-type')).to.match(/^text\/plain/);
      expect(answer.text).to.equal('Key-Value pair added successfully');
      const read = await call(`${base}/api/get/greeting`);
      expect(read.status).to.equal(200);
      expect(read.headers.get('content-type')).to.match(/^text\/plain/);
      expect(read.text).to.equal('hello');
    });

    for (const key of AWKWARD_KEYS) {
      it(`round-trips the key ${JSON.stringify(key)} through percent-encoding`, async () => {
        const value = `value of ${key} ✓`;
        const query = new URLSearchParams({ key, value }).toString();
        expect((await call(`${base}/api/post?${query}`, { method: 'POST' })).status).to.equal(200);
        const read = await call(`${base}/api/get/${encodeURIComponent(key)}`);
        expect(read.status).to.equal(200);
        expect(read.text).to.equal(value);
      });
    }

    it('answers 404 with a JSON error for an absent key', async () => {
      const answer = await call(`${base}/api/get/never-written`);
      expect(answer.status).to.equal(404);
      expect(answer.headers.get('content-type')).to.match(/^application\/json/);
      expect(answer.json()).to.deep.equal({ error: 'key not found: "never-written"' });
    });

    it('takes a JSON body {key, value, ttl} as well', async () => {
      const answer = await postJson(`${base}/api/post`, { key: 'json-key', value: 'json-value' });
      expect(answer.status).to.equal(200);
      expect(answer.text).to.equal('Key-Value pair added successfully');
      expect((await call(`${base}/api/get/json-key`)).text).to.equal('json-value');
    });

    it('overwrites a key with the latest write', async () => {
      for (const value of ['one', 'two', 'three']) await call(`${base}/api/post?key=over&value=${value}`, { method: 'POST' });
      expect((await call(`${base}/api/get/over`)).text).to.equal('three');
    });
  });

  describe('TTL', () => {
    it('expires a key written with ttl', async () => {
      expect((await call(`${base}/api/post?key=brief&value=v&ttl=1`, { method: 'POST' })).status).to.equal(200);
      expect((await call(`${base}/api/get/brief`)).status).to.equal(200);
      await waitFor('the key to expire', async () => (await call(`${base}/api/get/brief`)).status === 404, { timeoutMs: 5000 });
    });

    it('expires keys written by PUT ?ttl and by mset', async () => {
      expect((await call(`${base}/api/keys/brief-put?ttl=1`, { method: 'PUT', body: 'v' })).status).to.equal(204);
      expect((await postJson(`${base}/api/mset`, { entries: [{ key: 'brief-mset', value: 'v', ttl: 1 }] })).status).to.equal(200);
      await waitFor('both keys to expire', async () => {
        const answer = await postJson(`${base}/api/mget`, { keys: ['brief-put', 'brief-mset'] });
        const { values } = answer.json() as { values: Record<string, string | null> };
        return values['brief-put'] === null && values['brief-mset'] === null;
      }, { timeoutMs: 5000 });
    });
  });

  describe('REST form', () => {
    it('PUT stores the body as the value, GET reads it, DELETE removes it', async () => {
      const value = 'line one\nline two ✓';
      expect((await call(`${base}/api/keys/rest%2Fkey`, { method: 'PUT', body: value })).status).to.equal(204);
      const read = await call(`${base}/api/keys/rest%2Fkey`);
      expect(read.status).to.equal(200);
      expect(read.text).to.equal(value);
      expect((await call(`${base}/api/get/rest%2Fkey`)).text, 'both read forms agree').to.equal(value);
      expect((await call(`${base}/api/keys/rest%2Fkey`, { method: 'DELETE' })).status).to.equal(204);
      expect((await call(`${base}/api/keys/rest%2Fkey`)).status).to.equal(404);
    });

    it('DELETE answers 404 for an absent key', async () => {
      const answer = await call(`${base}/api/keys/not-there`, { method: 'DELETE' });
      expect(answer.status).to.equal(404);
      expect(answer.json()).to.have.property('error');
    });

    it('stores an empty value', async () => {
      expect((await call(`${base}/api/keys/empty`, { method: 'PUT', body: '' })).status).to.equal(204);
      const read = await call(`${base}/api/keys/empty`);
      expect(read.status).to.equal(200);
      expect(read.text).to.equal('');
    });
  });

  describe('batch forms', () => {
    it('mset stores every entry and mget returns them, with null for absent keys', async () => {
      const entries = Array.from({ length: 200 }, (_, i) => ({ key: `batch-${i}`, value: `v-${i}` }));
      const stored = await postJson(`${base}/api/mset`, { entries });
      expect(stored.status).to.equal(200);
      expect(stored.json()).to.deep.equal({ stored: 200 });
      const keys = [...entries.map((e) => e.key), 'batch-absent', '__proto__'];
      const answer = await postJson(`${base}/api/mget`, { keys });
      expect(answer.status).to.equal(200);
      const { values } = answer.json() as { values: Record<string, string | null> };
      for (const { key, value } of entries) expect(values[key]).to.equal(value);
      expect(values['batch-absent']).to.equal(null);
      expect(Object.keys(values)).to.have.length(keys.length);
    });
  });

  describe('replication', () => {
    it('stores each write on R=2 servers, found by asking each server directly', async () => {
      const keys = Array.from({ length: 30 }, (_, i) => `replicated-${i}`);
      await postJson(`${base}/api/mset`, { entries: keys.map((key) => ({ key, value: key })) });
      for (const key of keys) {
        const copies = await Promise.all(cluster.servers.map(async (s) => (await call(`${s.url}/api/get/${key}`)).status === 200));
        expect(copies.filter(Boolean), `copies of ${key}`).to.have.length(2);
      }
    });
  });

  describe('ring, health and metrics', () => {
    it('/api/ring shows the members, their state, the epoch and R', async () => {
      const ring = await cluster.ring();
      expect(ring.replicationFactor).to.equal(2);
      expect(ring.epoch).to.be.a('number').and.to.be.at.least(1);
      expect(ring.members.map((m) => m.id)).to.deep.equal(['server-1', 'server-2', 'server-3']);
      for (const member of ring.members) {
        expect(member.state).to.equal('serving');
        expect(member.address).to.match(/^127\.0\.0\.1:\d+$/);
      }
    });

    it('/healthz and /readyz answer 200 on the client and on servers', async () => {
      for (const target of [cluster.client, ...cluster.servers]) {
        expect((await call(`${target.url}/healthz`)).status).to.equal(200);
        expect((await call(`${target.url}/readyz`)).status).to.equal(200);
      }
    });

    it('/metrics reports requests by route and status, hits and misses, the ring and the store', async () => {
      const client = (await call(`${base}/metrics`)).text;
      expect(client).to.contain('dcache_http_requests_total{route="/api/get/:key",method="GET",status="200"');
      expect(client).to.contain('dcache_http_request_duration_seconds_bucket');
      expect(client).to.match(/dcache_hits_total\{role="client"\} [1-9]/);
      expect(client).to.match(/dcache_misses_total\{role="client"\} [1-9]/);
      expect(client).to.match(/dcache_ring_members\{state="serving",role="client"\} 3/);
      const server = (await call(`${cluster.servers[0]!.url}/metrics`)).text;
      expect(server).to.match(/dcache_store_keys\{role="server"\} [1-9]/);
      expect(server).to.match(/dcache_store_bytes\{role="server"\} [1-9]/);
    });
  });
});
