// dashboards/distributed-cache.json: it loads, it is wired to a chosen
// Prometheus and to the namespace/cache variables, and every metric it queries
// is one that a server, a router or the operator really exports.
import { expect } from 'chai';
import { exportedMetrics, seriesNames } from '../../support/exported-metrics.js';
import { allPanels, dashboardQueries, loadDashboard, type Dashboard } from '../../support/monitoring-assets.js';
import { metricNamesIn } from '../../support/promql-names.js';

describe('the Grafana dashboard', () => {
  let dashboard: Dashboard;
  let exported: Set<string>;

  before(async () => {
    dashboard = loadDashboard();
    exported = seriesNames((await exportedMetrics()).values());
  });

  it('queries only metrics that the data plane or the operator exports', () => {
    const unknown: string[] = [];
    for (const { where, expr } of dashboardQueries(dashboard)) {
      const names = metricNamesIn(expr);
      expect(names, `${where} selects no metric: ${expr}`).to.not.be.empty;
      for (const name of names) if (!exported.has(name)) unknown.push(`${name} (${where})`);
    }
    expect(unknown, 'queried but exported by no process').to.deep.equal([]);
  });

  it('has the panels the issue asks for', () => {
    const queried = new Set(dashboardQueries(dashboard).flatMap(({ expr }) => metricNamesIn(expr)));
    for (const name of [
      'dcache_http_requests_total', 'dcache_http_request_duration_seconds_bucket', 'dcache_hits_total', 'dcache_misses_total',
      'dcache_store_keys', 'dcache_store_bytes', 'dcache_store_evictions_total', 'dcache_ring_members',
      'dcache_handoff_keys_total', 'dcache_zookeeper_connected',
    ]) {
      expect(queried, name).to.include(name);
    }
  });

  it('takes its Prometheus from a datasource variable, everywhere', () => {
    const datasource = dashboard.templating.list.find((v) => v.name === 'datasource');
    expect(datasource).to.include({ type: 'datasource', query: 'prometheus' });
    for (const panel of allPanels(dashboard).filter((p) => p.type !== 'row')) {
      expect(panel.datasource, panel.title).to.deep.equal({ type: 'prometheus', uid: '${datasource}' });
      for (const target of panel.targets ?? []) expect(target.datasource, panel.title).to.deep.equal(panel.datasource);
    }
  });

  it('filters every data plane query by the namespace and cache variables', () => {
    const variables = dashboard.templating.list.map((v) => v.name);
    expect(variables).to.include.members(['namespace', 'cache']);
    for (const panel of allPanels(dashboard)) {
      for (const target of panel.targets ?? []) {
        const selectors = target.expr?.match(/dcache_\w+\{[^}]*\}/g) ?? [];
        expect(selectors, `${panel.title}: ${target.expr}`).to.not.be.empty;
        for (const selector of selectors) {
          expect(selector, panel.title).to.contain('namespace=~"$namespace"').and.to.contain('app_kubernetes_io_instance=~"$cache"');
        }
      }
    }
  });

  it('has unique panel ids, and panels inside the 24-column grid', () => {
    const panels = allPanels(dashboard);
    expect(new Set(panels.map((p) => p.id)).size).to.equal(panels.length);
    for (const { title, gridPos } of panels) expect(gridPos.x + gridPos.w, title).to.be.at.most(24);
  });
});
