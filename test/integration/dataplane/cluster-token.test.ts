// The cluster credential on real processes: every internal route refuses a
// call without the token, or with a wrong one, and stores nothing; a process
// without a token starts only when told it may; and a token rotation under
// live traffic, with processes re-reading their token file, fails no request.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HANDOFF_PULL_PATH } from '../../../dataplane/protocol/handoff.js';
import { INTERNAL_BATCH_PATH } from '../../../dataplane/protocol/internal-batch.js';
import { LocalCluster } from '../../support/cluster.js';
import { clusterTokenHeaders, TEST_CLUSTER_TOKEN } from '../../support/cluster-token.js';
import { DataplaneProcess } from '../../support/dataplane-process.js';
import { call } from '../../support/http.js';
import { holders, metric } from '../../support/inspect.js';
import { moreTraffic, seedKeys, Traffic } from '../../support/traffic.js';
import { waitFor } from '../../support/wait.js';

const AUTH_FAILURES = 'dcache_internal_auth_failures_total';

describe('the cluster token on internal routes', function () {
  let cluster: LocalCluster;
  afterEach(async () => cluster?.stop());

  it('refuses every internal call without the token or with a wrong one, and stores or streams nothing', async () => {
    cluster = await LocalCluster.start({ servers: 2 });
    await seedKeys(cluster.client.url, 50);
    const server = cluster.servers[0] as DataplaneProcess;
    const intruder = { op: 'put', key: 'intruder', value: 'x', version: '9999999999999999zz', expiresAt: 0 };
    const pull = { requester: 'intruder', members: [], holders: [], skip: [], replicationFactor: 2 };
    const calls: Array<[string, unknown]> = [
      [INTERNAL_BATCH_PATH, { ops: [intruder] }],
      [HANDOFF_PULL_PATH, pull],
      [HANDOFF_PULL_PATH.toUpperCase(), pull],
      ['/internal/v2/anything', {}],
    ];
    const credentials: Array<[string, Record<string, string>, RegExp]> = [
      ['no token', {}, /require the cluster token/],
      ['a wrong token', clusterTokenHeaders(`${TEST_CLUSTER_TOKEN}-not`), /not accepted/],
    ];
    for (const [path, body] of calls) {
      for (const [what, headers, message] of credentials) {
        const answer = await call(`${server.url}${path}`, {
          method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body),
        });
        expect(answer.status, `${path} with ${what}: ${answer.text}`).to.equal(401);
        expect(answer.headers.get('content-type')).to.match(/^application\/json/);
        expect((answer.json() as { error: string }).error).to.match(message);
      }
    }
    expect(await metric(server, AUTH_FAILURES, { reason: 'missing' })).to.equal(calls.length);
    expect(await metric(server, AUTH_FAILURES, { reason: 'wrong' })).to.equal(calls.length);
    expect((await holders(cluster.servers, ['intruder'])).get('intruder')).to.deep.equal([]);
    expect((await call(`${cluster.client.url}/api/get/intruder`)).status).to.equal(404);
    // With the token, the same calls work: the refusals above were the token's doing.
    const allowed = await call(`${server.url}${INTERNAL_BATCH_PATH}`, {
      method: 'POST', headers: { ...clusterTokenHeaders(), 'content-type': 'application/json' }, body: JSON.stringify({ ops: [{ op: 'get', key: 'intruder' }] }),
    });
    expect(allowed.status).to.equal(200);
  });

  it('starts without a token only when told it is insecure, and says so loudly', async () => {
    cluster = await LocalCluster.start({ servers: 1 });
    const open = await DataplaneProcess.start(
      { role: 'client', zkConnect: cluster.zookeeper.connectString, cacheName: cluster.cacheName, env: { CLUSTER_TOKEN: '', INSECURE: 'true' } },
      { waitReady: false },
    );
    try {
      await waitFor('the insecure client to listen', async () => (await call(`${open.url}/healthz`)).status === 200);
      expect(readFileSync(open.logFile, 'utf8')).to.match(/"level":40.*INSECURE: started without a cluster token/);
      // Its calls carry no token, so a server that has one refuses them: no silent downgrade.
      await waitFor('the insecure client to see the server', async () => (await call(`${open.url}/readyz`)).status === 200);
      const answer = await call(`${open.url}/api/post?key=k&value=v`, { method: 'POST' });
      expect(answer.status).to.equal(503);
      expect(await metric(cluster.servers[0] as DataplaneProcess, AUTH_FAILURES, { reason: 'missing' })).to.be.greaterThan(0);
    } finally {
      await open.kill();
    }
  });

  it('rotates the token under live traffic, re-reading the token file, with no failed request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcache-token-'));
    const file = join(dir, 'token');
    const OLD = 'rotation-old-token-0123456789';
    const NEW = 'rotation-new-token-9876543210';
    writeFileSync(file, `${OLD}\n`);
    cluster = await LocalCluster.start({ servers: 3, env: { CLUSTER_TOKEN: '', CLUSTER_TOKEN_FILE: file } });
    const acked = await seedKeys(cluster.client.url, 2000);
    const traffic = new Traffic(() => cluster.client.url, acked).start();
    await moreTraffic(traffic, 300);

    // Step 1: the new token first, the old one second. Each process reads it on its own schedule,
    // so for a moment some send the new token to others that accept only the old one.
    let before = tokenChangesLogged(cluster);
    writeFileSync(file, `${NEW}\n${OLD}\n`);
    // A server joining now pulls its keys with the new token from servers that may not have it yet.
    await cluster.addServer();
    await everyProcessReread(before);
    await cluster.waitForMembers(4);
    await moreTraffic(traffic, 500);

    // Step 2: once every process has both, drop the old one.
    before = tokenChangesLogged(cluster);
    writeFileSync(file, `${NEW}\n`);
    await everyProcessReread(before);
    await moreTraffic(traffic, 500);
    const stats = await traffic.stop();

    const refusals = (await Promise.all(cluster.servers.map((s) => metric(s, AUTH_FAILURES)))).reduce((a, b) => a + b, 0);
    // Printed for the record: issue 15's closing note quotes the number of failed requests.
    console.log(`      [rotation] reads ${stats.reads}, writes ${stats.writes}, failed ${stats.errors}, misses ${stats.misses}, stale ${stats.stale}; internal calls refused and resent with the other token: ${refusals}`);
    expect(stats.errors, stats.firstProblems.join('\n')).to.equal(0);
    expect(stats.misses, stats.firstProblems.join('\n')).to.equal(0);
    expect(stats.stale, stats.firstProblems.join('\n')).to.equal(0);
    for (const server of cluster.servers) {
      const withToken = (token: string) => call(`${server.url}${INTERNAL_BATCH_PATH}`, {
        method: 'POST', headers: { ...clusterTokenHeaders(token), 'content-type': 'application/json' }, body: '{"ops":[]}',
      });
      expect((await withToken(OLD)).status, 'the old token, once removed').to.equal(401);
      expect((await withToken(NEW)).status).to.equal(200);
    }
  });
});

/** How many times a process has logged that its tokens changed. */
const tokenChanges = (process: DataplaneProcess): number =>
  (readFileSync(process.logFile, 'utf8').match(/"msg":"cluster tokens changed"/g) ?? []).length;

function tokenChangesLogged(cluster: LocalCluster): Map<DataplaneProcess, number> {
  return new Map([...cluster.servers, ...cluster.clients].map((process) => [process, tokenChanges(process)]));
}

/** Waits until each process has re-read its token file (every 2 s) since `before`. */
async function everyProcessReread(before: Map<DataplaneProcess, number>): Promise<void> {
  await waitFor('every process to re-read its token file', () => [...before].every(([process, count]) => tokenChanges(process) > count), {
    timeoutMs: 20_000, intervalMs: 200,
  });
}
