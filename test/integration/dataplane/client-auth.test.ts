// Client auth on a real router (CLIENT_TOKENS_FILE): the public API answers
// 401 without an accepted bearer token and stores nothing, 200 with one; the
// probes and the scrape stay open; tokens added to or removed from the file
// take effect with no restart. With auth off (every other test here) the
// API is the seed's, unchanged.
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '../../support/cluster.js';
import type { DataplaneProcess } from '../../support/dataplane-process.js';
import { call } from '../../support/http.js';
import { metric } from '../../support/inspect.js';
import { waitFor } from '../../support/wait.js';

const ALICE = 'alice-client-token-0123456789';
const BOB = 'bob-client-token-0123456789';
const FAILURES = 'dcache_client_auth_failures_total';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('client auth on the public API', function () {
  let cluster: LocalCluster;
  let router: DataplaneProcess;
  let tokensFile: string;

  before(async () => {
    tokensFile = join(mkdtempSync(join(tmpdir(), 'client-tokens-')), 'tokens');
    writeFileSync(tokensFile, `# the shop\n${ALICE}\n`, { mode: 0o600 });
    cluster = await LocalCluster.start({ servers: 1 });
    router = await cluster.addClient({ CLIENT_TOKENS_FILE: tokensFile });
    await waitFor('the guarded router to be ready', async () => (await call(`${router.url}/readyz`)).status === 200, { timeoutMs: 30_000, intervalMs: 100 });
  });
  after(async () => cluster?.stop());

  it('answers 401 with a JSON error and WWW-Authenticate: Bearer without a token or with a wrong one, and stores nothing', async () => {
    const attempts: Array<[string, Record<string, string>]> = [['no token', {}], ['a wrong token', bearer(BOB)], ['another scheme', { authorization: `Basic ${ALICE}` }]];
    for (const [what, headers] of attempts) {
      for (const [method, path] of [['PUT', '/api/keys/guarded'], ['POST', '/api/post?key=guarded&value=x'], ['GET', '/api/get/guarded'], ['GET', '/api/ring']]) {
        const answer = await call(`${router.url}${path}`, { method, headers, ...(method === 'PUT' ? { body: 'intruder' } : {}) });
        expect(answer.status, `${method} ${path} with ${what}`).to.equal(401);
        expect(answer.headers.get('www-authenticate')).to.equal('Bearer');
        expect(answer.json()).to.have.property('error').that.is.a('string');
      }
    }
    expect(await metric(router, FAILURES, { reason: 'missing' })).to.equal(4);
    expect(await metric(router, FAILURES, { reason: 'wrong' })).to.equal(8);
    // Nothing was stored: the unguarded router sees no key.
    expect((await call(`${cluster.client.url}/api/get/guarded`)).status).to.equal(404);
  });

  it('answers as usual with an accepted token', async () => {
    expect((await call(`${router.url}/api/keys/guarded`, { method: 'PUT', headers: bearer(ALICE), body: 'hello' })).status).to.equal(204);
    const read = await call(`${router.url}/api/get/guarded`, { headers: bearer(ALICE) });
    expect([read.status, read.text]).to.deep.equal([200, 'hello']);
  });

  it('leaves /healthz, /readyz and /metrics open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await call(`${router.url}${path}`)).status, path).to.equal(200);
  });

  it('takes a new token and drops a removed one with no restart', async () => {
    writeFileSync(tokensFile, `${BOB}\n`);
    await waitFor('the new token to be accepted', async () => (await call(`${router.url}/api/get/guarded`, { headers: bearer(BOB) })).status === 200, { timeoutMs: 15_000, intervalMs: 200 });
    expect((await call(`${router.url}/api/get/guarded`, { headers: bearer(ALICE) })).status).to.equal(401);
  });
});
