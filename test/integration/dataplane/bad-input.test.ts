// Every bad-input and unavailable case answers with the right status and a
// JSON error that says what is wrong, and never with a stack trace.
import { expect } from 'chai';
import { LocalCluster } from '../../support/cluster.js';
import { clusterTokenHeaders } from '../../support/cluster-token.js';
import { DataplaneProcess } from '../../support/dataplane-process.js';
import { call, postJson, type Answer } from '../../support/http.js';
import { waitFor } from '../../support/wait.js';

const MiB = 1024 * 1024;

function expectError(answer: Answer, status: number, message: RegExp): void {
  expect(answer.status, answer.text).to.equal(status);
  expect(answer.headers.get('content-type')).to.match(/^application\/json/);
  const body = answer.json() as { error?: unknown };
  expect(body.error).to.be.a('string').and.to.match(message);
  expect(answer.text, 'no stack trace').not.to.match(/\bat .+\.(js|ts):\d+/);
}

describe('bad input and unavailability', function () {
  let cluster: LocalCluster;
  let base: string;

  before(async function () {
    cluster = await LocalCluster.start({ servers: 3 });
    base = cluster.client.url;
  });
  after(async () => cluster?.stop());

  const cases: Array<[string, () => Promise<Answer>, number, RegExp]> = [
    ['a key over 250 bytes (GET)', () => call(`${base}/api/get/${'k'.repeat(251)}`), 400, /key is 251 bytes; the limit is 250/],
    ['a key over 250 bytes (POST)', () => call(`${base}/api/post?key=${'k'.repeat(251)}&value=v`, { method: 'POST' }), 400, /key is 251 bytes/],
    ['a key over 250 bytes counted in UTF-8', () => call(`${base}/api/keys/${encodeURIComponent('€'.repeat(84))}`, { method: 'PUT', body: 'v' }), 400, /252 bytes/],
    ['an empty key in the path', () => call(`${base}/api/get/`), 400, /key must not be empty/],
    ['an empty key in the query', () => call(`${base}/api/post?key=&value=v`, { method: 'POST' }), 400, /key must not be empty/],
    ['a key that is not valid percent-encoding', () => call(`${base}/api/get/%E0%A4%A`), 400, /percent-encoded/],
    ['a POST without key', () => call(`${base}/api/post?value=v`, { method: 'POST' }), 400, /key is required/],
    ['a POST without value', () => call(`${base}/api/post?key=k`, { method: 'POST' }), 400, /value is required/],
    ['a repeated key parameter', () => call(`${base}/api/post?key=a&key=b&value=v`, { method: 'POST' }), 400, /key must be given once/],
    ['a TTL that is not a positive whole number', () => call(`${base}/api/post?key=k&value=v&ttl=-5`, { method: 'POST' }), 400, /ttl must be a whole number/],
    ['a TTL in a JSON body of the wrong type', () => postJson(`${base}/api/post`, { key: 'k', value: 'v', ttl: 'soon' }), 400, /ttl must be/],
    ['a value over 1 MiB by PUT', () => call(`${base}/api/keys/big`, { method: 'PUT', body: 'v'.repeat(MiB + 1) }), 413, /limit/],
    ['a value over 1 MiB in the query string', () => call(`${base}/api/post?key=big&value=${'v'.repeat(MiB + 1)}`, { method: 'POST' }), 413, /value is 1048577 bytes; the limit is 1048576/],
    ['a value over 1 MiB in mset', () => postJson(`${base}/api/mset`, { entries: [{ key: 'big', value: 'v'.repeat(MiB + 1) }] }), 413, /value is 1048577 bytes/],
    ['a value that is not a string', () => postJson(`${base}/api/post`, { key: 'k', value: 42 }), 400, /value must be a string/],
    ['a body that is not JSON', () => call(`${base}/api/mget`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' }), 400, /not valid JSON/],
    ['a JSON route given another content type', () => call(`${base}/api/mset`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }), 415, /expected a JSON body/],
    ['mget without keys', () => postJson(`${base}/api/mget`, { wrong: [] }), 400, /body must be \{"keys"/],
    ['mget with a bad key', () => postJson(`${base}/api/mget`, { keys: ['ok', 7] }), 400, /keys\[1\]: key must be a string/],
    ['mget with too many keys', () => postJson(`${base}/api/mget`, { keys: Array.from({ length: 1001 }, (_, i) => `k${i}`) }), 400, /1001 items; the limit is 1000/],
    ['mset with an empty list', () => postJson(`${base}/api/mset`, { entries: [] }), 400, /must not be empty/],
    ['mset with an entry that is not an object', () => postJson(`${base}/api/mset`, { entries: ['k=v'] }), 400, /entries\[0\] must be an object/],
    ['PUT with a value that is not UTF-8', () => call(`${base}/api/keys/bin`, { method: 'PUT', body: new Uint8Array([0xff, 0xfe]) }), 400, /not valid UTF-8/],
    ['an unknown route', () => call(`${base}/api/nothing-here`), 404, /no route for GET \/api\/nothing-here/],
    ['a method a route does not take', () => call(`${base}/api/get/k`, { method: 'DELETE' }), 405, /method not allowed/],
    ['an internal route called with garbage', () => call(`${cluster.servers[0]!.url}/internal/v1/batch`, {
      method: 'POST', headers: { ...clusterTokenHeaders(), 'content-type': 'application/json' }, body: JSON.stringify({ ops: [{ op: 'drop', key: 'k' }] }),
    }), 400, /ops\[0\]\.op must be get, put or del/],
  ];
  for (const [what, request, status, message] of cases) {
    it(`answers ${status} for ${what}`, async () => expectError(await request(), status, message));
  }

  it('stores nothing for a refused write', async () => {
    await call(`${base}/api/post?key=refused&value=${'v'.repeat(MiB + 1)}`, { method: 'POST' });
    expect((await call(`${base}/api/get/refused`)).status).to.equal(404);
  });

  it('accepts a value of exactly 1 MiB', async () => {
    const value = 'v'.repeat(MiB);
    expect((await call(`${base}/api/keys/exactly-1mib`, { method: 'PUT', body: value })).status).to.equal(204);
    expect((await call(`${base}/api/keys/exactly-1mib`)).text).to.have.length(MiB);
  });

  describe('with no server in the ring', () => {
    let lonely: DataplaneProcess;
    before(async () => {
      lonely = await DataplaneProcess.start(
        { role: 'client', zkConnect: cluster.zookeeper.connectString, cacheName: 'no-servers-here' },
        { waitReady: false },
      );
      await waitFor('the lonely client to listen', async () => (await call(`${lonely.url}/healthz`)).status === 200);
    });
    after(async () => lonely?.stop());

    it('answers 503 with Retry-After for reads and writes', async () => {
      for (const answer of [
        await call(`${lonely.url}/api/get/k`),
        await call(`${lonely.url}/api/post?key=k&value=v`, { method: 'POST' }),
        await postJson(`${lonely.url}/api/mget`, { keys: ['k'] }),
      ]) {
        expectError(answer, 503, /no cache server is available/);
        expect(answer.headers.get('retry-after')).to.equal('1');
      }
    });

    it('is not ready, and says why', async () => {
      const answer = await call(`${lonely.url}/readyz`);
      expectError(answer, 503, /not ready: no cache server in the ring/);
      expect((await call(`${lonely.url}/healthz`)).status).to.equal(200);
    });
  });
});
