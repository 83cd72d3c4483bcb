// Labels and annotations of a DistributedCache that its children carry too.
import { expect } from 'chai';
import type { DistributedCache, DistributedCacheSpec } from '../../../operator/api/distributed-cache.js';
import { desiredChildren } from '../../../operator/resources/desired-state.js';
import { keyMatches, propagatedEntries } from '../../../operator/resources/propagation.js';
import { aCache, resolved } from '../../support/operator-fixtures.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function labelledCache(spec: DistributedCacheSpec, labels: Record<string, string>, annotations: Record<string, string> = {}): DistributedCache {
  const cache = aCache(spec);
  return { ...cache, metadata: { ...cache.metadata, labels, annotations } };
}

const childrenOf = (cache: DistributedCache) => desiredChildren(cache, resolved(cache.spec ?? {}));

describe('operator resources: labels and annotations propagated from the cache', () => {
  it('matches a key exactly, or every key under a prefix that ends in /', () => {
    expect(keyMatches('team', 'team')).to.equal(true);
    expect(keyMatches('teams', 'team')).to.equal(false);
    expect(keyMatches('billing.example.com/cost-center', 'billing.example.com/')).to.equal(true);
    expect(keyMatches('billing.example.com', 'billing.example.com/')).to.equal(false);
  });

  it("never copies the operator's own labels and annotations, kubectl's or Helm's, even when a prefix covers them", () => {
    const source = {
      'app.kubernetes.io/instance': 'x',
      'app.kubernetes.io/part-of': 'shop',
      'cache.distributed.dev/applied-hash': 'h',
      [LAST_APPLIED]: '{}',
      'meta.helm.sh/release-name': 'r',
    };
    expect(propagatedEntries(source, ['app.kubernetes.io/', 'cache.distributed.dev/', 'kubectl.kubernetes.io/', 'meta.helm.sh/'])).to.deep.equal({
      'app.kubernetes.io/part-of': 'shop',
    });
  });

  it('copies app.kubernetes.io/part-of to every child by default, and nothing else', () => {
    const children = childrenOf(labelledCache({}, { 'app.kubernetes.io/part-of': 'shop', team: 'payments' }, { owner: 'ann' }));
    expect(children.length).to.be.greaterThan(5);
    for (const child of children) {
      expect(child.metadata.labels, `${child.kind}/${child.metadata.name}`).to.include({ 'app.kubernetes.io/part-of': 'shop' });
      expect(child.metadata.labels).to.not.have.property('team');
      expect(child.metadata.annotations ?? {}).to.not.have.property('owner');
    }
  });

  it('copies the keys and prefixes listed in spec.propagateLabels and spec.propagateAnnotations to every child', () => {
    const cache = labelledCache(
      { propagateLabels: ['team', 'billing.example.com/'], propagateAnnotations: ['owner'] },
      { team: 'payments', 'billing.example.com/cost-center': '42', other: 'no' },
      { owner: 'ann', [LAST_APPLIED]: '{"spec":{}}' },
    );
    for (const child of childrenOf(cache)) {
      expect(child.metadata.labels).to.include({ team: 'payments', 'billing.example.com/cost-center': '42' });
      expect(child.metadata.labels).to.not.have.property('other');
      expect(child.metadata.annotations).to.include({ owner: 'ann' });
      expect(child.metadata.annotations).to.not.have.property(LAST_APPLIED);
    }
  });

  it("keeps the operator's labels when the cache's labels name the same keys", () => {
    const cache = labelledCache({ propagateLabels: ['app.kubernetes.io/instance'] }, { 'app.kubernetes.io/instance': 'impostor' });
    for (const child of childrenOf(cache)) expect(child.metadata.labels?.['app.kubernetes.io/instance']).to.equal('demo');
  });

  it('leaves pod templates alone, so relabelling a cache does not roll its pods', () => {
    const spec = { propagateLabels: ['team'], propagateAnnotations: ['owner'] };
    const plain = childrenOf(labelledCache(spec, {}));
    const labelled = childrenOf(labelledCache(spec, { team: 'payments' }, { owner: 'ann' }));
    const templates = (children: typeof plain) =>
      children.flatMap((child) => {
        const template = (child as { spec?: { template?: unknown } }).spec?.template;
        return template === undefined ? [] : [template];
      });
    expect(templates(labelled)).to.have.length(3);
    expect(templates(labelled)).to.deep.equal(templates(plain));
  });

  it("lets the client Service's own annotations win over propagated ones", () => {
    const cache = labelledCache(
      { propagateAnnotations: ['lb.example.com/'], clients: { service: { annotations: { 'lb.example.com/internal': 'true' } } } },
      {},
      { 'lb.example.com/internal': 'false', 'lb.example.com/team': 'payments' },
    );
    const service = childrenOf(cache).find((child) => child.kind === 'Service' && child.metadata.name === 'demo-client');
    expect(service?.metadata.annotations).to.include({ 'lb.example.com/internal': 'true', 'lb.example.com/team': 'payments' });
  });
});
