import { expect } from 'chai';
import type { DistributedCacheSpec } from '../../../operator/api/distributed-cache.js';
import type { NetworkPolicy } from '../../../operator/resources/child-kinds.js';
import {
  desiredRouterNetworkPolicy,
  desiredServerNetworkPolicy,
  desiredZooKeeperNetworkPolicy,
} from '../../../operator/resources/network-policy.js';
import { contextFor } from '../../support/operator-fixtures.js';

const cachePods = (component: string) => ({
  podSelector: { matchLabels: { 'app.kubernetes.io/name': 'distributed-cache', 'app.kubernetes.io/instance': 'demo', 'app.kubernetes.io/component': component } },
});
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }));
const PROMETHEUS = { namespaceSelector: {}, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } };
const MONITORING = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } };
const SHOP = { namespaceSelector: { matchLabels: { team: 'shop' } }, podSelector: {} };

const server = (spec: DistributedCacheSpec = {}) => desiredServerNetworkPolicy(contextFor(spec));
const router = (spec: DistributedCacheSpec = {}) => desiredRouterNetworkPolicy(contextFor(spec));
const zookeeper = (spec: DistributedCacheSpec = {}) => desiredZooKeeperNetworkPolicy(contextFor(spec));

describe('operator resources: the NetworkPolicies', () => {
  it('are ingress policies named and labelled as the component they select, owned by the cache', () => {
    for (const [component, made] of [['server', server()], ['client', router()], ['zookeeper', zookeeper()]] as const) {
      const p = made as NetworkPolicy;
      expect(p.apiVersion).to.equal('networking.k8s.io/v1');
      expect(p.metadata.name).to.equal(`demo-${component}`);
      expect(p.metadata.namespace).to.equal('shop');
      expect(p.metadata.labels?.['app.kubernetes.io/component']).to.equal(component);
      expect(p.metadata.ownerReferences?.[0]).to.deep.include({ kind: 'DistributedCache', name: 'demo', controller: true });
      expect(p.spec.podSelector).to.deep.equal({ matchLabels: cachePods(component).podSelector.matchLabels });
      expect(p.spec.policyTypes).to.deep.equal(['Ingress']);
    }
  });

  it('lets only this cache\'s routers and servers reach a server\'s port, and Prometheus its metrics port alone by default', () => {
    expect(server()?.spec.ingress).to.deep.equal([
      { from: [cachePods('client'), cachePods('server')], ports: tcp(8080) },
      { from: [PROMETHEUS], ports: tcp(9464) },
    ]);
  });

  it('lets metricsFrom replace the Prometheus default, and an empty metricsFrom admit no one else', () => {
    expect(server({ networkPolicy: { metricsFrom: [MONITORING] } })?.spec.ingress[1]).to.deep.equal({ from: [MONITORING], ports: tcp(9464) });
    expect(server({ networkPolicy: { metricsFrom: [] } })?.spec.ingress).to.deep.equal([
      { from: [cachePods('client'), cachePods('server')], ports: tcp(8080) },
    ]);
  });

  it('lets ZooKeeper take its client port from this cache\'s pods, and all three ports from its members', () => {
    expect(zookeeper()?.spec.ingress).to.deep.equal([
      { from: [cachePods('server'), cachePods('client')], ports: tcp(2181) },
      { from: [cachePods('zookeeper')], ports: tcp(2181, 2888, 3888) },
    ]);
  });

  it('opens the routers\' public port to anyone when clientFrom is left out, and their metrics port to metricsFrom', () => {
    expect(router()?.spec.ingress).to.deep.equal([{ ports: tcp(5000) }, { from: [PROMETHEUS], ports: tcp(9464) }]);
  });

  it('narrows the routers\' public port to clientFrom; metricsFrom reaches their metrics port alone', () => {
    expect(router({ networkPolicy: { clientFrom: [SHOP] } })?.spec.ingress).to.deep.equal([
      { from: [SHOP], ports: tcp(5000) },
      { from: [PROMETHEUS], ports: tcp(9464) },
    ]);
  });

  it('never writes an empty `from`, which would admit everyone', () => {
    expect(router({ networkPolicy: { clientFrom: [], metricsFrom: [] } })?.spec.ingress).to.deep.equal([]);
    expect(router({ networkPolicy: { clientFrom: [], metricsFrom: [MONITORING] } })?.spec.ingress).to.deep.equal([{ from: [MONITORING], ports: tcp(9464) }]);
  });

  it('copies the user\'s peers, so no two policies share an object', () => {
    const spec = { networkPolicy: { clientFrom: [SHOP] } };
    const ctx = contextFor(spec);
    const first = desiredRouterNetworkPolicy(ctx)?.spec.ingress[0]?.from?.[0];
    expect(first).to.deep.equal(SHOP);
    expect(first).to.not.equal(ctx.spec.networkPolicy.clientFrom?.[0]);
  });

  it('makes none when spec.networkPolicy.enabled is false, and none for ZooKeeper when it is external', () => {
    const off = { networkPolicy: { enabled: false } };
    expect([server(off), router(off), zookeeper(off)]).to.deep.equal([undefined, undefined, undefined]);
    expect(zookeeper({ zookeeper: { connectString: 'zk:2181' } })).to.equal(undefined);
    expect(server({ zookeeper: { connectString: 'zk:2181' } })).to.not.equal(undefined);
  });
});
