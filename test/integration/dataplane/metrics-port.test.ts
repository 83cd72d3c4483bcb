// METRICS_PORT on real processes: a server and a router serve /metrics, and
// nothing else, on a port of their own, so that a NetworkPolicy can open that
// port alone to scrapers; /metrics stays on the public port, and the process
// still stops cleanly on SIGTERM with both ports open. HTTPS on that port is
// in tls.test.ts.
import { expect } from 'chai';
import { LocalCluster } from '../../support/cluster.js';
import type { DataplaneProcess } from '../../support/dataplane-process.js';
import { call } from '../../support/http.js';
import { freePort } from '../../support/ports.js';

describe('METRICS_PORT: /metrics alone on a port of its own', function () {
  let cluster: LocalCluster;
  const metricsPort = new Map<DataplaneProcess, number>();

  before(async () => {
    cluster = await LocalCluster.start({ servers: 1 });
    const serverPort = await freePort();
    metricsPort.set(await cluster.addServer({ METRICS_PORT: String(serverPort) }), serverPort);
    const routerPort = await freePort();
    const router = await cluster.addClient({ METRICS_PORT: String(routerPort) });
    metricsPort.set(router, routerPort);
    await cluster.waitForMembers(2, 'serving', router);
  });
  after(async () => cluster?.stop());

  for (const role of ['server', 'router'] as const) {
    const processOf = (): DataplaneProcess => [...metricsPort.keys()][role === 'server' ? 0 : 1] as DataplaneProcess;
    const onMetricsPort = (path: string, init?: RequestInit) => call(`http://127.0.0.1:${metricsPort.get(processOf())}${path}`, init);

    it(`a ${role} answers /metrics there, in Prometheus text, with its role's metrics`, async () => {
      const answer = await onMetricsPort('/metrics');
      expect(answer.status).to.equal(200);
      expect(answer.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
      const roleLabel = role === 'server' ? 'server' : 'client';
      expect(answer.text).to.match(new RegExp(`^dcache_ring_members\\{(?=[^}]*state="serving")(?=[^}]*role="${roleLabel}")[^}]*\\} 2$`, 'm'));
      // The public port keeps /metrics (the data plane's HTTP contract).
      expect((await call(`${processOf().url}/metrics`)).status).to.equal(200);
    });

    it(`a ${role} answers nothing else there: the data, probes and internal routes are 404, with a JSON error`, async () => {
      for (const path of ['/api/get/some-key', '/healthz', '/readyz', '/api/ring', '/internal/v1/batch']) {
        const answer = await onMetricsPort(path);
        expect(answer.status, path).to.equal(404);
        expect(answer.json(), path).to.have.property('error').that.is.a('string');
      }
      const write = await onMetricsPort('/api/post?key=k&value=v', { method: 'POST' });
      expect(write.status).to.equal(404);
      expect((await onMetricsPort('/metrics', { method: 'POST' })).status, 'POST /metrics').to.equal(405);
    });
  }

  it('a process with a metrics port still stops cleanly on SIGTERM, and frees the port', async () => {
    const router = [...metricsPort.keys()][1] as DataplaneProcess;
    const port = metricsPort.get(router) as number;
    expect(await router.stop('SIGTERM')).to.equal(0);
    const error = await fetch(`http://127.0.0.1:${port}/metrics`).then(() => undefined, (e: Error) => e);
    expect(error, 'the metrics port is closed').to.be.instanceOf(Error);
  });
});
