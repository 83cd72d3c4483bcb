// manifests/monitoring/: a PrometheusRule whose alerts query only metrics the
// processes export, and a kustomization that stays out of `make deploy`.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { exportedMetrics, seriesNames } from '../../support/exported-metrics.js';
import { loadPrometheusRule, type PrometheusRule } from '../../support/monitoring-assets.js';
import { repoPath } from '../../support/operator-repo.js';
import { metricNamesIn } from '../../support/promql-names.js';

/** Series Prometheus makes itself for every target, exported by no process. */
const SYNTHETIC_SERIES = new Set(['up']);
const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

interface Kustomization {
  resources?: string[];
}

interface Service {
  metadata: { labels: Record<string, string> };
  spec: { selector: Record<string, string>; ports: Array<{ name: string; targetPort: string }> };
}

interface ServiceMonitor {
  spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string }> };
}

interface Deployment {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: { spec: { containers: Array<{ name: string; ports: Array<{ name: string; containerPort: number }>; env: Array<{ name: string; value?: string }> }> } };
  };
}

const manifest = <T>(file: string): T => yaml.load(readFileSync(repoPath(file), 'utf8')) as T;
const kustomization = (dir: string): Kustomization => manifest<Kustomization>(`${dir}/kustomization.yaml`);

describe('the alerts (manifests/monitoring/alerts.yaml)', () => {
  let rule: PrometheusRule;
  let exported: Set<string>;

  before(async () => {
    rule = loadPrometheusRule();
    exported = seriesNames((await exportedMetrics()).values());
  });

  const alerts = () => rule.spec.groups.flatMap((group) => group.rules);

  it('is a PrometheusRule with named groups of rules', () => {
    expect(rule.apiVersion).to.equal('monitoring.coreos.com/v1');
    expect(rule.kind).to.equal('PrometheusRule');
    expect(rule.metadata.name).to.be.a('string').that.is.not.empty;
    expect(rule.spec.groups).to.be.an('array').that.is.not.empty;
    const groupNames = rule.spec.groups.map((g) => g.name);
    expect(new Set(groupNames).size, 'group names are unique').to.equal(groupNames.length);
    for (const group of rule.spec.groups) expect(group.rules, group.name).to.be.an('array').that.is.not.empty;
  });

  it('gives every alert an expression, a duration, a severity and a summary and description', () => {
    const names = alerts().map((a) => a.alert);
    expect(new Set(names).size, 'alert names are unique').to.equal(names.length);
    for (const alert of alerts()) {
      expect(alert.alert, JSON.stringify(alert)).to.match(/^[A-Z][A-Za-z0-9]+$/);
      expect(alert.expr, alert.alert).to.be.a('string').that.is.not.empty;
      expect(alert.for, alert.alert).to.match(DURATION);
      expect(alert.labels?.['severity'], alert.alert).to.be.oneOf(['critical', 'warning']);
      expect(alert.annotations?.['summary'], alert.alert).to.be.a('string').that.is.not.empty;
      expect(alert.annotations?.['description'], alert.alert).to.be.a('string').that.is.not.empty;
    }
  });

  it('queries only metrics that the data plane or the operator exports', () => {
    const unknown: string[] = [];
    for (const alert of alerts()) {
      const names = metricNamesIn(alert.expr);
      expect(names, `${alert.alert} selects no metric`).to.not.be.empty;
      for (const name of names) if (!exported.has(name) && !SYNTHETIC_SERIES.has(name)) unknown.push(`${name} (${alert.alert})`);
    }
    expect(unknown, 'queried but exported by no process').to.deep.equal([]);
  });

  it('covers ZooKeeper, a server down, a stuck hand-off, zone safety, evictions and 5xx answers', () => {
    const queried = (alert: string) => metricNamesIn(alerts().find((a) => a.alert === alert)?.expr ?? '');
    expect(queried('DistributedCacheZooKeeperNoQuorum')).to.include('dcache_zookeeper_connected');
    expect(queried('DistributedCacheTargetDown')).to.include('up');
    expect(queried('DistributedCacheHandoffStuck')).to.include('dcache_ring_members');
    expect(queried('DistributedCacheNotZoneSafe')).to.include('dcache_ring_zone_safe');
    expect(queried('DistributedCacheEvictionsHigh')).to.include('dcache_store_evictions_total');
    expect(queried('DistributedCacheHighErrorRate')).to.include('dcache_http_requests_total');
  });
});

describe('the monitoring kustomization', () => {
  it('lists the Service, the ServiceMonitor and the alerts, and every file it lists exists', () => {
    const resources = kustomization('manifests/monitoring').resources ?? [];
    expect(resources).to.include.members(['operator-metrics-service.yaml', 'service-monitor.yaml', 'alerts.yaml']);
    for (const file of resources) expect(existsSync(repoPath('manifests', 'monitoring', file)), file).to.equal(true);
  });

  it('is not part of `make deploy` (which must work without the Prometheus Operator CRDs)', () => {
    const resources = kustomization('manifests').resources ?? [];
    expect(resources.filter((r) => r.startsWith('monitoring'))).to.deep.equal([]);
  });

  it('points the operator-metrics Service at the port the operator serves /metrics on', () => {
    const service = manifest<Service>('manifests/monitoring/operator-metrics-service.yaml');
    const monitor = manifest<ServiceMonitor>('manifests/monitoring/service-monitor.yaml');
    const deployment = manifest<Deployment>('manifests/operator.yaml');
    const [servicePort] = service.spec.ports;
    const container = deployment.spec.template.spec.containers.find((c) => c.name === 'operator');
    const healthPort = container?.ports.find((p) => p.name === servicePort?.targetPort);
    expect(healthPort, 'the targetPort names a port of the operator container').to.not.equal(undefined);
    expect(container?.env.find((e) => e.name === 'HEALTH_PORT')?.value, 'HEALTH_PORT').to.equal(String(healthPort?.containerPort));
    expect(service.spec.selector).to.deep.equal(deployment.spec.selector.matchLabels);
    expect(service.metadata.labels).to.include(monitor.spec.selector.matchLabels);
    expect(monitor.spec.endpoints[0]).to.include({ port: servicePort?.name, path: '/metrics' });
  });
});
