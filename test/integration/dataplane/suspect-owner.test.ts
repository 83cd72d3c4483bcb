// An owner the router cannot reach for longer than its 5 s upstream timeout
// (here a black hole in the network lab: packets lost, never refused) misses
// the writes the other owner decides meanwhile, and stays in the ring, since
// it still reaches ZooKeeper. Once it is reachable again, a router that failed
// to reach it reads every owner of its keys and takes the newest version,
// until anti-entropy has surely compared it (docs/consistency.md, "An owner
// that missed writes"). Anti-entropy is off here, so the read path alone must
// get it right.
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ring } from '../../../dataplane/ring/ring.js';
import { clusterTokenHeaders } from '../../support/cluster-token.js';
import { call } from '../../support/http.js';
import { routerHost, startLabCluster, type LabCluster } from '../../support/lab-cluster.js';
import { skipWithoutLab } from '../../support/lab/prerequisites.js';
import type { DataplaneProcess } from '../../support/dataplane-process.js';

describe('a router reads every owner of a key whose owner it could not reach lately', function () {
  this.timeout(180_000);
  let lab: LabCluster | undefined;
  before(function () {
    skipWithoutLab(this, 'the suspect-owner test');
  });
  after(async () => lab?.stop());

  it('an owner black-holed from the router 8 s answers reads alone no more once reachable: the newest version wins, and it is repaired', async () => {
    const l = (lab = await startLabCluster({ servers: 3, routers: 1, env: { ANTI_ENTROPY_INTERVAL: '0' } }));
    const router = l.cluster.client;
    const ring = new Ring((await l.cluster.ring()).members);
    const victim = l.cluster.servers[0] as DataplaneProcess;
    // Keys the victim decides (first owner): a router on a settled ring reads them from it first.
    const keys = Array.from({ length: 300 }, (_, i) => `suspect-${i}`).filter((key) => ring.ownersOf(key, 2)[0]?.id === victim.options.nodeId).slice(0, 4);
    expect(keys, 'keys the victim decides').to.have.length(4);
    for (const key of keys) expect((await call(`${router.url}/api/post?key=${key}&value=before`, { method: 'POST' })).status).to.equal(200);

    // Only between the victim and the router: it still reaches ZooKeeper and its peers, so it stays in the ring.
    await l.lab.blackhole(l.hostOf(victim), [routerHost(1)]);
    const started = Date.now();
    try {
      await Promise.all(keys.map(async (key) => {
        const answer = await call(`${router.url}/api/post?key=${key}&value=after`, { method: 'POST' });
        expect(answer.status, `write of ${key} while its deciding owner is unreachable: ${answer.text}`).to.equal(200);
      }));
      console.log(`      ${keys.length} writes acknowledged by the other owner after ${((Date.now() - started) / 1000).toFixed(1)} s (the victim timed out)`);
      await sleep(Math.max(0, 8_000 - (Date.now() - started)));
    } finally {
      await l.lab.heal();
    }
    expect((await l.cluster.ring()).members.find((m) => m.id === victim.options.nodeId)?.state, 'the victim still serves').to.equal('serving');

    for (const key of keys) {
      const answer = await call(`${router.url}/api/get/${key}`);
      expect(answer.text, `read of ${key} once its deciding owner is reachable again`).to.equal('after');
    }
    // Read repair copied the newest version to the victim (or a late packet of the lost write did).
    const held = await call(`${victim.url}/internal/v1/batch`, {
      method: 'POST', headers: { ...clusterTokenHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ ops: keys.map((key) => ({ op: 'get', key })) }),
    });
    expect((held.json() as { results: Array<{ value?: string }> }).results.map((r) => r.value), 'the victim after the reads').to.deep.equal(keys.map(() => 'after'));
  });
});
