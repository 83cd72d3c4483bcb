import { expect } from 'chai';
import { aCache } from '../../support/operator-fixtures.js';
import {
  childLabels,
  childNames,
  dataplaneCacheName,
  ownerReference,
  selectorLabels,
  selectorString,
} from '../../../operator/resources/names.js';

describe('operator resources: names and labels', () => {
  it('names the children as docs/operator.md "What it creates" lists them', () => {
    expect(childNames('orders')).to.deep.equal({
      zookeeper: 'orders-zookeeper',
      zookeeperHeadless: 'orders-zookeeper-headless',
      clusterToken: 'orders-cluster-token',
      server: 'orders-server',
      client: 'orders-client',
      podMonitor: 'orders',
    });
  });

  for (const component of ['zookeeper', 'server', 'client'] as const) {
    it(`labels ${component} children with name, instance, component and managed-by`, () => {
      expect(childLabels('orders', component)).to.deep.equal({
        'app.kubernetes.io/name': 'distributed-cache',
        'app.kubernetes.io/instance': 'orders',
        'app.kubernetes.io/component': component,
        'app.kubernetes.io/managed-by': 'distributed-cache-operator',
      });
    });
  }

  it('selects pods without managed-by, so selectors never change', () => {
    expect(selectorLabels('orders', 'server')).to.not.have.property('app.kubernetes.io/managed-by');
    expect(selectorString('orders', 'server')).to.equal(
      'app.kubernetes.io/name=distributed-cache,app.kubernetes.io/instance=orders,app.kubernetes.io/component=server',
    );
  });

  it('makes the DistributedCache the controller owner, blocking its deletion until children go', () => {
    expect(ownerReference(aCache({}, { name: 'orders', uid: 'u-1' }))).to.deep.equal({
      apiVersion: 'cache.distributed.dev/v1alpha1',
      kind: 'DistributedCache',
      name: 'orders',
      uid: 'u-1',
      controller: true,
      blockOwnerDeletion: true,
    });
  });

  describe('CACHE_NAME (the ZooKeeper root)', () => {
    it('is namespace.name', () => {
      expect(dataplaneCacheName('shop', 'orders')).to.equal('shop.orders');
    });

    it('stays within the data plane limit of 63 characters, and apart per namespace, for long names', () => {
      const long = 'n'.repeat(42);
      const a = dataplaneCacheName('a'.repeat(63), long);
      const b = dataplaneCacheName('b'.repeat(63), long);
      expect(a).to.have.length.at.most(63).and.match(/^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/);
      expect(a).to.not.equal(b);
      expect(dataplaneCacheName('a'.repeat(63), long)).to.equal(a);
    });
  });
});
