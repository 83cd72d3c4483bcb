// What CacheClient.connect accepts (client/src/options.ts): every option it
// cannot use is refused before anything connects, naming the option.
import { expect } from 'chai';
import { BadInputError, type CacheClientOptions } from '../../../client/src/index.js';
import { DEFAULT_POLL_INTERVAL_MS, resolveOptions } from '../../../client/src/options.js';

const TOKEN = 'a-cluster-token-of-enough-length';

describe('smart client options', () => {
  it('follows routers, given one or several, at their origin', () => {
    const settings = resolveOptions({ ring: { router: ['http://r1:5000/', 'https://r2:5000/api'] }, clusterToken: TOKEN });
    expect(settings.ring).to.deep.equal({ kind: 'router', urls: ['http://r1:5000', 'https://r2:5000'], bearerToken: undefined, pollIntervalMs: DEFAULT_POLL_INTERVAL_MS });
    expect(settings.token).to.deep.equal({ source: 'env', tokens: { current: TOKEN } });
  });

  it('follows ZooKeeper with the cache\'s replication factor, and takes a token file or a rotation pair', () => {
    const zk = resolveOptions({ ring: { zookeeper: 'zk-0:2181,zk-1:2181', replicationFactor: 3 }, clusterToken: { file: '/etc/token' } });
    expect(zk.ring).to.deep.equal({ kind: 'zookeeper', connect: 'zk-0:2181,zk-1:2181', cacheName: 'default', replicationFactor: 3, sessionTimeoutMs: 10_000 });
    expect(zk.token).to.deep.equal({ source: 'file', path: '/etc/token' });
    const pair = resolveOptions({ ring: { router: 'http://r:5000' }, clusterToken: { current: TOKEN, previous: `${TOKEN}-old` } });
    expect(pair.token).to.deep.equal({ source: 'env', tokens: { current: TOKEN, previous: `${TOKEN}-old` } });
  });

  it('gives every client its own writer id unless told one', () => {
    const ring = { router: 'http://r:5000' };
    expect(resolveOptions({ ring, clusterToken: TOKEN }).writerId).to.not.equal(resolveOptions({ ring, clusterToken: TOKEN }).writerId);
    expect(resolveOptions({ ring, clusterToken: TOKEN, writerId: 'app-1' }).writerId).to.equal('app-1');
  });

  it('sends no token only when told it is insecure', () => {
    expect(resolveOptions({ ring: { router: 'http://r:5000' }, insecure: true }).token).to.deep.equal({ source: 'none' });
  });

  const refused: Array<[string, CacheClientOptions, RegExp]> = [
    ['no ring', { clusterToken: TOKEN } as unknown as CacheClientOptions, /ring must be/],
    ['a router that is not a URL', { ring: { router: 'r:5000' }, clusterToken: TOKEN }, /ring.router/],
    ['a router that is not http', { ring: { router: 'ftp://r' }, clusterToken: TOKEN }, /not http or https/],
    ['no router', { ring: { router: [] }, clusterToken: TOKEN }, /at least one router/],
    ['a bad poll interval', { ring: { router: 'http://r', pollIntervalMs: 0 }, clusterToken: TOKEN }, /pollIntervalMs/],
    ['a bad ZooKeeper connect string', { ring: { zookeeper: 'zk', replicationFactor: 2 }, clusterToken: TOKEN }, /ring.zookeeper/],
    ['no replication factor with ZooKeeper', { ring: { zookeeper: 'zk:2181' }, clusterToken: TOKEN } as unknown as CacheClientOptions, /replicationFactor/],
    ['no token', { ring: { router: 'http://r' } }, /clusterToken is required/],
    ['a short token', { ring: { router: 'http://r' }, clusterToken: 'short' }, /current token must be at least 16/],
    ['a previous token with a space', { ring: { router: 'http://r' }, clusterToken: { current: TOKEN, previous: 'has a space in it, sadly' } }, /previous token must be printable/],
  ];
  for (const [what, options, message] of refused) {
    it(`refuses ${what}`, () => {
      expect(() => resolveOptions(options)).to.throw(BadInputError, message);
    });
  }
});
