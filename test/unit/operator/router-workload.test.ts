import { expect } from 'chai';
import type { V1Container } from '@kubernetes/client-node';
import type { DistributedCacheSpec } from '../../../operator/api/distributed-cache.js';
import { desiredRouterDeployment, desiredRouterHpa, desiredRouterService } from '../../../operator/resources/router-workload.js';
import { desiredServerDeployment } from '../../../operator/resources/server-workload.js';
import { contextFor, envOf } from '../../support/operator-fixtures.js';

const deployment = (spec: DistributedCacheSpec = {}) => desiredRouterDeployment(contextFor(spec));
const container = (spec: DistributedCacheSpec = {}) => deployment(spec).spec?.template.spec?.containers[0] as V1Container;

describe('operator resources: the routers', () => {
  it('is a Deployment named N-client running `node dist/dataplane/main.js client`', () => {
    const d = deployment();
    expect(d.metadata.name).to.equal('demo-client');
    expect(d.metadata.labels?.['app.kubernetes.io/component']).to.equal('client');
    expect(d.metadata.ownerReferences?.[0]).to.deep.include({ kind: 'DistributedCache', name: 'demo', controller: true });
    expect(container().args).to.deep.equal(['node', 'dist/dataplane/main.js', 'client']);
  });

  it('passes the settings a router reads, and none that only servers read', () => {
    const { values, fields } = envOf(container({ replicationFactor: 3 }));
    expect(values).to.deep.include({ PORT: '5000', ZK_CONNECT: 'demo-zookeeper-0.demo-zookeeper-headless.shop.svc:2181', CACHE_NAME: 'shop.demo', REPLICATION_FACTOR: '3', LOG_LEVEL: 'info' });
    expect(values).to.not.have.any.keys('MAX_MEMORY', 'DRAIN_TIMEOUT', 'MAX_ENTRIES', 'PLACEMENT', 'ZONE', 'NODE_NAME');
    expect(fields).to.deep.equal({ POD_IP: 'status.podIP' });
  });

  it('marks its pod template as this release\'s, which follows any placement: servers wait for the mark on every router', () => {
    expect(deployment().spec?.template.metadata?.annotations).to.include({ 'cache.distributed.dev/placement-aware': 'true' });
    const own = deployment({ clients: { podAnnotations: { 'cache.distributed.dev/placement-aware': 'false' } } });
    expect(own.spec?.template.metadata?.annotations?.['cache.distributed.dev/placement-aware'], 'a pod annotation cannot unmark it').to.equal('true');
  });

  it('does not change with the servers\' placement (no router rolls for it)', () => {
    expect(deployment({ servers: { placement: 'none' } }).spec?.template).to.deep.equal(deployment().spec?.template);
  });

  const replicas: Array<[string, DistributedCacheSpec, number | undefined]> = [
    ['spec.clients.replicas', { clients: { replicas: 4 } }, 4],
    ['the default', {}, 1],
    ['nothing: the HPA owns it', { clients: { replicas: 4, autoscaling: { enabled: true } } }, undefined],
  ];
  for (const [what, spec, expected] of replicas) {
    it(`sets the replica count to ${what}`, () => {
      expect(deployment(spec).spec?.replicas).to.equal(expected);
      expect(Object.keys(deployment(spec).spec ?? {}).includes('replicas')).to.equal(expected !== undefined);
    });
  }

  const services: Array<[DistributedCacheSpec, { type: string; port: number; nodePort?: number }]> = [
    [{}, { type: 'ClusterIP', port: 5000 }],
    [{ clients: { service: { type: 'NodePort', port: 80, nodePort: 30080 } } }, { type: 'NodePort', port: 80, nodePort: 30080 }],
    [{ clients: { service: { type: 'LoadBalancer' } } }, { type: 'LoadBalancer', port: 5000 }],
  ];
  for (const [spec, expected] of services) {
    it(`serves the public API on a ${expected.type} Service N-client, port ${expected.port}`, () => {
      const ctx = contextFor(spec);
      const service = desiredRouterService(ctx);
      expect(service.metadata.name).to.equal('demo-client');
      expect(service.spec?.type).to.equal(expected.type);
      expect(service.spec?.ports).to.deep.equal([
        { name: 'http', port: expected.port, targetPort: 'http', protocol: 'TCP', ...(expected.nodePort ? { nodePort: expected.nodePort } : {}) },
      ]);
      expect(service.spec?.selector).to.deep.equal(desiredRouterDeployment(ctx).spec?.selector.matchLabels);
    });
  }

  it('adds a memory metric to the router HPA when clients.autoscaling.targetMemoryUtilizationPercentage is set, and none otherwise', () => {
    const metricsOf = (autoscaling: { enabled: true; targetMemoryUtilizationPercentage?: number }) =>
      desiredRouterHpa(contextFor({ clients: { autoscaling } }))?.spec?.metrics?.map((m) => [m.resource?.name, m.resource?.target.averageUtilization]);
    expect(metricsOf({ enabled: true, targetMemoryUtilizationPercentage: 80 })).to.deep.equal([['cpu', 70], ['memory', 80]]);
    expect(metricsOf({ enabled: true })).to.deep.equal([['cpu', 70]]);
  });

  it('has an HPA on the client Deployment only while clients.autoscaling is on', () => {
    expect(desiredRouterHpa(contextFor())).to.equal(undefined);
    const hpa = desiredRouterHpa(contextFor({ clients: { autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 8, targetCPUUtilizationPercentage: 60 } } }));
    expect(hpa?.metadata.name).to.equal('demo-client');
    expect(hpa?.spec?.scaleTargetRef).to.deep.equal({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'demo-client' });
    expect([hpa?.spec?.minReplicas, hpa?.spec?.maxReplicas]).to.deep.equal([2, 8]);
    expect(hpa?.spec?.metrics?.[0]?.resource?.target.averageUtilization).to.equal(60);
    expect(hpa?.spec?.behavior?.scaleDown?.stabilizationWindowSeconds).to.equal(300);
    const shorter = desiredRouterHpa(contextFor({ clients: { autoscaling: { enabled: true, scaleDownStabilizationWindowSeconds: 0 } } }));
    expect(shorter?.spec?.behavior?.scaleDown?.stabilizationWindowSeconds).to.equal(0);
  });

  it('mounts the client tokens Secret and sets CLIENT_TOKENS_FILE when spec.auth.secretRef is set, rolling the routers', () => {
    const spec = { auth: { secretRef: { name: 'shop-clients' } } };
    const pod = deployment(spec).spec?.template.spec;
    expect(pod?.volumes?.[1]).to.deep.equal({
      name: 'client-tokens',
      secret: { secretName: 'shop-clients', items: [{ key: 'tokens', path: 'tokens' }], defaultMode: 0o440 },
    });
    expect(container(spec).volumeMounts?.[1]).to.deep.equal({ name: 'client-tokens', mountPath: '/etc/distributed-cache/client-tokens', readOnly: true });
    expect(envOf(container(spec)).values['CLIENT_TOKENS_FILE']).to.equal('/etc/distributed-cache/client-tokens/tokens');
    const checksum = (s: DistributedCacheSpec) => deployment(s).spec?.template.metadata?.annotations?.['cache.distributed.dev/config-checksum'];
    expect(checksum(spec)).to.not.equal(checksum({}));
  });

  describe('with TLS on (spec.tls.secretName)', () => {
    const tls: DistributedCacheSpec = { tls: { secretName: 'shop-tls' } };

    it('mounts the kubernetes.io/tls Secret read-only as a directory, and points TLS_CERT_FILE and TLS_KEY_FILE into it', () => {
      const pod = deployment(tls).spec?.template.spec;
      expect(pod?.volumes?.find((v) => v.name === 'tls')).to.deep.equal({
        name: 'tls',
        secret: { secretName: 'shop-tls', items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }], defaultMode: 0o440 },
      });
      const mount = container(tls).volumeMounts?.find((m) => m.name === 'tls');
      // A whole directory (no subPath), so the kubelet's updates of the Secret reach the files.
      expect(mount).to.deep.equal({ name: 'tls', mountPath: '/etc/distributed-cache/tls', readOnly: true });
      expect(envOf(container(tls)).values).to.deep.include({ TLS_CERT_FILE: '/etc/distributed-cache/tls/tls.crt', TLS_KEY_FILE: '/etc/distributed-cache/tls/tls.key' });
    });

    it('names its ports https and metrics-https and probes /readyz and /healthz over HTTPS', () => {
      const c = container(tls);
      expect(c.ports).to.deep.equal([
        { name: 'https', containerPort: 5000, protocol: 'TCP' },
        { name: 'metrics-https', containerPort: 9464, protocol: 'TCP' },
      ]);
      expect(c.readinessProbe?.httpGet).to.deep.equal({ path: '/readyz', port: 'https', scheme: 'HTTPS' });
      expect(c.livenessProbe?.httpGet).to.deep.equal({ path: '/healthz', port: 'https', scheme: 'HTTPS' });
    });

    it('gives the Service an https port with appProtocol https, aimed at the container port of that name', () => {
      expect(desiredRouterService(contextFor(tls)).spec?.ports).to.deep.equal([
        { name: 'https', port: 5000, targetPort: 'https', protocol: 'TCP', appProtocol: 'https' },
      ]);
    });

    it('rolls the routers when TLS is turned on or the Secret changes name, and leaves the servers alone', () => {
      const checksum = (s: DistributedCacheSpec) => deployment(s).spec?.template.metadata?.annotations?.['cache.distributed.dev/config-checksum'];
      expect(checksum(tls)).to.not.equal(checksum({}));
      expect(checksum(tls)).to.not.equal(checksum({ tls: { secretName: 'other-tls' } }));
      const server = desiredServerDeployment(contextFor(tls)).spec?.template;
      expect(server).to.deep.equal(desiredServerDeployment(contextFor()).spec?.template);
    });
  });

  it('leaves TLS off by default: plain HTTP port, probes and Service, no tls volume, no TLS_* variables', () => {
    const c = container();
    expect(c.ports?.[0]?.name).to.equal('http');
    expect(c.readinessProbe?.httpGet).to.deep.equal({ path: '/readyz', port: 'http' });
    expect(envOf(c).values).to.not.have.any.keys('TLS_CERT_FILE', 'TLS_KEY_FILE');
    expect(desiredRouterService(contextFor()).spec?.ports?.[0]).to.not.have.property('appProtocol');
  });

  it('leaves client auth off by default: no tokens volume, no CLIENT_TOKENS_FILE', () => {
    expect(deployment().spec?.template.spec?.volumes?.map((v) => v.name)).to.deep.equal(['cluster-token']);
    expect(envOf(container()).values).to.not.have.property('CLIENT_TOKENS_FILE');
  });
});

