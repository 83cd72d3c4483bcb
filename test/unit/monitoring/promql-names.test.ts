// The metric-name finder the dashboard and alert tests rely on: if it missed
// names, those tests would pass on queries of metrics nobody exports.
import { expect } from 'chai';
import { labelValuesSelector, metricNamesIn } from '../../support/promql-names.js';

describe('metricNamesIn', () => {
  it('finds a bare selector and one with matchers, not the labels or their values', () => {
    expect(metricNamesIn('dcache_ring_epoch')).to.deep.equal(['dcache_ring_epoch']);
    expect(metricNamesIn('dcache_ring_members{state=~"joining|leaving", namespace="dcache_store_keys"}')).to.deep.equal(['dcache_ring_members']);
  });

  it('skips functions, aggregations, grouping labels, ranges, numbers and Grafana variables', () => {
    const expr = 'histogram_quantile(0.99, sum by (le, route) (rate(dcache_http_request_duration_seconds_bucket{pod=~"$pod"}[$__rate_interval])))';
    expect(metricNamesIn(expr)).to.deep.equal(['dcache_http_request_duration_seconds_bucket']);
    expect(metricNamesIn('increase(a_total[10m]) / clamp_min(b, 1) > 0.1 and on (pod) c offset 5m')).to.deep.equal(['a_total', 'b', 'c']);
    expect(metricNamesIn('sum(rate(x_total[5m])) by (namespace) > 1e3')).to.deep.equal(['x_total']);
  });

  it('finds every operand of a binary expression, and names inside absent()', () => {
    expect(metricNamesIn('(dcache_zookeeper_connected == 0) unless on (namespace) (max by (namespace) (dcache_zookeeper_connectd) == 0)'))
      .to.deep.equal(['dcache_zookeeper_connectd', 'dcache_zookeeper_connected']);
    expect(metricNamesIn('absent(dcache_operator_leader == 1)')).to.deep.equal(['dcache_operator_leader']);
  });
});

describe('labelValuesSelector', () => {
  it('takes the selector out of a Grafana label_values() query', () => {
    expect(labelValuesSelector('label_values(dcache_ring_epoch{namespace=~"$namespace"}, app_kubernetes_io_instance)'))
      .to.equal('dcache_ring_epoch{namespace=~"$namespace"}');
    expect(labelValuesSelector('label_values(namespace)')).to.equal(undefined);
  });
});
