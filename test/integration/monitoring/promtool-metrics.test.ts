// `promtool check metrics` (Prometheus' own naming and type lint) on what a
// real server and a real router serve on /metrics after some traffic and a
// hand-off, and on the operator's /metrics as its health server serves it.
import { expect } from 'chai';
import type { Server } from 'node:http';
import { OperatorMetrics } from '../../../operator/observability/metrics.js';
import { startHealthServer } from '../../../operator/observability/health-server.js';
import { LocalCluster } from '../../support/cluster.js';
import type { DataplaneProcess } from '../../support/dataplane-process.js';
import { call } from '../../support/http.js';
import { freePort } from '../../support/ports.js';
import { checkMetrics, promtoolBinary, type LintProblem } from '../../support/promtool.js';

/**
 * prom-client's default process metrics include gauges named nodejs_active_*_total
 * (handles, requests, resources), which promlint flags as "non-counter metrics
 * should not have _total suffix". They are prom-client's names, not ours, and
 * it offers no way to rename them; every other finding fails the test.
 */
const isPromClientDefault = (problem: LintProblem): boolean =>
  problem.metric.startsWith('nodejs_') && problem.text === 'non-counter metrics should not have "_total" suffix';

const VALUE = 'v'.repeat(300_000);

/** promtool's findings on an exposition, less prom-client's own (above). */
function ourProblems(exposition: string): LintProblem[] {
  const problems = checkMetrics(exposition);
  return problems.filter((problem) => !isPromClientDefault(problem));
}

async function scrape(process: DataplaneProcess): Promise<string> {
  const { status, text } = await call(`${process.url}/metrics`);
  expect(status).to.equal(200);
  return text;
}

describe('promtool check metrics', function () {
  let cluster: LocalCluster;

  before(async () => {
    promtoolBinary(); // fail at once, with how to build it, when it is missing
    // 1 MiB of memory, so that four 300 kB values make the server evict.
    cluster = await LocalCluster.start({ servers: 1, env: { MAX_MEMORY: '1Mi' } });
    const { url } = cluster.client;
    for (let i = 0; i < 4; i++) {
      expect((await call(`${url}/api/keys/big-${i}`, { method: 'PUT', body: VALUE })).status).to.equal(204);
    }
    expect((await call(`${url}/api/get/big-3`)).status).to.equal(200);
    expect((await call(`${url}/api/get/never-written`)).status).to.equal(404);
    // A second server joins, so the hand-off metrics have samples too.
    await cluster.addServer();
    await cluster.waitForMembers(2);
  });
  after(async () => cluster?.stop());

  it('finds no problem in a server\'s metrics, evictions included', async () => {
    for (const server of cluster.servers) {
      const text = await scrape(server);
      expect(text).to.match(/^dcache_store_evictions_total\{role="server"\} \d+$/m);
      expect(ourProblems(text), server.options.nodeId).to.deep.equal([]);
    }
    expect(await scrape(cluster.servers[0]!)).to.match(/^dcache_store_evictions_total\{role="server"\} [1-9]/m);
    expect(await scrape(cluster.servers[1]!)).to.match(/^dcache_handoff_keys_total\{[^}]*direction="received"[^}]*\} [1-9]/m);
    expect(await scrape(cluster.servers[1]!)).to.match(/^dcache_handoff_bytes_total\{[^}]*direction="received"[^}]*kind="join"[^}]*\} [1-9]/m);
  });

  it('finds no problem in a router\'s metrics', async () => {
    const text = await scrape(cluster.client);
    expect(text).to.match(/^dcache_http_request_duration_seconds_bucket\{/m);
    expect(ourProblems(text)).to.deep.equal([]);
  });

  it('finds no problem in the operator\'s metrics', async () => {
    const metrics = new OperatorMetrics();
    metrics.reconciles.inc({ outcome: 'done' });
    metrics.reconcileDuration.observe(0.02);
    metrics.applied('Deployment', 'missing');
    const server: Server = await startHealthServer(await freePort(), { notReadyReason: () => undefined }, metrics.registry);
    try {
      const { port } = server.address() as { port: number };
      const { text } = await call(`http://127.0.0.1:${port}/metrics`);
      expect(text).to.contain('dcache_operator_reconcile_total{outcome="done"} 1');
      expect(ourProblems(text)).to.deep.equal([]);
    } finally {
      server.close();
    }
  });

  it('does report a misnamed metric (the check itself works)', () => {
    const exposition = '# HELP dcache_store_evictions Keys evicted\n# TYPE dcache_store_evictions counter\ndcache_store_evictions 3\n';
    expect(checkMetrics(exposition).map((p) => p.metric)).to.include('dcache_store_evictions');
  });
});
