import { expect } from 'chai';
import { mebibytes, resolveSpec, serverMemoryFor } from '../../../operator/api/defaults.js';
import { resolved, TEST_DEFAULTS } from '../../support/operator-fixtures.js';

describe('operator API: resolving a spec', () => {
  it('fills in the operator-only defaults: images, a 1-member ZooKeeper with 1Gi, derived resources', () => {
    const spec = resolved({});
    expect(spec.image).to.equal(TEST_DEFAULTS.dataplaneImage);
    expect(spec.zookeeper).to.deep.equal({
      mode: 'managed',
      replicas: 1,
      image: 'zookeeper:3.9',
      storage: { size: '1Gi' },
      resources: { requests: { cpu: '100m', memory: '384Mi' }, limits: { memory: '512Mi' } },
      pod: { labels: {}, annotations: {} },
    });
    expect(spec.servers.resources).to.deep.equal({ requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } });
    expect(spec.clients.resources).to.deep.equal({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } });
  });

  it('keeps spec.image, the ZooKeeper image and storage when given', () => {
    const spec = resolveSpec(
      { image: 'registry.example/cache:2', zookeeper: { replicas: 3, image: 'zookeeper:3.8', storage: { size: '5Gi', storageClassName: 'fast' } } },
      TEST_DEFAULTS,
    );
    expect(spec.image).to.equal('registry.example/cache:2');
    expect(spec.zookeeper).to.deep.equal({
      mode: 'managed',
      replicas: 3,
      image: 'zookeeper:3.8',
      storage: { size: '5Gi', storageClassName: 'fast' },
      resources: { requests: { cpu: '100m', memory: '384Mi' }, limits: { memory: '512Mi' } },
      pod: { labels: {}, annotations: {} },
    });
  });

  it('uses an existing ensemble when connectString is set', () => {
    expect(resolved({ zookeeper: { connectString: 'zk-a:2181,zk-b:2181/caches' } }).zookeeper).to.deep.equal({
      mode: 'external', connectString: 'zk-a:2181,zk-b:2181/caches',
    });
  });

  it('takes user resources as they are, with quantities as strings', () => {
    const spec = resolved({ servers: { resources: { requests: { cpu: 1, memory: '2Gi' } } } });
    expect(spec.servers.resources).to.deep.equal({ requests: { cpu: '1', memory: '2Gi' } });
  });

  const memory: Array<[string, string]> = [
    ['256Mi', '512Mi'], // 384Mi + 128Mi
    ['64Mi', '224Mi'],
    ['1Gi', '1664Mi'],
    ['2Gi', '3200Mi'],
    ['1G', '1559Mi'],
    ['1.5Gi', '2432Mi'],
  ];
  for (const [maxMemory, pod] of memory) {
    it(`gives a server with maxMemory ${maxMemory} ${pod} of memory (1.5 x + 128Mi)`, () => {
      expect(serverMemoryFor(maxMemory)).to.equal(pod);
    });
  }

  it('writes memory as the API server stores it (Gi when whole)', () => {
    expect(mebibytes(2 ** 30)).to.equal('1Gi');
    expect(mebibytes(1536 * 2 ** 20)).to.equal('1536Mi');
    expect(mebibytes(2 ** 20 + 1)).to.equal('2Mi');
  });
});
