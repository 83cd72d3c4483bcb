// A server's store metrics as a scrape sees them; evictions are a counter
// (dcache_store_evictions_total) that follows the store's running count.
import { expect } from 'chai';
import { DataplaneMetrics } from '../../../dataplane/observability/metrics.js';
import { storeMetrics } from '../../../dataplane/server/store-metrics.js';
import { entryBytes } from '../../../dataplane/store/entry.js';
import { VersionedStore } from '../../../dataplane/store/versioned-store.js';
import { encodeVersion } from '../../../dataplane/version/hlc.js';

const VALUE = 'x'.repeat(1000);
const version = (n: number): string => encodeVersion(1_000_000 + n, 0, 'w');

/** A store with room for exactly `capacity` entries like the ones set() writes. */
function fullStore(capacity: number): { store: VersionedStore; set: (key: string) => void } {
  const perEntry = entryBytes('key-00', { value: VALUE, version: version(1), expiresAt: 0 });
  const store = new VersionedStore({ maxBytes: perEntry * capacity });
  return { store, set: (key) => store.set(key, VALUE, version(1)) };
}

async function evictions(metrics: DataplaneMetrics): Promise<{ type: string; value: number | undefined }> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'dcache_store_evictions_total');
  expect(metric, 'dcache_store_evictions_total is registered').to.not.equal(undefined);
  return { type: String(metric?.type), value: metric?.values[0]?.value };
}

describe('store metrics', () => {
  it('export evictions as a counter named _total, and no longer the dcache_store_evictions gauge', async () => {
    const metrics = new DataplaneMetrics('server');
    storeMetrics(new VersionedStore({ maxBytes: 1 << 20 }), metrics);
    expect(await evictions(metrics)).to.deep.equal({ type: 'counter', value: 0 });
    expect(metrics.registry.getSingleMetric('dcache_store_evictions')).to.equal(undefined);
    const text = await metrics.registry.metrics();
    expect(text).to.contain('# TYPE dcache_store_evictions_total counter');
  });

  it('count each eviction once, however often Prometheus scrapes', async () => {
    const metrics = new DataplaneMetrics('server');
    const { store, set } = fullStore(10);
    storeMetrics(store, metrics);
    for (let i = 0; i < 12; i++) set(`key-${String(i).padStart(2, '0')}`);
    expect(store.evictions).to.equal(2);
    expect((await evictions(metrics)).value).to.equal(2);
    expect((await evictions(metrics)).value, 'a second scrape with no new eviction').to.equal(2);
    for (let i = 12; i < 15; i++) set(`key-${i}`);
    expect((await evictions(metrics)).value).to.equal(5);
  });

  it('report the keys and bytes held and the limit', async () => {
    const metrics = new DataplaneMetrics('server');
    const { store, set } = fullStore(10);
    storeMetrics(store, metrics);
    set('key-00');
    const text = await metrics.registry.metrics();
    expect(text).to.match(/^dcache_store_keys\{role="server"\} 1$/m);
    expect(text).to.contain(`dcache_store_bytes{role="server"} ${store.bytes}`);
    expect(text).to.contain(`dcache_store_max_bytes{role="server"} ${store.limits.maxBytes}`);
  });
});
