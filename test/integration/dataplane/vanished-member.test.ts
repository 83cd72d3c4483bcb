// A server whose ZooKeeper session ends while it still serves (a ZooKeeper
// outage, or a cut between it and ZooKeeper alone) vanishes from the ring
// without saying it is leaving. A router that sees it vanish must keep
// writing to it for the departed grace, because a router whose view lags
// still reads it first (docs/consistency.md, "A member that vanished").
// Anti-entropy is off here, so the write path alone must get it right.
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { SETTLE_GRACE_MS } from '../../../dataplane/router/router-backend.js';
import { Ring } from '../../../dataplane/ring/ring.js';
import { call } from '../../support/http.js';
import { ZOOKEEPER } from '../../support/lab/lab.js';
import { routerHost, startLabCluster, type LabCluster } from '../../support/lab-cluster.js';
import { skipWithoutLab } from '../../support/lab/prerequisites.js';
import { waitFor } from '../../support/wait.js';
import type { DataplaneProcess } from '../../support/dataplane-process.js';

describe('a router keeps writing to a member that vanished from ZooKeeper unannounced', function () {
  this.timeout(180_000);
  let lab: LabCluster | undefined;
  before(function () {
    skipWithoutLab(this, 'the vanished-member test');
  });
  after(async () => lab?.stop());

  it('a write through the router that saw it vanish is read by a router whose view lags', async () => {
    const l = (lab = await startLabCluster({ servers: 3, routers: 2, env: { ANTI_ENTROPY_INTERVAL: '0' } }));
    const [seeing, lagging] = l.cluster.clients as [DataplaneProcess, DataplaneProcess];
    const ring = new Ring((await l.cluster.ring()).members);
    const victim = l.cluster.servers[0] as DataplaneProcess;
    // Keys the victim decides (first owner): the lagging router reads them from it first.
    const keys = Array.from({ length: 300 }, (_, i) => `vanished-${i}`).filter((key) => ring.ownersOf(key, 2)[0]?.id === victim.options.nodeId).slice(0, 4);
    expect(keys, 'keys the victim decides').to.have.length(4);
    for (const key of keys) expect((await call(`${seeing.url}/api/post?key=${key}&value=before`, { method: 'POST' })).status).to.equal(200);

    // A router reads a settled ring's owners in order, the victim first; one
    // whose ring changed lately asks every owner. Nothing shows when the
    // grace has passed, so wait it out.
    await sleep(SETTLE_GRACE_MS + 500);
    // The lagging router first, so that it never learns the victim's session ended; then the victim.
    await l.lab.blackhole(routerHost(2), [ZOOKEEPER]);
    await l.lab.blackhole(l.hostOf(victim), [ZOOKEEPER]);
    try {
      await waitFor('the victim gone from the seeing router\'s view', async () => {
        const member = (await l.cluster.ring(seeing)).members.find((m) => m.id === victim.options.nodeId);
        return member?.state === 'leaving';
      }, { timeoutMs: 40_000, intervalMs: 100 });
      const vanishedAt = Date.now();
      for (const key of keys) {
        const answer = await call(`${seeing.url}/api/post?key=${key}&value=after`, { method: 'POST' });
        expect(answer.status, `write of ${key} after the victim vanished: ${answer.text}`).to.equal(200);
      }
      const writtenWithinMs = Date.now() - vanishedAt;
      expect(writtenWithinMs, 'the writes fell within the departed grace').to.be.below(5_000);
      expect((await l.cluster.ring(lagging)).members.find((m) => m.id === victim.options.nodeId)?.state, 'the lagging router\'s view').to.equal('serving');
      for (const key of keys) {
        const answer = await call(`${lagging.url}/api/get/${key}`);
        expect(answer.text, `read of ${key} through the lagging router`).to.equal('after');
      }
    } finally {
      await l.lab.heal();
    }
  });
});
