import { expect } from 'chai';
import type { DistributedCacheSpec } from '../../../operator/api/distributed-cache.js';
import { desiredRouterDeployment } from '../../../operator/resources/router-workload.js';
import { desiredServerDeployment } from '../../../operator/resources/server-workload.js';
import { desiredPodMonitor, isOwnedPodMonitor, type PodMonitor } from '../../../operator/resources/pod-monitor.js';
import { cacheContext } from '../../../operator/resources/context.js';
import { aCache, contextFor, resolved } from '../../support/operator-fixtures.js';

const podMonitor = (spec: DistributedCacheSpec) => desiredPodMonitor(contextFor({ monitoring: { enabled: true }, ...spec })) as PodMonitor;
const TLS: DistributedCacheSpec = { tls: { secretName: 'shop-tls' } };

/** Whether a label selector's matchLabels and matchExpressions (In only) select these labels. */
function selects(selector: PodMonitor['spec']['selector'], labels: Record<string, string> | undefined): boolean {
  const given = labels ?? {};
  return (
    Object.entries(selector.matchLabels).every(([key, value]) => given[key] === value) &&
    selector.matchExpressions.every(({ key, values }) => values.includes(given[key] ?? ''))
  );
}

describe('operator resources: the PodMonitor', () => {
  it('is not wanted while spec.monitoring is off, which is the default', () => {
    expect(desiredPodMonitor(contextFor({}))).to.equal(undefined);
    expect(desiredPodMonitor(contextFor({ monitoring: { enabled: false } }))).to.equal(undefined);
  });

  it('is a monitoring.coreos.com/v1 PodMonitor named after the cache, controlled by it, labelled like the other children but for a component (it spans two)', () => {
    const pm = podMonitor({});
    expect(pm.apiVersion).to.equal('monitoring.coreos.com/v1');
    expect(pm.kind).to.equal('PodMonitor');
    expect(pm.metadata).to.deep.include({ name: 'demo', namespace: 'shop' });
    expect(pm.metadata.labels).to.deep.equal({
      'app.kubernetes.io/name': 'distributed-cache',
      'app.kubernetes.io/instance': 'demo',
      'app.kubernetes.io/managed-by': 'distributed-cache-operator',
    });
    expect(pm.metadata.ownerReferences).to.deep.equal([
      { apiVersion: 'cache.distributed.dev/v1alpha1', kind: 'DistributedCache', name: 'demo', uid: '11111111-2222-3333-4444-555555555555', controller: true, blockOwnerDeletion: true },
    ]);
  });

  it('carries the labels the cache propagates to its children, such as the one a Prometheus selects PodMonitors by', () => {
    const spec: DistributedCacheSpec = { monitoring: { enabled: true }, propagateLabels: ['release'] };
    const cache = aCache(spec);
    cache.metadata.labels = { release: 'kube-prometheus-stack', unlisted: 'x' };
    const pm = desiredPodMonitor(cacheContext(cache, resolved(spec))) as PodMonitor;
    expect(pm.metadata.labels).to.include({ release: 'kube-prometheus-stack', 'app.kubernetes.io/instance': 'demo' });
    expect(pm.metadata.labels).to.not.have.any.keys('unlisted', 'app.kubernetes.io/component');
  });

  it("selects this cache's server and router pods, and not its ZooKeeper members or another cache's pods", () => {
    const ctx = contextFor({ monitoring: { enabled: true } });
    const { selector } = podMonitor({}).spec;
    expect(selects(selector, desiredServerDeployment(ctx).spec?.template.metadata?.labels)).to.equal(true);
    expect(selects(selector, desiredRouterDeployment(ctx).spec?.template.metadata?.labels)).to.equal(true);
    expect(selects(selector, { 'app.kubernetes.io/name': 'distributed-cache', 'app.kubernetes.io/instance': 'demo', 'app.kubernetes.io/component': 'zookeeper' })).to.equal(false);
    expect(selects(selector, { 'app.kubernetes.io/name': 'distributed-cache', 'app.kubernetes.io/instance': 'other', 'app.kubernetes.io/component': 'server' })).to.equal(false);
  });

  it('copies the pod labels the dashboard and alerts group by (README "Monitoring")', () => {
    expect(podMonitor({}).spec.podTargetLabels).to.deep.equal(['app.kubernetes.io/instance', 'app.kubernetes.io/name']);
  });

  it("scrapes /metrics over HTTP on the port named metrics, the servers' and the routers' METRICS_PORT", () => {
    const ctx = contextFor({ monitoring: { enabled: true } });
    expect(podMonitor({}).spec.podMetricsEndpoints).to.deep.equal([{ port: 'metrics', path: '/metrics' }]);
    for (const deployment of [desiredServerDeployment(ctx), desiredRouterDeployment(ctx)]) {
      const c = deployment.spec?.template.spec?.containers[0];
      expect(c?.ports?.map((p) => [p.name, p.containerPort])).to.deep.equal([['http', c?.name === 'server' ? 8080 : 5000], ['metrics', 9464]]);
      expect(c?.env).to.deep.include({ name: 'METRICS_PORT', value: '9464' });
    }
  });

  it("with TLS on, scrapes the routers' metrics port, named metrics-https, over HTTPS, verifying the client Service's name by default", () => {
    const ctx = contextFor({ monitoring: { enabled: true }, ...TLS });
    expect(desiredRouterDeployment(ctx).spec?.template.spec?.containers[0]?.ports?.map((p) => p.name)).to.deep.equal(['https', 'metrics-https']);
    expect(desiredServerDeployment(ctx).spec?.template.spec?.containers[0]?.ports?.map((p) => p.name)).to.deep.equal(['http', 'metrics']);
    expect(podMonitor(TLS).spec.podMetricsEndpoints).to.deep.equal([
      { port: 'metrics', path: '/metrics' },
      { port: 'metrics-https', path: '/metrics', scheme: 'https', tlsConfig: { serverName: 'demo-client.shop.svc' } },
    ]);
  });

  it('passes the CA Secret and server name given in spec.monitoring.tlsConfig, and skips verification only when asked to', () => {
    const https = (tlsConfig: NonNullable<DistributedCacheSpec['monitoring']>['tlsConfig']) =>
      podMonitor({ ...TLS, monitoring: { enabled: true, ...(tlsConfig !== undefined ? { tlsConfig } : {}) } }).spec.podMetricsEndpoints[1]?.tlsConfig;
    expect(https({ caSecret: { name: 'shop-tls' } })).to.deep.equal({ ca: { secret: { name: 'shop-tls', key: 'ca.crt' } }, serverName: 'demo-client.shop.svc' });
    expect(https({ caSecret: { name: 'shop-ca', key: 'root.pem' }, serverName: 'cache.example.com' })).to.deep.equal({
      ca: { secret: { name: 'shop-ca', key: 'root.pem' } },
      serverName: 'cache.example.com',
    });
    expect(https({ insecureSkipVerify: true })).to.deep.equal({ serverName: 'demo-client.shop.svc', insecureSkipVerify: true });
    expect(https({ insecureSkipVerify: false })).to.not.have.property('insecureSkipVerify');
  });

  it('tells its own PodMonitor from one of the same name that this cache does not control', () => {
    const pm = podMonitor({});
    expect(isOwnedPodMonitor(pm, '11111111-2222-3333-4444-555555555555')).to.equal(true);
    expect(isOwnedPodMonitor(pm, 'another-uid')).to.equal(false);
    expect(isOwnedPodMonitor({ ...pm, metadata: { ...pm.metadata, ownerReferences: [] } }, '11111111-2222-3333-4444-555555555555')).to.equal(false);
    expect(isOwnedPodMonitor(undefined, '11111111-2222-3333-4444-555555555555')).to.equal(false);
  });
});
