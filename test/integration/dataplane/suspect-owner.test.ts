// An owner that was stopped past the router's 5 s upstream timeout, but not
// for a whole ZooKeeper session, wakes still an owner and without the writes
// the other owner took meanwhile. A router that failed to reach it reads every
// owner of its keys until anti-entropy has compared it (docs/consistency.md,
// "An owner that missed writes"), so it never answers the older value. Anti-
// entropy is off here, so the read path alone must get it right.
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ring } from '../../../dataplane/ring/ring.js';
import { LocalCluster } from '../../support/cluster.js';
import { call } from '../../support/http.js';
import { clusterTokenHeaders } from '../../support/cluster-token.js';
import type { DataplaneProcess } from '../../support/dataplane-process.js';

/** What one server holds for a key, asked over the internal route. */
async function heldBy(server: DataplaneProcess, key: string): Promise<string | undefined> {
  const answer = await call(`${server.url}/internal/v1/batch`, {
    method: 'POST', headers: { ...clusterTokenHeaders(), 'content-type': 'application/json' },
    body: JSON.stringify({ ops: [{ op: 'get', key }] }),
  });
  const [result] = (answer.json() as { results: Array<{ found?: boolean; value?: string }> }).results;
  return result?.found === true ? result.value : undefined;
}

describe('a router reads every owner of a key whose owner it could not reach lately', function () {
  this.timeout(120_000);
  let cluster: LocalCluster | undefined;
  after(async () => cluster?.stop());

  it('an owner stopped 7 s (past the upstream timeout, inside its session) is not read alone when it wakes behind', async () => {
    // A session of 30 s keeps the stopped server in the ring; no anti-entropy, so nothing else repairs it.
    cluster = await LocalCluster.start({ servers: 3, env: { ZK_SESSION_TIMEOUT: '30s', ANTI_ENTROPY_INTERVAL: '0' } });
    const ring = new Ring((await cluster.ring()).members);
    const stopped = cluster.servers[0] as DataplaneProcess;
    // Keys the stopped server decides (first owner): a settled router reads them from it first.
    const keys = Array.from({ length: 200 }, (_, i) => `suspect-${i}`).filter((key) => ring.ownersOf(key, 2)[0]?.id === stopped.options.nodeId).slice(0, 5);
    expect(keys, 'keys the stopped server decides').to.have.length(5);
    for (const key of keys) expect((await call(`${cluster.client.url}/api/post?key=${key}&value=before`, { method: 'POST' })).status).to.equal(200);

    stopped.pause();
    const writes = Date.now();
    try {
      for (const key of keys) {
        const answer = await call(`${cluster.client.url}/api/post?key=${key}&value=after`, { method: 'POST' });
        expect(answer.status, `write of ${key} while its deciding owner is stopped: ${answer.text}`).to.equal(200);
      }
      console.log(`      5 writes acknowledged by the other owner in ${((Date.now() - writes) / 1000).toFixed(1)} s (the stopped one timed out)`);
      await sleep(Math.max(0, 7_000 - (Date.now() - writes)));
    } finally {
      stopped.resume();
    }
    expect((await cluster.ring()).members.map((m) => m.id), 'the stopped server is still in the ring').to.include(stopped.options.nodeId);
    for (const key of keys) expect(await heldBy(stopped, key), `${key} on the woken owner`).to.equal('before');

    for (const key of keys) {
      const answer = await call(`${cluster.client.url}/api/get/${key}`);
      expect(answer.text, `read of ${key} after its owner woke`).to.equal('after');
    }
    // The read found the woken owner behind and copied the newest value to it.
    for (const key of keys) expect(await heldBy(stopped, key), `${key} on the woken owner after the read`).to.equal('after');
  });
});
